CREATE TABLE "migration_gate_state"."click_claims" (
	"key" text PRIMARY KEY NOT NULL,
	"run_id" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
