import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { freePort } from '../../tools/net/free-port';

/**
 * A real Kubernetes API server with no nodes (envtest-style): etcd from
 * Debian (etcd-server) and kube-apiserver built from the Go module proxy
 * (k8s.io/kubernetes), given by LATTICE_ETCD and LATTICE_KUBE_APISERVER.
 * Enough for server-side validation and admission of a chart's objects;
 * nothing is scheduled, so pods stay Pending.
 */
export interface KubeApiServer {
  kubeconfig: string;
  /** GET on the API, as the cluster admin. */
  get(path: string): Promise<{ status: number; body: any }>;
  /** POST of a JSON object, as the cluster admin (with ?dryRun=All: validated and admitted, not stored). */
  post(path: string, body: unknown): Promise<{ status: number; body: any }>;
  /** A kubeconfig file that authenticates with another bearer token (e.g. a ServiceAccount's, from a TokenRequest). */
  kubeconfigFor(token: string): string;
  stop(): Promise<void>;
}

export function kubeBinaries(): { etcd: string; apiserver: string } | undefined {
  const etcd = process.env.LATTICE_ETCD ?? '/usr/bin/etcd';
  const apiserver = process.env.LATTICE_KUBE_APISERVER;
  return apiserver && existsSync(apiserver) && existsSync(etcd) ? { etcd, apiserver } : undefined;
}

export async function startKubeApiServer(binaries: { etcd: string; apiserver: string }): Promise<KubeApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const etcd = spawn(
    binaries.etcd,
    [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
    ],
    { stdio: 'ignore' },
  );
  children.push(etcd);
  const key = join(dir, 'sa.key');
  const pub = join(dir, 'sa.pub');
  spawnSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' });
  spawnSync('openssl', ['rsa', '-in', key, '-pubout', '-out', pub], { stdio: 'ignore' });
  const token = 'lattice-test-admin-token';
  writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
  const apiserver = spawn(
    binaries.apiserver,
    [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pub}`,
      `--service-account-signing-key-file=${key}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // Pod Security admission enforces "restricted" on the test namespace (its label): the chart must pass it.
      '--enable-admission-plugins=PodSecurity',
      '--disable-admission-plugins=ServiceAccount',
    ],
    { stdio: ['ignore', 'ignore', process.env.LATTICE_TEST_LOGS ? 'inherit' : 'ignore'] },
  );
  children.push(apiserver);
  const base = `https://127.0.0.1:${apiPort}`;
  // The API server's certificate is self-signed for the test: not verified.
  const call = (method: string, path: string, payload?: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          rejectUnauthorized: false,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // /readyz answers plain text.
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('error', reject);
      req.end(payload === undefined ? undefined : JSON.stringify(payload));
    });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (apiserver.exitCode !== null) throw new Error(`kube-apiserver exited with ${apiserver.exitCode}`);
    const ready = await call('GET', '/readyz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('kube-apiserver did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let kubeconfigs = 0;
  const kubeconfigFor = (bearer: string) => {
    const file = join(dir, `kubeconfig-${kubeconfigs++}`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: base, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'user', user: { token: bearer } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'user' } }],
        'current-context': 'test',
      }),
    );
    return file;
  };
  return {
    kubeconfig: kubeconfigFor(token),
    kubeconfigFor,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    stop: async () => {
      for (const child of children.reverse()) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
