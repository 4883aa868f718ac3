/**
 * What a click shows at once while the next dashboard page is read on the server: the page's
 * frame (the header stays), with its place held, then the page streams in.
 */
export default function Loading() {
  return (
    <div aria-busy="true" className="animate-pulse space-y-6">
      <p role="status" className="sr-only">
        Loading the page…
      </p>
      <div className="space-y-2">
        <div className="h-7 w-64 max-w-full rounded bg-surface-muted" />
        <div className="h-4 w-40 max-w-full rounded bg-surface-muted" />
      </div>
      <div className="h-9 w-72 max-w-full rounded bg-surface-muted" />
      <div className="space-y-2 rounded-lg border border-border bg-surface p-4">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="h-6 rounded bg-surface-muted" style={{ width: `${90 - i * 12}%` }} />
        ))}
      </div>
    </div>
  );
}
