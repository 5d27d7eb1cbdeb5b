import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [key: string]: unknown;
}

const CHART = join(__dirname, '../../helm/lattice');

/** The helm binary: LATTICE_HELM, else helm on PATH, else Go's bin folder (.ci/run installs it with go install). */
export function helmBinary(): string | undefined {
  for (const candidate of [process.env.LATTICE_HELM, 'helm', join(homedir(), 'go/bin/helm')]) {
    if (candidate && (candidate === 'helm' ? spawnSync('helm', ['version']).status === 0 : existsSync(candidate)))
      return candidate;
  }
  return undefined;
}

/** `helm template` of the chart with these values; the objects, or helm's error. */
export function renderChart(
  helm: string,
  values: Record<string, unknown> = {},
): { objects: KubeObject[]; error?: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'lattice-helm-')), 'values.json');
  writeFileSync(file, JSON.stringify(values));
  const run = spawnSync(helm, ['template', 'test', CHART, '--namespace', 'matrix', '-f', file], { encoding: 'utf8' });
  if (run.status !== 0) return { objects: [], error: run.stderr };
  return { objects: (loadAll(run.stdout) as Array<KubeObject | null>).filter((o): o is KubeObject => o !== null) };
}

/**
 * Validates each object against the Kubernetes OpenAPI schemas offline, with
 * kubernetes-models (and its Prometheus Operator and Gateway API packages):
 * the closest thing to the API server's own validation without one.
 */
export async function schemaProblems(objects: KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const module = object.apiVersion.startsWith('monitoring.coreos.com/')
      ? await import(`@kubernetes-models/prometheus-operator/${object.apiVersion}`)
      : object.apiVersion.startsWith('gateway.networking.k8s.io/')
        ? await import(`@kubernetes-models/gateway-api/${object.apiVersion}`)
        : await import(`kubernetes-models/${object.apiVersion}`);
    const Model = (module as Record<string, new (data: unknown) => { validate(): void }>)[object.kind];
    if (!Model) {
      problems.push(`${object.kind} ${object.metadata.name}: no model for ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      problems.push(`${object.kind} ${object.metadata.name}: ${(e as Error).message}`);
    }
  }
  return problems;
}
