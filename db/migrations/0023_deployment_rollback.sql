ALTER TABLE "deployments" ADD COLUMN "build_key" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "rollback_of" text;