-- Built without blocking writes: runs outside a transaction, statement by statement.
create index concurrently if not exists user_behaviors_recent on user_behaviors (last_violation_at desc)
  where last_violation_at is not null;
