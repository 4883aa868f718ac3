-- An update that changes only what no kept page shows announces nothing (lib/session/page-cache.ts
-- drops a project's pages at each announcement): an activity's dispatch and its worker's
-- bookkeeping (job_id, dispatched_at, worker_id, heartbeat_at: a running deploy's heartbeat
-- dropped its project's page every few seconds), and a cron's last run (cron_states' last_*,
-- shown by the Crons panel, on a page that is not kept; the kept pages show a cron's alert, from
-- failures_in_row and missed_*). Arguments: how the rows name their project ('project':
-- project_id; 'environment': environment_id), then the columns no kept page shows. Rows are
-- compared whole, less those columns: an update that changes anything else is announced as before.
CREATE OR REPLACE FUNCTION "announce_visible_update"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text; unseen text[];
BEGIN
  unseen := TG_ARGV[1:TG_NARGS - 1];
  WITH changed AS (
    SELECT to_jsonb(n) - unseen AS v FROM changed_rows n
    EXCEPT
    SELECT to_jsonb(o) - unseen FROM old_rows o
  ), owners AS (
    SELECT CASE WHEN TG_ARGV[0] = 'project' THEN c.v->>'project_id' ELSE e.project_id END AS project_id
    FROM changed c LEFT JOIN "environments" e ON TG_ARGV[0] = 'environment' AND e.id = c.v->>'environment_id'
  )
  SELECT CASE WHEN bool_or(project_id IS NULL) OR count(DISTINCT project_id) > 50 THEN '' ELSE 'p:' || string_agg(DISTINCT project_id, ',') END
    INTO projects FROM owners;
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER "announce_updated_rows" ON "activities";
--> statement-breakpoint
CREATE TRIGGER "announce_updated_rows" AFTER UPDATE ON "activities" REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "announce_visible_update"('project', 'job_id', 'dispatched_at', 'worker_id', 'heartbeat_at');
--> statement-breakpoint
DROP TRIGGER "announce_updated_rows" ON "cron_states";
--> statement-breakpoint
CREATE TRIGGER "announce_updated_rows" AFTER UPDATE ON "cron_states" REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "announce_visible_update"('environment', 'last_activity_id', 'last_result', 'last_started_at', 'last_duration_ms');
