CREATE TABLE "migration_gate_state"."sandbox_files" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"title" text NOT NULL,
	"filetype" text NOT NULL,
	"mimetype" text NOT NULL,
	"size" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"channel" text,
	"thread_ts" text,
	"message_ts" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_gate_state"."sandbox_messages" (
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"thread_ts" text,
	"text" text NOT NULL,
	"blocks" json NOT NULL,
	"edited" boolean DEFAULT false NOT NULL,
	"files" json,
	CONSTRAINT "sandbox_messages_channel_ts_pk" PRIMARY KEY("channel","ts")
);
