-- The project page shows a cron's alert from `cron_states` (lib/crons/cron-status.ts): a change of
-- it names its project on the `data_changes` channel, as activities and deployments do (0018), so a
-- kept page is dropped when a cron fails or misses a run. `cron_runs` is read by no page.
CREATE TRIGGER "announce_data_change" AFTER TRUNCATE ON "cron_states" FOR EACH STATEMENT EXECUTE FUNCTION "announce_data_change"();
--> statement-breakpoint
CREATE TRIGGER "announce_inserted_rows" AFTER INSERT ON "cron_states" REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "announce_environment_change"();
--> statement-breakpoint
CREATE TRIGGER "announce_updated_rows" AFTER UPDATE ON "cron_states" REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "announce_environment_change"();
--> statement-breakpoint
CREATE TRIGGER "announce_deleted_rows" AFTER DELETE ON "cron_states" REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "announce_environment_change"();
