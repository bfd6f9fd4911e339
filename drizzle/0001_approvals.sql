CREATE TABLE "migration_gate_state"."approvals" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"idx" integer NOT NULL,
	"user_id" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"checksums_digest" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "migration_gate_state"."runs" ADD COLUMN "ended_by" text;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."runs" ADD COLUMN "checksums" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."steps" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."steps" ADD COLUMN "resume_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."steps" ADD COLUMN "remind_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."steps" ADD COLUMN "reminders" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "migration_gate_state"."approvals" ADD CONSTRAINT "approvals_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "migration_gate_state"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_one_per_person" ON "migration_gate_state"."approvals" USING btree ("run_id","idx","user_id");