ALTER TABLE "environments" ADD COLUMN "http_access" jsonb DEFAULT '{"enabled":false,"logins":[],"rules":[]}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "restrict_robots" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "auto_pause_days" integer DEFAULT 14 NOT NULL;--> statement-breakpoint
-- Production is visible to search engines by default; every other environment is hidden.
UPDATE "environments" SET "restrict_robots" = false WHERE "type" = 'production';
