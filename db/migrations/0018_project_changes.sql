-- A change of one project's rows names the project on the `data_changes` channel ("p:<id>,<id>"),
-- so a server drops only the pages that show those projects (lib/session/page-cache.ts): the
-- tables written all day (environments, activities, deployments, backups, variables, mail) get a
-- trigger per kind of write that reads the statement's rows. Rows whose project is unknown (an
-- environment already deleted), more than 50 projects at once, TRUNCATE and every other table
-- still announce a change of everything (an empty payload, migration 0017).
CREATE OR REPLACE FUNCTION "announce_project_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text;
BEGIN
  SELECT CASE WHEN bool_or(project_id IS NULL) OR count(DISTINCT project_id) > 50 THEN '' ELSE 'p:' || string_agg(DISTINCT project_id, ',') END
    INTO projects FROM changed_rows;
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "announce_environment_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text;
BEGIN
  SELECT CASE WHEN bool_or(e.project_id IS NULL) OR count(DISTINCT e.project_id) > 50 THEN '' ELSE 'p:' || string_agg(DISTINCT e.project_id, ',') END
    INTO projects FROM changed_rows r LEFT JOIN "environments" e ON e.id = r.environment_id;
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('environments', 'announce_project_change'), ('activities', 'announce_project_change'), ('snapshots', 'announce_project_change'),
    ('variables', 'announce_project_change'), ('mails', 'announce_project_change'),
    ('activity_environments', 'announce_environment_change'), ('deployments', 'announce_environment_change')
  ) AS v(tablename, fn) LOOP
    EXECUTE format('DROP TRIGGER "announce_data_change" ON %I', t.tablename);
    EXECUTE format('CREATE TRIGGER "announce_data_change" AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "announce_data_change"()', t.tablename);
    EXECUTE format('CREATE TRIGGER "announce_inserted_rows" AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tablename, t.fn);
    EXECUTE format('CREATE TRIGGER "announce_updated_rows" AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tablename, t.fn);
    EXECUTE format('CREATE TRIGGER "announce_deleted_rows" AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tablename, t.fn);
  END LOOP;
END
$$;
