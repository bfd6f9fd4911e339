-- academy: each workspace sees only its own courses (row-level security, the RLS rollout of issue 14).
-- The application connects as authenticated and sets app.workspace_id for each request.
do $$
begin
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin; -- roles are shared by the server's databases: made once
  end if;
end
$$;

create table courses (
  id bigint generated always as identity primary key,
  workspace_id bigint not null,
  title text not null
);
create index courses_workspace_id_idx on courses (workspace_id);
grant select, insert, update, delete on courses to authenticated;

alter table courses enable row level security;
alter table courses force row level security;
create policy courses_workspace_isolation on courses
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);
