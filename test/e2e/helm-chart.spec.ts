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
  federationPort: { enabled: true, tlsSecretName: 'federation-tls' },
  operator: { enabled: true },
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
        'Job',
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
    const paths = api.spec.rules.flatMap((r: { matches: Array<{ path: { value: string } }> }) =>
      r.matches.map((m) => m.path.value),
    );
    expect(paths).toContain('/_synapse/admin/.*');
    // One rule per service, so the route table fits the Gateway API's 16 rules per route.
    expect(api.spec.rules.length).toBeLessThanOrEqual(16);
  });

  it('gives every host of every tenant the API routes, with paths the API server accepts', () => {
    const [api] = of(renderChart(helm!, TWO_TENANTS).objects, 'Ingress').filter(
      (i) => i.metadata.name === 'test-lattice',
    );
    const rules = api.spec.rules as Array<{ host: string; http: { paths: Array<{ path: string }> } }>;
    expect(rules.map((r) => r.host)).toEqual(['matrix.one.example', 'chat.one.example', 'matrix.two.example']);
    for (const rule of rules) for (const { path } of rule.http.paths) expect(path.startsWith('/')).toBe(true);
    expect(rules[0].http.paths.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/_synapse/admin/', '/_matrix/federation/']),
    );
  });

  it('keeps each session on one sync worker: the sync paths in an Ingress hashing the access token', () => {
    const ingresses = of(renderChart(helm!, TWO_TENANTS).objects, 'Ingress');
    const named = (name: string) => ingresses.find((i) => i.metadata.name === name)!;
    const backends = (name: string) =>
      new Set(
        (
          named(name).spec.rules as Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }>
        ).flatMap((r) => r.http.paths.map((p) => p.backend.service.name)),
      );
    expect(named('test-lattice-sessions').metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/upstream-hash-by': '$http_authorization$arg_access_token',
    });
    expect(backends('test-lattice-sessions')).toEqual(new Set(['test-lattice-sync']));
    expect(backends('test-lattice').has('test-lattice-sync')).toBe(false);
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

  it('prepares every install and upgrade with a hook Job that names missing secrets and pins bus.partitions', () => {
    const { objects } = renderChart(helm!, { ...TWO_TENANTS, bus: { partitions: 16 } });
    const [job] = of(objects, 'Job');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
    expect(job.spec.backoffLimit).toBe(0);
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['node', 'dist/apps/homeserver/src/prepare-deployment.js']);
    const env = new Map(
      (container.env as Array<{ name: string; value?: string; valueFrom?: any }>).map((e) => [e.name, e]),
    );
    expect(env.get('LATTICE_BUS_PARTITIONS')?.value).toBe('16');
    // A Secret named by reference is optional here, so the Job itself says which one is missing.
    expect(env.get('LATTICE_DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'lattice-db', key: 'url', optional: true },
    });
    expect(JSON.parse(env.get('LATTICE_REQUIRED_SECRETS')!.value!)).toEqual([
      { env: 'LATTICE_DATABASE_URL', source: 'Secret lattice-db, key url (value postgresUrl)' },
    ]);
    // Given values reach the Job through a hook Secret made before it (the release's Secret does not exist yet).
    const hookSecret = of(objects, 'Secret').find((o) => o.metadata.annotations?.['helm.sh/hook'])!;
    expect(hookSecret.metadata.annotations).toMatchObject({ 'helm.sh/hook-weight': '-5' });
    expect(env.get('LATTICE_NATS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: hookSecret.metadata.name, key: 'natsUrl' },
    });
    for (const deployment of of(objects, 'Deployment').filter((d) => !d.metadata.name.endsWith('-operator')))
      expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
        name: 'LATTICE_BUS_PARTITIONS',
        value: '16',
      });
  });

  it('serves federation on 8448 with TLS from a Secret when asked', () => {
    const { objects } = renderChart(helm!, TWO_TENANTS);
    const service = of(objects, 'Service').find((o) => o.metadata.name === 'test-lattice-federation')!;
    expect(service.spec).toMatchObject({
      type: 'LoadBalancer',
      ports: [{ name: 'federation', port: 8448, targetPort: 'federation' }],
    });
    const federation = of(objects, 'Deployment').find((d) => d.metadata.name === 'test-lattice-federation-api')!;
    const pod = federation.spec.template.spec;
    expect(pod.containers[0].ports).toContainEqual({ name: 'federation', containerPort: 8448 });
    expect(pod.containers[0].env).toContainEqual({ name: 'LATTICE_FEDERATION_TLS_PORT', value: '8448' });
    expect(pod.volumes).toContainEqual({ name: 'federation-tls', secret: { secretName: 'federation-tls' } });
    expect(renderChart(helm!, { federationPort: { enabled: true } }).error).toMatch(/tlsSecretName is required/);
  });

  it('runs the tenant operator with a token allowed only its LatticeTenants, Secrets and routing objects', () => {
    const { objects } = renderChart(helm!, TWO_TENANTS);
    const role = of(objects, 'Role').find((r) => r.metadata.name === 'test-lattice-operator')!;
    expect(
      (role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>).map((r) => [
        ...r.apiGroups,
        r.resources.join(' '),
        r.verbs.join(' '),
      ]),
    ).toEqual([
      ['lattice.dev', 'latticetenants', 'get list watch patch update'],
      ['lattice.dev', 'latticetenants/status latticetenants/finalizers', 'get patch update'],
      ['', 'secrets', 'get list watch'],
      ['networking.k8s.io', 'ingresses', 'get create patch delete'],
      ['gateway.networking.k8s.io', 'httproutes', 'get create patch delete'],
    ]);
    const operator = of(objects, 'Deployment').find((d) => d.metadata.name === 'test-lattice-operator')!;
    expect(operator.spec.template.spec).toMatchObject({
      serviceAccountName: 'test-lattice-operator',
      automountServiceAccountToken: true,
    });
    const env = operator.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env).toContainEqual({ name: 'LATTICE_ADMIN_URL', value: 'http://test-lattice-client-api:8008' });
    expect(JSON.parse(env.find((e) => e.name === 'LATTICE_OPERATOR_ROUTES')!.value!)).toMatchObject({
      servicePrefix: 'test-lattice',
      wellKnown: true,
      ingress: { className: 'nginx' },
      gatewayApi: { parentRefs: expect.any(Array) },
    });
    expect(renderChart(helm!, { operator: { enabled: true } }).error).toMatch(/operator.enabled needs adminToken/);
  });

  it('gives the hook Job a token that may create Secrets and read only the ones it generates, when it has some', () => {
    const { objects } = renderChart(helm!, TWO_TENANTS);
    const role = of(objects, 'Role').find((r) => r.metadata.name === 'test-lattice-prepare')!;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['lattice-admin'], verbs: ['get', 'patch'] },
    ]);
    const job = of(objects, 'Job')[0]!.spec.template.spec;
    expect(job).toMatchObject({ serviceAccountName: 'test-lattice-prepare', automountServiceAccountToken: true });
    expect(job.containers[0].env).toContainEqual({
      name: 'LATTICE_GENERATED_SECRETS',
      value: JSON.stringify([
        { key: 'shared-secret', secretName: 'lattice-admin', setting: 'registrationSharedSecret' },
      ]),
    });
    const plain = renderChart(helm!).objects;
    expect(of(plain, 'Role')).toEqual([]);
    expect(of(plain, 'Job')[0]!.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('has a helm test that checks the API and every role', () => {
    const [test] = of(renderChart(helm!).objects, 'Pod');
    expect(test.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    expect(JSON.stringify(test.spec)).toContain('/_matrix/client/versions');
  });
});
