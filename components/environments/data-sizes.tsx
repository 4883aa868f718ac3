import Link from "next/link";
import { formatBytes } from "@/lib/format-bytes";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { volumeSpecs, volumeSizes } from "@/lib/runtime/volumes";
import { getServiceLines } from "@/lib/topology/get-service-lines";
import { diskUsedText, type ServiceLine } from "@/lib/topology/service-state";
import { logHref, TONE_DOT, TONE_TEXT } from "./site-status";
import { SidePanel } from "./side-panel";

function DataTable({ rows }: { rows: { name: string; kind: string; relPath: string; size: string }[] }) {
  return (
    <SidePanel id="env-data" title="Data">
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
    </SidePanel>
  );
}

/**
 * Each service of services.yaml: its state in words, what runs it, its memory and its disk used
 * of its `disk` (the topology's service nodes say the same), or why it does not run here.
 */
function ServiceList({ projectId, environment, config, lines, used }: { projectId: string; environment: string; config: ProjectConfig; lines: Record<string, ServiceLine | null>; used: Map<string, number> }) {
  const services = Object.entries(lines).filter((e): e is [string, ServiceLine] => e[1] !== null);
  if (services.length === 0) return null;
  return (
    <SidePanel id="env-services" title="Services">
      <ul className="space-y-2 text-xs">
        {services.map(([id, line]) => {
          const bytes = used.get(id);
          const facts = [line.runs, line.memory && `${line.memory} memory`, bytes !== undefined ? `disk ${diskUsedText(bytes, config.services[id]?.disk)}` : null].filter(Boolean);
          return (
            <li key={id} data-testid={`service-${id}`} className="[overflow-wrap:anywhere]">
              <p>
                <span aria-hidden className={`mr-1.5 inline-block size-2 rounded-full ${TONE_DOT[line.tone]}`} />
                <span className="font-mono">{id}</span> <span className={`whitespace-nowrap font-medium ${TONE_TEXT[line.tone]}`}>{line.label}</span>
                {/* Each fact kept whole: the line wraps between them, a separator at the end of its line. */}
                {facts.map((fact) => (
                  <span key={fact} className="text-muted">
                    {"\u00a0· "}
                    <span className="whitespace-nowrap">{fact}</span>
                  </span>
                ))}
                {line.log && line.tone !== "success" ? (
                  <>
                    {" "}
                    <Link href={logHref(projectId, environment, line.log)} className="font-medium text-accent hover:underline">
                      {line.log}.log →
                    </Link>
                  </>
                ) : null}
              </p>
              {line.note ? <p className="text-muted">{line.note}</p> : null}
              {line.detail ? <p className="text-muted">{line.detail}</p> : null}
            </li>
          );
        })}
      </ul>
    </SidePanel>
  );
}

/**
 * Each volume's used size, and each service's state beside its disk. Sizing walks the files
 * (tens of milliseconds at 10,000 files), so the page renders it in a Suspense boundary: the
 * rest of the page does not wait for it. A change of a service's state renders it again (the
 * project's event stream).
 */
export async function DataSizes({ projectId, environment, config }: { projectId: string; environment: string; config: ProjectConfig }) {
  const volumes = await volumeSizes(projectId, environment, config);
  const used = new Map(volumes.filter((v) => v.kind === "service").map((v) => [v.name, v.bytes]));
  // (The page renders this for an environment the user may see, active: an inactive one runs nothing.)
  const services = <ServiceList projectId={projectId} environment={environment} config={config} lines={getServiceLines(projectId, environment, config)} used={used} />;
  if (volumes.length === 0) return services;
  return (
    <>
      <DataTable rows={volumes.map((v) => ({ ...v, size: formatBytes(v.bytes) }))} />
      {services}
    </>
  );
}

/** What shows while the sizes are measured: the same table, sizes pending. */
export function DataSizesPending({ config }: { config: ProjectConfig }) {
  const specs = volumeSpecs(config);
  if (specs.length === 0) return null;
  return <DataTable rows={specs.map((v) => ({ ...v, size: "measuring…" }))} />;
}
