import { helmBinary, renderChart, schemaProblems, type KubeObject } from '../support/helm';

const helm = helmBinary();
if (!helm)
  process.stderr.write(
    'helm-chart.spec: SKIPPED, no helm binary (set LATTICE_HELM; .ci/run installs it with go install helm.sh/helm/v3/cmd/helm)\n',
  );
const describeWithHelm = helm ? describe : describe.skip;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Two tenants, several replicas, secrets from existing Secrets, ServiceMonitor on. */
const TWO_TENANTS = {
  tenants: [
    {
      serverName: 'one.example',
      publicBaseUrl: 'https://matrix.one.example',
      hostnames: ['chat.one.example'],
      registration: { mode: 'token' },
    },
    {
      serverName: 'two.example',
      publicBaseUrl: 'https://matrix.two.example',
      federationHost: 'matrix.two.example:443',
    },
  ],
  postgresUrl: { secretName: 'lattice-db', key: 'url' },
  registrationSharedSecret: { secretName: 'lattice-admin', key: 'shared-secret' },
  adminToken: { value: 'operator-token' },
  roles: {
    'client-api': {
      replicas: 4,
      resources: {},
      autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 20, targetCPUUtilizationPercentage: 60 },
    },
    sync: { replicas: 3, resources: {}, autoscaling: { enabled: false } },
    'room-server': { replicas: 3, resources: {} },
    'federation-api': { replicas: 2, resources: {} },
    media: { replicas: 2, resources: {} },
  },
  metrics: { serviceMonitor: { enabled: true } },
  gatewayApi: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateway' }] },
};

