import "server-only";
import type { Db } from "@/db/client";
import { getActivityLog } from "./queue";

/** The raw text of a log, read page by page as the client takes it (memory stays bounded). */
export function openLogDownload(db: Db, activityId: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const lines = await getActivityLog(db, activityId, after, 5_000);
      if (lines.length === 0) {
        controller.close();
        return;
      }
      after = lines.at(-1)!.seq;
      controller.enqueue(encoder.encode(lines.map((l) => `${l.text}\n`).join("")));
    },
  });
}
