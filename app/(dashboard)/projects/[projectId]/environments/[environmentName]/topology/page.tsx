import type { Metadata } from "next";
import { TopologyGraph } from "@/components/topology/topology-graph";
import { Alert } from "@/components/ui/alert";
import { Breadcrumb, environmentCrumbs } from "@/components/ui/breadcrumb";
import { PageHeader } from "@/components/ui/page-header";
import { formatConfigError } from "@/lib/config/parse-config";
import { getEnvironmentFromParams } from "@/lib/session/page-access";
import { getDeployHistory, getEnvironmentTopology } from "@/lib/topology/get-environment-topology";
import { layoutTopology, parsedConfiguration } from "@/lib/topology/topology-layout";
import { DeployHistory } from "@/components/topology/deploy-history";

type Props = { params: Promise<{ projectId: string; environmentName: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { access, env } = await getEnvironmentFromParams(params);
  return { title: `Topology · ${env.title} · ${access.project.title}` };
}

export default async function TopologyPage({ params }: Props) {
  const { access, env, db } = await getEnvironmentFromParams(params);
  const [view, history] = await Promise.all([getEnvironmentTopology(db, access, env), getDeployHistory(db, env)]);
  const projectId = access.project.id;
  return (
    <>
      <Breadcrumb items={environmentCrumbs(access.project, env)} />
      <PageHeader
        title={`Topology of ${env.title}`}
        description={
          view.deployedCommit
            ? `As deployed at commit ${view.deployedCommit.slice(0, 12)}: router, application and services, from the configuration kept with the deployment.`
            : env.status === "inactive" && history.length > 0
              ? "Inactive: nothing is deployed now. The deploy history below is from when it was active."
              : "Not deployed yet."
        }
      />
      {view.topology?.changed ? (
        <div className="mb-4">
          <Alert tone="info">
            <strong>Configuration changed — redeploy to apply.</strong> The branch head ({view.headCommit?.slice(0, 12)}) has a different configuration; changed nodes are marked.
          </Alert>
        </div>
      ) : null}
      {view.variablesChanged ? (
        <div className="mb-4">
          <Alert tone="info">
            <strong>Variables changed — redeploy to apply.</strong> The last deploy ran with other variables; the application is marked.
          </Alert>
        </div>
      ) : null}
      {view.headErrors.length > 0 ? (
        <div className="mb-4">
          <Alert tone="error">
            The branch head&apos;s configuration has errors; the next deploy will fail until they are fixed:
            <ul className="mt-1 list-disc pl-5">
              {view.headErrors.map((e) => (
                <li key={formatConfigError(e)} className="font-mono text-xs">
                  {formatConfigError(e)}
                </li>
              ))}
            </ul>
          </Alert>
        </div>
      ) : null}
      {view.topology ? (
        <TopologyGraph projectId={projectId} environmentName={env.name} topology={view.topology} lastDeploy={view.lastDeploy} used={view.used} excerpts={view.excerpts} layout={await layoutTopology(view.topology)} asParsed={parsedConfiguration(view.topology, view.excerpts)} />
      ) : (
        <p className="text-sm text-muted">The graph appears after the first deploy.</p>
      )}
      <div className="mt-4">
        <DeployHistory projectId={projectId} entries={history} />
      </div>
    </>
  );
}
