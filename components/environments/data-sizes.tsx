import { formatBytes } from "@/lib/format-bytes";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { volumeSpecs, volumeSizes } from "@/lib/runtime/volumes";

function DataTable({ rows }: { rows: { name: string; kind: string; relPath: string; size: string }[] }) {
  return (
    <section aria-labelledby="env-data" className="rounded-lg border border-border bg-surface p-4 text-sm">
      <h2 id="env-data" className="mb-2 font-semibold">
        Data
      </h2>
      <table className="w-full text-xs">
        <thead className="text-left text-muted">
          <tr>
            <th className="font-normal">Volume</th>
            <th className="font-normal">Kind</th>
            <th className="text-right font-normal">Size</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((v) => (
            <tr key={v.relPath}>
              <td className="font-mono">{v.name}</td>
              <td>{v.kind === "service" ? "service" : "mount"}</td>
              <td className="text-right tabular-nums">{v.size}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Each volume's used size. Sizing walks the files (tens of milliseconds at 10,000 files), so
 * the page renders it in a Suspense boundary: the rest of the page does not wait for it.
 */
export async function DataSizes({ projectId, environment, config }: { projectId: string; environment: string; config: ProjectConfig }) {
  const volumes = await volumeSizes(projectId, environment, config);
  if (volumes.length === 0) return null;
  return <DataTable rows={volumes.map((v) => ({ ...v, size: formatBytes(v.bytes) }))} />;
}

/** What shows while the sizes are measured: the same table, sizes pending. */
export function DataSizesPending({ config }: { config: ProjectConfig }) {
  const specs = volumeSpecs(config);
  if (specs.length === 0) return null;
  return <DataTable rows={specs.map((v) => ({ ...v, size: "measuring…" }))} />;
}
