ALTER TABLE "activities" ADD COLUMN "job_id" text;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "dispatched_at" timestamp with time zone;