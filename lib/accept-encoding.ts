/** Whether an Accept-Encoding header takes `coding` (named, without q=0). */
export function acceptsEncoding(header: string | string[] | undefined, coding: string): boolean {
  return String(header ?? "")
    .split(",")
    .some((part) => {
      const [name, ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return name?.trim().toLowerCase() === coding && (!q || Number(q.slice(2)) > 0);
    });
}
