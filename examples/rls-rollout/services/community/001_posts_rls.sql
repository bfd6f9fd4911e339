-- community: each workspace sees only its own posts (row-level security, the RLS rollout of issue 14).
-- The application connects as authenticated and sets app.workspace_id for each request.
do $$
begin
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin; -- roles are shared by the server's databases: made once
  end if;
end
$$;

create table posts (
  id bigint generated always as identity primary key,
  workspace_id bigint not null,
  body text not null
);
create index posts_workspace_id_idx on posts (workspace_id);
grant select, insert, update, delete on posts to authenticated;

alter table posts enable row level security;
alter table posts force row level security;
create policy posts_workspace_isolation on posts
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);
