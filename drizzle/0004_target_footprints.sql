CREATE TABLE "migration_gate_state"."target_footprints" (
	"target" text PRIMARY KEY NOT NULL,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
