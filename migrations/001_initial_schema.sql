-- The starting schema the demo deploys onto: workspaces, users and their behaviour records.
do $$
begin
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin bypassrls;
  end if;
end
$$;

create extension if not exists pgcrypto;

create table workspaces (
  id bigint generated always as identity primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key default gen_random_uuid(),
  workspace_id bigint not null references workspaces (id),
  email text not null unique,
  created_at timestamptz not null default now()
);

create table user_behaviors (
  user_id uuid not null references users (id) on delete cascade,
  behavior text not null,
  total_violations integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (user_id, behavior)
);

grant usage on schema public to authenticated, service_role;
grant select on workspaces, users, user_behaviors to authenticated;
grant select, insert, update, delete on workspaces, users, user_behaviors to service_role;
