CREATE SCHEMA "migration_gate_state";
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."audit_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"run_id" integer,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."environment_locks" (
	"env" text PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"migration" text NOT NULL,
	"requested_by" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."slack_messages" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."steps" (
	"run_id" integer NOT NULL,
	"idx" integer NOT NULL,
	"env" text NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"summary" text,
	"result" jsonb
);
--> statement-breakpoint
ALTER TABLE "migration_gate_state"."environment_locks" ADD CONSTRAINT "environment_locks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."slack_messages" ADD CONSTRAINT "slack_messages_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."steps" ADD CONSTRAINT "steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "slack_messages_run_kind" ON "migration_gate_state"."slack_messages" USING btree ("run_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "steps_run_idx" ON "migration_gate_state"."steps" USING btree ("run_id","idx");