drop function if exists atomic_update_user_behavior(uuid, text, text, text, jsonb);

alter table user_behaviors
  drop column if exists last_violation_at,
  drop column if exists last_source,
  drop column if exists last_severity,
  drop column if exists metadata;
