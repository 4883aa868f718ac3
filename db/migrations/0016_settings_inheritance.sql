ALTER TABLE "deployments" ADD COLUMN "router_digest" text;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "http_access_inherited" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "mail_relay" jsonb;