CREATE TABLE "variables" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"environment_id" text,
	"name" text NOT NULL,
	"value" text NOT NULL,
	"is_json" boolean DEFAULT false NOT NULL,
	"is_sensitive" boolean DEFAULT false NOT NULL,
	"visible_build" boolean DEFAULT true NOT NULL,
	"visible_runtime" boolean DEFAULT true NOT NULL,
	"inheritable" boolean DEFAULT true NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "variables_digest" text;--> statement-breakpoint
ALTER TABLE "variables" ADD CONSTRAINT "variables_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "variables" ADD CONSTRAINT "variables_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "variables_project_name" ON "variables" USING btree ("project_id","name") WHERE "variables"."environment_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "variables_environment_name" ON "variables" USING btree ("environment_id","name") WHERE "variables"."environment_id" is not null;