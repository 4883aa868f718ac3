-- Every committed change to what a page shows is announced on the `data_changes` channel
-- (one NOTIFY per transaction: Postgres folds equal notifications), so each server can drop
-- the pages it rendered before the change (lib/session/page-cache.ts). Log lines and
-- sign-in attempts are left out: no cached page shows them, and they are written often.
CREATE OR REPLACE FUNCTION "announce_data_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('data_changes', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('activity_log_chunks', 'sign_in_attempts') LOOP
    EXECUTE format('CREATE TRIGGER "announce_data_change" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "announce_data_change"()', t.tablename);
  END LOOP;
END
$$;
