CREATE TABLE "cron_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"cron" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"last_scheduled_for" timestamp with time zone,
	"outcome" text NOT NULL,
	"missed_count" integer DEFAULT 1 NOT NULL,
	"reason" text,
	"activity_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cron_states" (
	"environment_id" text NOT NULL,
	"cron" text NOT NULL,
	"last_activity_id" text,
	"last_result" text,
	"last_started_at" timestamp with time zone,
	"last_duration_ms" integer,
	"failures_in_row" integer DEFAULT 0 NOT NULL,
	"missed_at" timestamp with time zone,
	"missed_reason" text,
	CONSTRAINT "cron_states_environment_id_cron_pk" PRIMARY KEY("environment_id","cron")
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "crons_paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "crons_paused_by" text;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "crons_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cron_runs" ADD CONSTRAINT "cron_runs_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cron_runs" ADD CONSTRAINT "cron_runs_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cron_states" ADD CONSTRAINT "cron_states_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cron_states" ADD CONSTRAINT "cron_states_last_activity_id_activities_id_fk" FOREIGN KEY ("last_activity_id") REFERENCES "public"."activities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cron_runs_environment_id_cron_scheduled_for_index" ON "cron_runs" USING btree ("environment_id","cron","scheduled_for");--> statement-breakpoint
CREATE INDEX "cron_runs_environment_id_created_at_index" ON "cron_runs" USING btree ("environment_id","created_at");--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_crons_paused_by_users_id_fk" FOREIGN KEY ("crons_paused_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;