/**
 * Where runtime work (hooks, deploys) writes its log: the engine's activity log implements
 * it, tests record into one. Runtime knows nothing else of activities.
 */
export interface LogSink {
  line(text: string, stream?: "stdout" | "stderr" | "system"): void;
  /** The part of the log the next lines belong to (build, deploy, post-deploy), or none. */
  setSection(name: string | null): void;
  /** Too many lines wait to be stored: stop reading the hook until drained() resolves. */
  isBackedUp(): boolean;
  drained(): Promise<void>;
}

/** The longest line a log keeps; a longer one is cut to CUT_KEEP_BYTES with a marker. */
export const MAX_LINE_BYTES = 16 * 1024;
export const CUT_KEEP_BYTES = MAX_LINE_BYTES - 64;
