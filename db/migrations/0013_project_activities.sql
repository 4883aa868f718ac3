ALTER TABLE "activities" ALTER COLUMN "environment_name" DROP NOT NULL;--> statement-breakpoint
-- Deploys now record a fingerprint of the stored variables (see lib/variables/resolve.ts variablesStamp): older records are unknown.
UPDATE "deployments" SET "variables_digest" = NULL;
