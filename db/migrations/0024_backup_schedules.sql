ALTER TABLE "projects" ADD COLUMN "backup_schedules" jsonb;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_environment_id_scheduled_for_index" ON "snapshots" USING btree ("environment_id","scheduled_for");