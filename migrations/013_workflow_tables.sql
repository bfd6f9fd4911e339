-- A batch modelled on the "migrations 013-017" runbook: new tables with foreign keys,
-- CHECK constraints, row-level security per workspace and a partial unique index.
create table campaigns (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references workspaces (id),
  name text not null,
  status text not null default 'DRAFT' check (status in ('DRAFT', 'ACTIVE', 'ARCHIVED')),
  created_at timestamptz not null default now()
);

create table config_versions (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references workspaces (id),
  version integer not null check (version > 0),
  status text not null default 'DRAFT' check (status in ('DRAFT', 'ACTIVE', 'RETIRED')),
  body jsonb not null default '{}'::jsonb,
  unique (workspace_id, version)
);

-- At most one ACTIVE config per workspace.
create unique index config_versions_one_active on config_versions (workspace_id) where status = 'ACTIVE';

create table workflow_instances (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references workspaces (id),
  config_version_id bigint not null references config_versions (id),
  campaign_id bigint references campaigns (id),
  state text not null default 'PENDING' check (state in ('PENDING', 'RUNNING', 'DONE', 'FAILED')),
  started_at timestamptz not null default now()
);

create index workflow_instances_config on workflow_instances (config_version_id);

alter table campaigns enable row level security;
alter table workflow_instances enable row level security;

create policy campaigns_workspace_isolation on campaigns
  for select to authenticated
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);

create policy workflow_instances_workspace_isolation on workflow_instances
  for select to authenticated
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);

grant select on campaigns, config_versions, workflow_instances to authenticated;
grant select, insert, update, delete on campaigns, config_versions, workflow_instances to service_role;
