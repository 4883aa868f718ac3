CREATE TABLE "mails" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"activity_id" text,
	"mail_from" text NOT NULL,
	"rcpt_to" jsonb NOT NULL,
	"subject" text NOT NULL,
	"size" integer NOT NULL,
	"raw" "bytea" NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "outgoing_email" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "mails" ADD CONSTRAINT "mails_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mails" ADD CONSTRAINT "mails_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mails_environment_id_received_at_index" ON "mails" USING btree ("environment_id","received_at");--> statement-breakpoint
-- Production sends e-mail by default; every other environment keeps it off.
UPDATE "environments" SET "outgoing_email" = true WHERE "type" = 'production';
