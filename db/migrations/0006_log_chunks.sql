CREATE TABLE "activity_log_chunks" (
	"activity_id" text NOT NULL,
	"first_seq" integer NOT NULL,
	"last_seq" integer NOT NULL,
	"packed" "bytea",
	"lines" text,
	CONSTRAINT "activity_log_chunks_activity_id_first_seq_pk" PRIMARY KEY("activity_id","first_seq")
);
--> statement-breakpoint
ALTER TABLE "activity_log_chunks" ADD CONSTRAINT "activity_log_chunks_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activity_log_chunks_activity_id_last_seq_index" ON "activity_log_chunks" USING btree ("activity_id","last_seq");--> statement-breakpoint
-- Existing logs move over: one chunk per stored line.
INSERT INTO "activity_log_chunks" ("activity_id", "first_seq", "last_seq", "lines")
SELECT "activity_id", "seq", "seq",
  json_build_array(json_build_array("seq", (extract(epoch from "at") * 1000)::bigint,
    CASE "stream" WHEN 'stderr' THEN 'e' WHEN 'system' THEN 's' ELSE 'o' END, "section", "text"))::text
FROM "activity_log_lines";
--> statement-breakpoint
-- Chunks arrive deflated by the worker: Postgres need not try to compress them again.
ALTER TABLE "activity_log_chunks" ALTER COLUMN "packed" SET STORAGE EXTERNAL;
