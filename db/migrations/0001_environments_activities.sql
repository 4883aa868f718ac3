CREATE TYPE "public"."activity_result" AS ENUM('success', 'failure');--> statement-breakpoint
CREATE TYPE "public"."activity_state" AS ENUM('pending', 'in_progress', 'complete', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."environment_status" AS ENUM('active', 'inactive', 'dirty', 'deleting');--> statement-breakpoint
CREATE TYPE "public"."environment_type" AS ENUM('production', 'staging', 'development');--> statement-breakpoint
CREATE TABLE "activities" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"environment_id" text,
	"environment_name" text NOT NULL,
	"type" text NOT NULL,
	"state" "activity_state" DEFAULT 'pending' NOT NULL,
	"result" "activity_result",
	"description" text NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"worker_id" text,
	"heartbeat_at" timestamp with time zone,
	"cancel_requested" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "activity_environments" (
	"activity_id" text NOT NULL,
	"environment_id" text NOT NULL,
	CONSTRAINT "activity_environments_activity_id_environment_id_pk" PRIMARY KEY("activity_id","environment_id")
);
--> statement-breakpoint
CREATE TABLE "activity_log_lines" (
	"activity_id" text NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"stream" text NOT NULL,
	"section" text,
	"text" text NOT NULL,
	CONSTRAINT "activity_log_lines_activity_id_seq_pk" PRIMARY KEY("activity_id","seq")
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"activity_id" text,
	"commit" text NOT NULL,
	"tree_id" text NOT NULL,
	"config" jsonb NOT NULL,
	"build_reused" boolean NOT NULL,
	"build_ms" integer NOT NULL,
	"deploy_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text NOT NULL,
	"parent_id" text,
	"type" "environment_type" NOT NULL,
	"status" "environment_status" NOT NULL,
	"deployed_commit" text,
	"deployed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_environments" ADD CONSTRAINT "activity_environments_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_environments" ADD CONSTRAINT "activity_environments_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_log_lines" ADD CONSTRAINT "activity_log_lines_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activities_project_id_created_at_index" ON "activities" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "activities_state_priority_created_at_index" ON "activities" USING btree ("state","priority","created_at");--> statement-breakpoint
CREATE INDEX "activities_environment_id_created_at_index" ON "activities" USING btree ("environment_id","created_at");--> statement-breakpoint
CREATE INDEX "activity_environments_environment_id_index" ON "activity_environments" USING btree ("environment_id");--> statement-breakpoint
CREATE INDEX "deployments_environment_id_created_at_index" ON "deployments" USING btree ("environment_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "environments_project_id_name_index" ON "environments" USING btree ("project_id","name");--> statement-breakpoint
CREATE INDEX "environments_project_id_parent_id_index" ON "environments" USING btree ("project_id","parent_id");