describeWithHelm('the Helm chart', () => {
  const of = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);

  it('renders with default values into objects the Kubernetes schemas accept', async () => {
    const { objects, error } = renderChart(helm!);
    expect(error).toBeUndefined();
    expect(await schemaProblems(objects)).toEqual([]);
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set([
        'Secret',
        'ConfigMap',
        'Deployment',
        'Service',
        'ServiceAccount',
        'PodDisruptionBudget',
        'HorizontalPodAutoscaler',
        'Ingress',
        'NetworkPolicy',
        'Pod',
      ]),
    );
  });

  it('renders a two-tenant, multi-replica deployment into objects the Kubernetes schemas accept', async () => {
    const { objects, error } = renderChart(helm!, TWO_TENANTS);
    expect(error).toBeUndefined();
    expect(await schemaProblems(objects)).toEqual([]);
    expect(of(objects, 'ServiceMonitor')).toHaveLength(1);
    expect(of(objects, 'HTTPRoute').map((r) => r.metadata.name)).toEqual(['test-lattice', 'test-lattice-well-known']);
  });

  it('offers Gateway API HTTPRoutes with the same routes and hosts as the Ingress', () => {
    const [api] = of(renderChart(helm!, TWO_TENANTS).objects, 'HTTPRoute');
    expect(api.spec.hostnames).toEqual(['matrix.one.example', 'chat.one.example', 'matrix.two.example']);
    expect(
      api.spec.rules.map((r: { matches: Array<{ path: { value: string } }> }) => r.matches[0].path.value),
    ).toContain('/_synapse/admin/.*');
  });

  it('gives every host of every tenant the API routes, with paths the API server accepts', () => {
    const [api] = of(renderChart(helm!, TWO_TENANTS).objects, 'Ingress').filter(
      (i) => !i.metadata.name.endsWith('well-known'),
    );
    const rules = api.spec.rules as Array<{ host: string; http: { paths: Array<{ path: string }> } }>;
    expect(rules.map((r) => r.host)).toEqual(['matrix.one.example', 'chat.one.example', 'matrix.two.example']);
    for (const rule of rules) for (const { path } of rule.http.paths) expect(path.startsWith('/')).toBe(true);
    expect(rules[0].http.paths.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/_synapse/admin/', '/_matrix/federation/']),
    );
  });

  it('serves /.well-known/matrix/server and /client on each server-name domain', () => {
    const [wellKnown] = of(renderChart(helm!, TWO_TENANTS).objects, 'Ingress').filter((i) =>
      i.metadata.name.endsWith('well-known'),
    );
    const rules = wellKnown.spec.rules as Array<{
      host: string;
      http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string } } }> };
    }>;
    expect(rules.map((r) => r.host)).toEqual(['one.example', 'two.example']);
    expect(rules[0].http.paths.map((p) => `${p.pathType} ${p.path} -> ${p.backend.service.name}`)).toEqual([
      'Exact /.well-known/matrix/server -> test-lattice-federation-api',
      'Exact /.well-known/matrix/client -> test-lattice-client-api',
    ]);
  });

  it('runs every role as a restricted, non-root pod without a service account token', () => {
    for (const deployment of of(renderChart(helm!).objects, 'Deployment')) {
      const pod = deployment.spec.template.spec;
      expect(pod).toMatchObject({
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      });
      expect(pod.serviceAccountName).toBe(deployment.metadata.name);
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0].startupProbe.httpGet.path).toBe('/health/live');
    }
  });

  it('scales client-api and sync with an HPA whose target exists, and covers every role with a PDB that selects its pods', () => {
    const { objects } = renderChart(helm!);
    const deployments = new Map(of(objects, 'Deployment').map((d) => [d.metadata.name, d]));
    expect(
      of(objects, 'HorizontalPodAutoscaler')
        .map((h) => h.spec.scaleTargetRef.name)
        .sort(),
    ).toEqual(['test-lattice-client-api', 'test-lattice-sync']);
    for (const hpa of of(objects, 'HorizontalPodAutoscaler'))
      expect(deployments.get(hpa.spec.scaleTargetRef.name)?.spec.replicas).toBeUndefined();
    for (const pdb of of(objects, 'PodDisruptionBudget')) {
      const target = deployments.get(pdb.metadata.name)!;
      expect(target.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    }
  });

  it('takes every secret from a Secret: existing ones by reference, given values from its own Secret', () => {
    const { objects } = renderChart(helm!, TWO_TENANTS);
    const clientApi = of(objects, 'Deployment').find((d) => d.metadata.name === 'test-lattice-client-api')!;
    const env = Object.fromEntries(
      (
        clientApi.spec.template.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: unknown }>
      ).map((e) => [e.name, e.valueFrom ?? e.value]),
    );
    expect(env.LATTICE_DATABASE_URL).toEqual({ secretKeyRef: { name: 'lattice-db', key: 'url' } });
    expect(env.LATTICE_REGISTRATION_SHARED_SECRET).toEqual({
      secretKeyRef: { name: 'lattice-admin', key: 'shared-secret' },
    });
    expect(env.LATTICE_ADMIN_TOKEN).toEqual({ secretKeyRef: { name: 'test-lattice-secrets', key: 'adminToken' } });
    const configMap = of(objects, 'ConfigMap')[0];
    expect(JSON.stringify(configMap)).not.toMatch(/operator-token|postgresql:/);
  });

  it('rolls the pods when the configuration changes', () => {
    const checksum = (values: Record<string, unknown>) =>
      of(renderChart(helm!, values).objects, 'Deployment')[0].spec.template.metadata.annotations['checksum/config'];
    expect(checksum({ config: { presence: { enabled: false } } })).not.toBe(checksum({}));
  });

  it('names every object as Kubernetes requires (DNS labels for Services)', () => {
    for (const object of renderChart(helm!, TWO_TENANTS).objects) {
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
      if (object.kind === 'Service') expect(object.metadata.name).toMatch(DNS_LABEL);
    }
  });

  it('refuses values the server would refuse: registration tokens in values, a bad server name, an unknown setting', () => {
    expect(
      renderChart(helm!, {
        tenants: [{ serverName: 'a.example', registration: { mode: 'token', tokens: ['secret'] } }],
      }).error,
    ).toMatch(/tokens/);
    expect(renderChart(helm!, { tenants: [{ serverName: 'not a host!' }] }).error).toMatch(/serverName/);
    expect(renderChart(helm!, { config: { presense: {} } }).error).toMatch(/presense/);
  });

  it('has a helm test that checks the API and every role', () => {
    const [test] = of(renderChart(helm!).objects, 'Pod');
    expect(test.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    expect(JSON.stringify(test.spec)).toContain('/_matrix/client/versions');
  });
});
