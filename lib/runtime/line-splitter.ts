import { CUT_KEEP_BYTES, MAX_LINE_BYTES, type LogSink } from "./log-sink";

/**
 * Splits a process's output (a hook's, an environment's long-lived process's) into lines for its log. Memory stays bounded: a line longer
 * than the log keeps is cut while it is read (the rest is counted, not held).
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  private partialBytes = 0;
  private cutBytes = 0; // bytes of the current over-long line beyond what `partial` keeps

  constructor(
    private readonly log: Pick<LogSink, "line">,
    private readonly stream: "stdout" | "stderr",
  ) {}

  push(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (this.cutBytes > 0) this.emit(this.partial, this.partialBytes + Buffer.byteLength(text.slice(start, nl)));
      else this.emit(this.partial + text.slice(start, nl), 0);
      this.partial = "";
      this.partialBytes = 0;
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (this.cutBytes > 0) this.cutBytes += Buffer.byteLength(rest);
    else if (rest.length > 0) {
      this.partial += rest;
      this.partialBytes += Buffer.byteLength(rest);
      if (this.partialBytes > MAX_LINE_BYTES) {
        const kept = Buffer.from(this.partial).subarray(0, CUT_KEEP_BYTES).toString("utf8").replace(/\uFFFD$/, "");
        this.cutBytes = this.partialBytes - Buffer.byteLength(kept);
        this.partial = kept;
        this.partialBytes = Buffer.byteLength(kept);
      }
    }
  }

  end(): void {
    const tail = this.partial + this.decoder.decode();
    if (tail.length > 0 || this.cutBytes > 0) this.emit(tail, this.partialBytes);
  }

  private emit(text: string, bytes: number) {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    this.log.line(this.cutBytes > 0 ? `${line} … [line cut: ${bytes + this.cutBytes} bytes]` : line, this.stream);
    this.cutBytes = 0;
  }
}
