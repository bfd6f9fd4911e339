-- marketplace: each workspace sees only its own listings (row-level security, the RLS rollout of issue 14).
-- The application connects as authenticated and sets app.workspace_id for each request.
do $$
begin
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin; -- roles are shared by the server's databases: made once
  end if;
end
$$;

create table listings (
  id bigint generated always as identity primary key,
  workspace_id bigint not null,
  title text not null,
  price_cents integer not null check (price_cents >= 0)
);
create index listings_workspace_id_idx on listings (workspace_id);
grant select, insert, update, delete on listings to authenticated;

alter table listings enable row level security;
alter table listings force row level security;
create policy listings_workspace_isolation on listings
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);
