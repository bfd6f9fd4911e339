-- Migration 024: count behaviour violations atomically (the runbook's race fix).
alter table user_behaviors
  add column last_violation_at timestamptz,
  add column last_source text,
  add column last_severity text,
  add column metadata jsonb not null default '{}'::jsonb;

create or replace function atomic_update_user_behavior(
  p_user_id uuid,
  p_behavior text,
  p_source text,
  p_severity text,
  p_metadata jsonb
) returns jsonb
language sql
security definer
set search_path = public
as $$
  insert into user_behaviors as ub (user_id, behavior, total_violations, last_violation_at, last_source, last_severity, metadata)
  values (p_user_id, p_behavior, 1, now(), p_source, p_severity, coalesce(p_metadata, '{}'::jsonb))
  on conflict (user_id, behavior) do update
    set total_violations = ub.total_violations + 1,
        last_violation_at = now(),
        last_source = excluded.last_source,
        last_severity = excluded.last_severity,
        metadata = ub.metadata || excluded.metadata,
        updated_at = now()
  returning jsonb_build_object('user_id', user_id, 'behavior', behavior, 'total_violations', total_violations);
$$;

revoke all on function atomic_update_user_behavior(uuid, text, text, text, jsonb) from public;
grant execute on function atomic_update_user_behavior(uuid, text, text, text, jsonb) to authenticated, service_role;
