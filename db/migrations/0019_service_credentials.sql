CREATE TABLE "service_credentials" (
	"environment_id" text NOT NULL,
	"service_id" text NOT NULL,
	"engine" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_credentials_environment_id_service_id_pk" PRIMARY KEY("environment_id","service_id")
);
--> statement-breakpoint
ALTER TABLE "service_credentials" ADD CONSTRAINT "service_credentials_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;