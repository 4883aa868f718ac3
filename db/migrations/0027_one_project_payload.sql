-- What a change of rows announces on `data_changes`, decided in one place for every trigger that
-- names projects (migrations 0018 and 0026 each spelled it out): "p:<id>,<id>" for the projects
-- of the changed rows; '' (a change of everything) when a row's project is unknown or more than 50
-- projects changed at once; nothing (NULL) when no row changed.
CREATE OR REPLACE FUNCTION "project_change_payload"(project_ids text[]) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE WHEN bool_or(id IS NULL) OR count(DISTINCT id) > 50 THEN '' ELSE 'p:' || string_agg(DISTINCT id, ',') END FROM unnest(project_ids) AS id
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "announce_project_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text;
BEGIN
  SELECT project_change_payload(array_agg(project_id)) INTO projects FROM changed_rows;
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "announce_environment_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text;
BEGIN
  SELECT project_change_payload(array_agg(e.project_id)) INTO projects FROM changed_rows r LEFT JOIN "environments" e ON e.id = r.environment_id;
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Rows compared whole, less the columns no kept page shows (migration 0026).
CREATE OR REPLACE FUNCTION "announce_visible_update"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE projects text; unseen text[];
BEGIN
  unseen := TG_ARGV[1:TG_NARGS - 1];
  WITH changed AS (
    SELECT to_jsonb(n) - unseen AS v FROM changed_rows n
    EXCEPT
    SELECT to_jsonb(o) - unseen FROM old_rows o
  )
  SELECT project_change_payload(array_agg(CASE WHEN TG_ARGV[0] = 'project' THEN c.v->>'project_id' ELSE e.project_id END)) INTO projects
    FROM changed c LEFT JOIN "environments" e ON TG_ARGV[0] = 'environment' AND e.id = c.v->>'environment_id';
  IF projects IS NOT NULL THEN PERFORM pg_notify('data_changes', projects); END IF;
  RETURN NULL;
END
$$;
