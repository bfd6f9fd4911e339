CREATE TABLE "migration_gate_state"."alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"checkpoint_id" integer,
	"level" text NOT NULL,
	"metrics" jsonb NOT NULL,
	"channel" text,
	"ts" text,
	"acknowledged_by" text,
	"acknowledged_at" timestamp with time zone,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."checkpoints" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"idx" integer NOT NULL,
	"seq" integer NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"taken_at" timestamp with time zone,
	"sample" jsonb,
	"judged" jsonb
);
--> statement-breakpoint
ALTER TABLE "migration_gate_state"."alerts" ADD CONSTRAINT "alerts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."alerts" ADD CONSTRAINT "alerts_checkpoint_id_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "migration_gate_state"."checkpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."checkpoints" ADD CONSTRAINT "checkpoints_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "checkpoints_run_step_seq" ON "migration_gate_state"."checkpoints" USING btree ("run_id","idx","seq");--> statement-breakpoint
CREATE INDEX "checkpoints_due" ON "migration_gate_state"."checkpoints" USING btree ("status","due_at");