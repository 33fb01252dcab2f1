import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, ON_CHANGE_MARKER_DIR, type AgentConfig } from '../contract/index.ts';
import { credentialEnvNames, storeEnvName } from '../providers/index.ts';
import { AGENT_HEALTH_PORT, AGENT_STARTUP_PATH } from '../agent/index.ts';
import { applyPatch, describePlan, injectManifests, injectPod, InjectionDenied, podProblems, ServiceAccountNotLoaded, type InjectContext } from './index.ts';
import { clusterStore, contextOf, denialOf, externalSecret, NS, pod, store, TEST_CA_PEM } from '../test/helpers/injector-fixtures.ts';

const baseObjects = [store('fake'), externalSecret('db'), externalSecret('api')];
const ctx = (extra: Partial<InjectContext> = {}, objects = baseObjects): InjectContext => contextOf(objects, extra);
const config = (p: Pod): AgentConfig => JSON.parse(p.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
const agentOf = (p: Pod): Container => [...(p.spec.initContainers ?? []), ...p.spec.containers].find((c) => c.name === 'esi-agent')!;

const denied = (p: Pod, c: InjectContext = ctx()): InjectionDenied => denialOf(() => injectPod(p, c));

describe('injectPod', () => {
  it('adds a native sidecar agent before the user init containers, with a startup probe, volumes, mounts and config', () => {
    const input = pod({ 'esi.dev/external-secrets': 'db,api' }, { initContainers: [{ name: 'migrate', image: 'm' }] });
    const r = injectPod(input, ctx());
    const init = r.pod.spec.initContainers!;
    expect(init.map((c) => c.name)).toEqual(['esi-agent', 'migrate']);
    expect(init[0]!.restartPolicy).toBe('Always');
    expect(init[0]!.startupProbe?.httpGet).toEqual({ path: AGENT_STARTUP_PATH, port: AGENT_HEALTH_PORT });
    expect(init[0]!.args).toEqual(['agent', '--config', '/etc/esi/agent-config.json', '--mode', 'sidecar']);
    expect(r.pod.spec.volumes).toContainEqual({ name: 'esi-secrets', emptyDir: { medium: 'Memory' } });
    expect(r.pod.spec.volumes!.find((v) => v.name === 'esi-config')!.downwardAPI!.items[0]!.fieldRef!.fieldPath).toBe(
      "metadata.annotations['esi.dev/agent-config']",
    );
    for (const c of [r.pod.spec.containers[0]!, init[1]!]) {
      expect(c.volumeMounts).toContainEqual({ name: 'esi-secrets', mountPath: '/var/run/secrets/esi', readOnly: true });
    }
    const cfg = config(r.pod);
    expect(cfg.mountPath).toBe('/var/run/secrets/esi');
    expect(cfg.externalSecrets.map((e) => [e.dir, e.externalSecret.metadata.name])).toEqual([['db', 'db'], ['api', 'api']]);
    expect(Object.keys(cfg.stores)).toEqual(['SecretStore/fake']);
    expect(cfg.pod).toEqual({ namespace: NS, serviceAccountName: 'default' });
    // value-free and churn-free: no status, no resourceVersion
    expect(JSON.stringify(cfg)).not.toContain('resourceVersion');
    expect(cfg.externalSecrets[0]!.externalSecret['status']).toBeUndefined();
    expect(applyPatch(input, r.patch)).toEqual(r.pod);
    expect(input.spec.initContainers).toHaveLength(1); // input untouched
  });

  it('leaves a pod without the opt-in label untouched', () => {
    const input = pod({ 'esi.dev/external-secrets': 'db' }, {}, { app: 'web' });
    const r = injectPod(input, ctx());
    expect(r.plan).toBeNull();
    expect(r.patch).toEqual([]);
    expect(r.pod).toEqual(input);
  });

  it('uses an init agent plus a classic sidecar where native sidecars are not available', () => {
    const r = injectPod(pod(), ctx({ cluster: { nativeSidecars: false } }));
    expect(r.pod.spec.initContainers!.map((c) => [c.name, c.restartPolicy, c.args!.at(-1)])).toEqual([['esi-agent-init', undefined, 'init']]);
    expect(r.pod.spec.containers.map((c) => c.name)).toEqual(['app', 'esi-agent']);
    expect(r.pod.spec.containers[1]!.args!.at(-1)).toBe('sidecar');
    expect(podProblems(r.pod)).toEqual([]);
  });

  it('never gives a Job pod a classic sidecar', () => {
    const job = pod(undefined, { restartPolicy: 'Never' });
    const r = injectPod(job, ctx({ cluster: { nativeSidecars: false } }));
    expect(r.pod.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(r.pod.spec.initContainers!.map((c) => c.name)).toEqual(['esi-agent-init']);
    expect(r.warnings.join()).toMatch(/no classic sidecar/);
    const e = denied(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'sidecar' }, { restartPolicy: 'OnFailure' }), ctx({ cluster: { nativeSidecars: false } }));
    expect(e.message).toMatch(/^esi\.dev\/mode: "sidecar" is not valid for a Job's pod/);
    // with native sidecars a Job keeps the sidecar: it does not block completion
    expect(injectPod(job, ctx()).pod.spec.initContainers![0]!.restartPolicy).toBe('Always');
  });

  it.each([
    ['init', true, [['esi-agent-init', undefined]], ['app']],
    ['sidecar', true, [['esi-agent', 'Always']], ['app']],
    ['both', true, [['esi-agent', 'Always']], ['app']],
    ['init', false, [['esi-agent-init', undefined]], ['app']],
    ['sidecar', false, [], ['app', 'esi-agent']],
    ['both', false, [['esi-agent-init', undefined]], ['app', 'esi-agent']],
  ] as const)('mode %s, native sidecars %s', (mode, native, init, containers) => {
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mode': mode }), ctx({ cluster: { nativeSidecars: native } }));
    expect((r.pod.spec.initContainers ?? []).map((c) => [c.name, c.restartPolicy])).toEqual(init);
    expect(r.pod.spec.containers.map((c) => c.name)).toEqual(containers);
    const probe = (r.pod.spec.initContainers ?? []).some((c) => c.startupProbe);
    expect(probe).toBe(mode === 'both' && native);
  });

  it('is idempotent: injecting the injected pod changes nothing', () => {
    for (const native of [true, false]) {
      const first = injectPod(pod(), ctx({ cluster: { nativeSidecars: native } }));
      const again = injectPod(first.pod, ctx({ cluster: { nativeSidecars: native } }));
      expect(again.patch).toEqual([]);
      expect(again.pod).toEqual(first.pod);
    }
  });

  it('is idempotent on the pod as the apiserver stored it (defaults filled in: fieldRef apiVersion, defaultMode)', () => {
    const first = injectPod(pod(), ctx());
    const stored = structuredClone(first.pod);
    for (const v of stored.spec.volumes ?? []) {
      const d = (v as { downwardAPI?: { defaultMode?: number; items?: { fieldRef?: Record<string, string> }[] } }).downwardAPI;
      if (!d) continue;
      d.defaultMode = 420;
      for (const item of d.items ?? []) if (item.fieldRef) item.fieldRef = { apiVersion: 'v1', ...item.fieldRef };
    }
    expect(injectPod(stored, ctx()).patch).toEqual([]);
  });

  it('on reinvocation keeps what another webhook added to the agent and copies identity added since', () => {
    const first = injectPod(pod(), ctx());
    const later = structuredClone(first.pod);
    // another webhook (e.g. EKS Pod Identity) ran after esi and touched every container
    for (const c of [...later.spec.initContainers!, ...later.spec.containers]) {
      c.env = [...(c.env ?? []), { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' }, { name: 'OTHER', value: '1' }];
    }
    const again = injectPod(later, ctx());
    const names = agentOf(again.pod).env!.map((e) => e.name);
    expect(names).toContain('OTHER');
    expect(names.filter((n) => n === 'AWS_CONTAINER_CREDENTIALS_FULL_URI')).toHaveLength(1);
    expect(injectPod(again.pod, ctx()).patch).toEqual([]);
  });

  it('never collides with names the user chose', () => {
    const input = pod(undefined, {
      containers: [{ name: 'esi-agent', image: 'user', volumeMounts: [{ name: 'esi-secrets', mountPath: '/data' }] }],
      volumes: [{ name: 'esi-secrets', emptyDir: {} }, { name: 'esi-config', emptyDir: {} }],
    });
    const r = injectPod(input, ctx());
    expect(r.pod.spec.initContainers![0]!.name).toBe('esi-agent-2');
    expect(r.pod.spec.volumes!.map((v) => v.name)).toEqual(['esi-secrets', 'esi-config', 'esi-secrets-2', 'esi-config-2']);
    expect(r.pod.spec.containers[0]!.volumeMounts).toEqual([
      { name: 'esi-secrets', mountPath: '/data' },
      { name: 'esi-secrets-2', mountPath: '/var/run/secrets/esi', readOnly: true },
    ]);
    expect(r.pod.spec.containers[0]!.image).toBe('user');
    expect(injectPod(r.pod, ctx()).patch).toEqual([]);
    expect(podProblems(r.pod)).toEqual([]);
  });

  it('mounts only into the containers named by esi.dev/containers, at esi.dev/mount-path', () => {
    const input = pod(
      { 'esi.dev/external-secrets': 'db', 'esi.dev/containers': 'api', 'esi.dev/mount-path': '/secrets/' },
      { containers: [{ name: 'api', image: 'a' }, { name: 'proxy', image: 'p' }] },
    );
    const r = injectPod(input, ctx());
    expect(r.pod.spec.containers[0]!.volumeMounts).toEqual([{ name: 'esi-secrets', mountPath: '/secrets', readOnly: true }]);
    expect(r.pod.spec.containers[1]!.volumeMounts).toBeUndefined();
    expect(agentOf(r.pod).volumeMounts![0]).toEqual({ name: 'esi-secrets', mountPath: '/secrets' });
    expect(config(r.pod).mountPath).toBe('/secrets');
  });

  it('hardens the agent for the restricted Pod Security Standard', () => {
    const a = agentOf(injectPod(pod(), ctx()).pod);
    expect(a.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(a.resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/agent-memory-limit': '256Mi', 'esi.dev/agent-cpu-request': '50m' }), ctx());
    expect(agentOf(r.pod).resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  it('copies EKS Pod Identity and IRSA env and token mounts from the app containers to the agent', () => {
    const input = pod(undefined, {
      containers: [
        {
          name: 'app',
          image: 'a',
          env: [
            { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' },
            { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token' },
            { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/app' },
            { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
            { name: 'AWS_REGION', value: 'eu-west-1' },
            { name: 'APP_ONLY', value: 'x' },
          ],
          volumeMounts: [
            { name: 'eks-pod-identity-token', mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', readOnly: true },
            { name: 'aws-iam-token', mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'eks-pod-identity-token', projected: { sources: [{ serviceAccountToken: { audience: 'pods.eks.amazonaws.com', path: 'eks-pod-identity-token' } }] } },
        { name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', path: 'token' } }] } },
      ],
    });
    const a = agentOf(injectPod(input, ctx()).pod);
    const env = Object.fromEntries(a.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toBe('http://169.254.170.23/v1/credentials');
    expect(env['AWS_ROLE_ARN']).toBe('arn:aws:iam::111122223333:role/app');
    expect(env['AWS_REGION']).toBe('eu-west-1');
    expect(env['APP_ONLY']).toBeUndefined();
    expect(env['ESI_POD_NAME']).toEqual({ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } });
    expect(a.volumeMounts!.map((m) => m.name)).toEqual(['esi-secrets', 'esi-config', 'eks-pod-identity-token', 'aws-iam-token']);
  });

  it('gives the agent a projected token with the Vault store audience, and secretKeyRef env for static credentials', () => {
    const objects = [
      store('vault', { vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'default', audiences: ['vault'] } } } } }),
      store('aws', {
        aws: {
          service: 'SecretsManager',
          region: 'eu-west-1',
          auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws-creds', key: 'id' }, secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret' } } },
        },
      }),
      externalSecret('v', 'vault'),
      externalSecret('s', 'aws'),
    ];
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'v,s' }), ctx({}, objects));
    const vol = r.pod.spec.volumes!.find((v) => v.name === 'esi-vault-token')!;
    expect(vol.projected!.sources).toEqual([{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'vault' } }]);
    const a = agentOf(r.pod);
    expect(a.volumeMounts).toContainEqual({ name: 'esi-vault-token', mountPath: '/var/run/secrets/esi.dev/vault', readOnly: true });
    expect(config(r.pod).serviceAccountTokens?.vault).toBe('/var/run/secrets/esi.dev/vault/token');
    expect(a.env).toContainEqual({
      name: credentialEnvNames('SecretStore', 'aws').awsAccessKeyId,
      valueFrom: { secretKeyRef: { name: 'aws-creds', key: 'id' } },
    });
    // the app container gets neither the token nor the credentials
    expect(r.pod.spec.containers[0]!.env).toBeUndefined();
    expect(r.pod.spec.containers[0]!.volumeMounts!.map((m) => m.name)).toEqual(['esi-secrets']);
    expect(JSON.stringify(config(r.pod))).not.toMatch(/CANARY|secretKeyRef/);
  });

  it("Azure Key Vault: AKS's Workload Identity env and token volume copied like IRSA; serviceAccountRef gets a projected api://AzureADTokenExchange token; a service principal secretKeyRef env", () => {
    const objects = [
      store('kv-wi', { azurekv: { vaultUrl: 'https://kv.vault.azure.net', authType: 'WorkloadIdentity' } }),
      store('kv-ref', { azurekv: { vaultUrl: 'https://kv.vault.azure.net', authType: 'WorkloadIdentity', tenantId: 't', serviceAccountRef: { name: 'default' } } }),
      store('kv-sp', { azurekv: { vaultUrl: 'https://kv.vault.azure.net', tenantId: 't', authSecretRef: { clientId: { name: 'azure-sp', key: 'id' }, clientSecret: { name: 'azure-sp', key: 'secret' } } } }),
      externalSecret('a', 'kv-wi'),
      externalSecret('b', 'kv-ref'),
      externalSecret('c', 'kv-sp'),
    ];
    const input = pod({ 'esi.dev/external-secrets': 'a,b,c' }, {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          // What AKS's azure-workload-identity webhook adds to a pod labelled azure.workload.identity/use.
          env: [
            { name: 'AZURE_CLIENT_ID', value: '00000000-0000-0000-0000-00000000c1d0' },
            { name: 'AZURE_TENANT_ID', value: '00000000-0000-0000-0000-0000000007e0' },
            { name: 'AZURE_FEDERATED_TOKEN_FILE', value: '/var/run/secrets/azure/tokens/azure-identity-token' },
            { name: 'AZURE_AUTHORITY_HOST', value: 'https://login.microsoftonline.com/' },
          ],
          volumeMounts: [{ name: 'azure-identity-token', mountPath: '/var/run/secrets/azure/tokens', readOnly: true }],
        },
      ],
      volumes: [{ name: 'azure-identity-token', projected: { sources: [{ serviceAccountToken: { audience: 'api://AzureADTokenExchange', expirationSeconds: 3600, path: 'azure-identity-token' } }] } }],
    });
    const r = injectPod(input, ctx({}, objects));
    const a = agentOf(r.pod);
    const env = Object.fromEntries(a.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env['AZURE_CLIENT_ID']).toBe('00000000-0000-0000-0000-00000000c1d0');
    expect(env['AZURE_TENANT_ID']).toBe('00000000-0000-0000-0000-0000000007e0');
    expect(env['AZURE_FEDERATED_TOKEN_FILE']).toBe('/var/run/secrets/azure/tokens/azure-identity-token');
    expect(env['AZURE_AUTHORITY_HOST']).toBe('https://login.microsoftonline.com/');
    expect(a.volumeMounts).toContainEqual({ name: 'azure-identity-token', mountPath: '/var/run/secrets/azure/tokens', readOnly: true });
    const vol = r.pod.spec.volumes!.find((v) => v.name === 'esi-azurekv-token')!;
    expect(vol.projected!.sources).toEqual([{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'api://AzureADTokenExchange' } }]);
    expect(a.volumeMounts).toContainEqual({ name: 'esi-azurekv-token', mountPath: '/var/run/secrets/esi.dev/azurekv', readOnly: true });
    expect(config(r.pod).serviceAccountTokens?.['azurekv']).toBe('/var/run/secrets/esi.dev/azurekv/token');
    const names = credentialEnvNames('SecretStore', 'kv-sp');
    expect(env[names['azureClientId']!]).toEqual({ secretKeyRef: { name: 'azure-sp', key: 'id' } });
    expect(env[names['azureClientSecret']!]).toEqual({ secretKeyRef: { name: 'azure-sp', key: 'secret' } });
    expect(r.pod.spec.containers[0]!.volumeMounts!.map((m) => m.name)).toEqual(['azure-identity-token', 'esi-secrets']);
  });

  it("Azure Workload Identity serviceAccountRef: the account's client/tenant-id annotations reach the agent as plain env (it reads no service account)", () => {
    const wi = { vaultUrl: 'https://kv.vault.azure.net', authType: 'WorkloadIdentity' };
    const objects = [
      store('kv-ss', { azurekv: { ...wi, serviceAccountRef: { name: 'workload', namespace: NS } } }),
      clusterStore('kv-css', { provider: { azurekv: { ...wi, serviceAccountRef: { name: 'shared', namespace: 'identities' } } } }),
      store('kv-gone', { azurekv: { ...wi, serviceAccountRef: { name: 'gone' } } }),
      externalSecret('a', 'kv-ss'),
      externalSecret('b', 'kv-css', 'ClusterSecretStore'),
      externalSecret('c', 'kv-gone'),
    ];
    const accounts: Record<string, Record<string, string>> = {
      [`${NS}/workload`]: { 'azure.workload.identity/client-id': 'client-ss', 'azure.workload.identity/tenant-id': 'tenant-ss', unrelated: 'x' },
      'identities/shared': { 'azure.workload.identity/client-id': 'client-css' },
    };
    const asked: string[] = [];
    const serviceAccountLookup = (ns: string, name: string) => (asked.push(`${ns}/${name}`), accounts[`${ns}/${name}`] ?? null);
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'a,b,c' }), ctx({ serviceAccountLookup }, objects));
    // a SecretStore's account in its namespace, a ClusterSecretStore's in serviceAccountRef.namespace
    expect(asked.sort()).toEqual([`${NS}/gone`, `${NS}/workload`, 'identities/shared']);
    const env = agentOf(r.pod).env!;
    const named = (what: string, kind: string, name: string) => env.find((e) => e.name === storeEnvName(what, kind, name));
    expect(named('AZURE_SA_CLIENT_ID', 'SecretStore', 'kv-ss')).toEqual({ name: storeEnvName('AZURE_SA_CLIENT_ID', 'SecretStore', 'kv-ss'), value: 'client-ss' });
    expect(named('AZURE_SA_TENANT_ID', 'SecretStore', 'kv-ss')?.value).toBe('tenant-ss');
    expect(named('AZURE_SA_CLIENT_ID', 'ClusterSecretStore', 'kv-css')?.value).toBe('client-css');
    // an annotation the account lacks gives no env (the agent falls back as ESO does)
    expect(named('AZURE_SA_TENANT_ID', 'ClusterSecretStore', 'kv-css')).toBeUndefined();
    expect(env.filter((e) => e.name.startsWith('ESI_AZURE_SA_'))).toHaveLength(3);
    expect(r.warnings).toContainEqual(expect.stringContaining('SecretStore kv-gone: spec.provider.azurekv.serviceAccountRef: ServiceAccount "gone" not found in namespace "app"'));
    // the app container gets none of it
    expect(JSON.stringify(r.pod.spec.containers[0])).not.toContain('client-ss');
    // an account the webhook has not read yet: it reads it and retries
    expect(() => injectPod(pod({ 'esi.dev/external-secrets': 'a' }), ctx({ serviceAccountLookup: () => undefined }, objects))).toThrow(ServiceAccountNotLoaded);
    // esi inject: a ServiceAccount given with the manifests counts as the webhook's read
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'workload', namespace: NS, annotations: accounts[`${NS}/workload`] } };
    const [out] = injectManifests([pod({ 'esi.dev/external-secrets': 'a' })], [...objects, sa]);
    expect(JSON.stringify(out)).toContain('"value":"client-ss"');
  });

  it("inlines a Vault store's caProvider CA and mounts a token for JWT auth with its audience", () => {
    const objects = [
      store('vault', {
        vault: { server: 'https://vault:8200', caProvider: { type: 'ConfigMap', name: 'vault-ca', key: 'ca.crt' }, auth: { jwt: { path: 'jwt', role: 'r', kubernetesServiceAccountToken: { serviceAccountRef: { name: 'default' } } } } },
      }),
      externalSecret('v', 'vault'),
    ];
    const pem = TEST_CA_PEM;
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'v' }), ctx({ caLookup: (ref) => (ref.name === 'vault-ca' && ref.namespace === NS && ref.kind === 'ConfigMap' ? pem : undefined) }, objects));
    const vault = config(r.pod).stores['SecretStore/vault']!.spec.provider.vault!;
    expect(vault.caProvider).toBeUndefined();
    expect(Buffer.from(vault.caBundle!, 'base64').toString()).toBe(pem);
    const vol = r.pod.spec.volumes!.find((v) => v.name === 'esi-vault-token')!;
    expect(vol.projected!.sources).toEqual([{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'vault' } }]);
    const missing = denied(pod({ 'esi.dev/external-secrets': 'v' }), ctx({}, objects));
    expect(missing.reason).toBe('ca-not-found');
    expect(missing.message).toMatch(/caProvider: ConfigMap "vault-ca" key "ca.crt" in namespace "app" not found/);
  });

  it('materialises the inline shorthand as files at the mount path', () => {
    const r = injectPod(
      pod({ 'esi.dev/store': 'fake', 'esi.dev/secret-password': 'prod/db#password', 'esi.dev/secret-user': 'prod/db#user', 'esi.dev/secret-cert.pem': 'tls' }),
      ctx(),
    );
    const es = config(r.pod).externalSecrets;
    expect(es).toHaveLength(1);
    expect(es[0]!.dir).toBe('');
    expect(es[0]!.externalSecret.spec.data!.map((d) => [d.secretKey, d.remoteRef.key, d.remoteRef.property])).toEqual([
      ['cert.pem', 'tls', undefined],
      ['password', 'prod/db', 'password'],
      ['user', 'prod/db', 'user'],
    ]);
  });

  it('sets shareProcessNamespace only for an on-change signal, and runs the agent as the target uid', () => {
    const plain = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/on-change': 'http://127.0.0.1:9090/reload' }), ctx());
    expect(plain.pod.spec.shareProcessNamespace).toBeUndefined();
    expect(config(plain.pod).onChange).toEqual({ url: 'http://127.0.0.1:9090/reload' });
    const sig = injectPod(
      pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/on-change': 'signal:HUP:app' }, { containers: [{ name: 'app', image: 'a', securityContext: { runAsUser: 1000 } }] }),
      ctx(),
    );
    expect(sig.pod.spec.shareProcessNamespace).toBe(true);
    expect(config(sig.pod).onChange).toEqual({ signal: { signal: 'SIGHUP', container: 'app' } });
    expect(agentOf(sig.pod).securityContext!['runAsUser']).toBe(1000);
  });

  it('applies file mode, refresh interval and sync-secret for a store handed to esi', () => {
    const objects = [store('owned', undefined, { controller: 'esi' }), externalSecret('db', 'owned')];
    const r = injectPod(
      pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/file-mode': '0440', 'esi.dev/refresh-interval': '5m', 'esi.dev/sync-secret': 'true' }),
      ctx({}, objects),
    );
    const cfg = config(r.pod);
    expect(cfg.fileMode).toBe(0o440);
    expect(cfg.refreshInterval).toBe('5m');
    expect(cfg.externalSecrets[0]!.syncSecret).toBe(true);
  });
});

describe('denials name the annotation, the bad value and the fix', () => {
  it.each([
    ['esi.dev/mode', 'sidekick', /esi\.dev\/mode: "sidekick" is not valid: use init, sidecar or both/],
    ['esi.dev/mount-path', 'relative/dir', /esi\.dev\/mount-path: "relative\/dir" is not valid: give an absolute directory/],
    ['esi.dev/mount-path', '/a/../b', /esi\.dev\/mount-path: "\/a\/..\/b" is not valid/],
    ['esi.dev/refresh-interval', '5 minutes', /esi\.dev\/refresh-interval: "5 minutes" is not valid: give a duration such as "30s"/],
    ['esi.dev/sync-secret', 'yes', /esi\.dev\/sync-secret: "yes" is not valid: use "true" or "false"/],
    ['esi.dev/on-change', 'signal:FOO:app', /esi\.dev\/on-change: "signal:FOO:app" is not valid: use "signal:<SIGNAL>:<container>"/],
    ['esi.dev/on-change', 'http://example.com/reload', /esi\.dev\/on-change: "http:\/\/example.com\/reload" is not valid: use a reload URL inside the pod/],
    ['esi.dev/file-mode', '999', /esi\.dev\/file-mode: "999" is not valid: give octal permission bits/],
    ['esi.dev/file-mode', '0200', /esi\.dev\/file-mode: "0200" is not valid: the mode must let someone read/],
    ['esi.dev/agent-memory-limit', 'lots', /esi\.dev\/agent-memory-limit: "lots" is not valid: give a Kubernetes quantity/],
    ['esi.dev/agent-cpu-request', '-1', /esi\.dev\/agent-cpu-request: "-1" is not valid/],
    ['esi.dev/containers', 'app,,x', /esi\.dev\/containers: "app,,x" is not valid: give a comma-separated list/],
    ['esi.dev/store-kind', 'Vault', /esi\.dev\/store-kind: "Vault" is not valid: use "SecretStore"/],
    ['esi.dev/secret-bad/name', 'k', /esi\.dev\/secret-bad\/name: "k" is not valid: the file name/],
    ['esi.dev/mdoe', 'init', /esi\.dev\/mdoe: unknown esi annotation \(a typo\?\)/],
  ])('%s: %s', (annotation, value, message) => {
    const e = denied(pod({ 'esi.dev/external-secrets': 'db', [annotation]: value }));
    expect(e.message).toMatch(message);
    expect(e.annotation).toBe(annotation);
  });

  it('refuses external-secrets lists that are empty, malformed or cross-namespace', () => {
    expect(denied(pod({ 'esi.dev/external-secrets': 'db,' })).message).toMatch(/^esi\.dev\/external-secrets: "db," is not valid/);
    expect(denied(pod({ 'esi.dev/external-secrets': 'Bad_Name' })).message).toMatch(/"Bad_Name" is not a valid name/);
    const cross = denied(pod({ 'esi.dev/external-secrets': 'other/db' }));
    expect(cross.reason).toBe('cross-namespace');
    expect(cross.message).toMatch(/^esi\.dev\/external-secrets: "other\/db" is not valid: names refer to the pod's own namespace/);
    expect(denied(pod({})).message).toMatch(/^esi\.dev\/external-secrets: missing/);
  });

  it('refuses a request above its limit', () => {
    const e = denied(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/agent-memory-request': '512Mi' }));
    expect(e.message).toMatch(/^esi\.dev\/agent-memory-request: the agent's memory request 512Mi is above its limit 128Mi/);
  });

  it('refuses unknown containers in esi.dev/containers and on-change', () => {
    expect(denied(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/containers': 'nope' })).message).toMatch(
      /^esi\.dev\/containers: container "nope" is not in the pod; the pod's containers are "app"/,
    );
    expect(denied(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/on-change': 'signal:SIGHUP:nope' })).message).toMatch(/^esi\.dev\/on-change: container "nope"/);
  });

  it('refuses a mount path the user already uses', () => {
    const e = denied(pod(undefined, { containers: [{ name: 'app', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/esi' }] }], volumes: [{ name: 'mine', emptyDir: {} }] }));
    expect(e.message).toMatch(/^esi\.dev\/mount-path: "\/var\/run\/secrets\/esi" is already used in container "app" by volume "mine"/);
  });

  it('refuses a missing ExternalSecret or one in another namespace', () => {
    const e = denied(pod({ 'esi.dev/external-secrets': 'missing' }));
    expect(e.reason).toBe('external-secret-not-found');
    expect(e.message).toBe(
      'esi.dev/external-secrets: ExternalSecret "missing" not found in namespace "app"; create it there (esi reads ExternalSecrets from the pod\'s own namespace only) or fix the name',
    );
    const elsewhere = denied(pod({ 'esi.dev/external-secrets': 'x' }), ctx({}, [store('fake'), externalSecret('x', 'fake', 'SecretStore', 'other')]));
    expect(elsewhere.reason).toBe('external-secret-not-found');
  });

  it('refuses a store in another namespace or a missing store', () => {
    const objects = [{ ...store('fake'), metadata: { name: 'fake', namespace: 'other' } }, externalSecret('db')];
    const e = denied(pod(), ctx({}, objects));
    expect(e.reason).toBe('store-not-found');
    expect(e.message).toMatch(/^esi\.dev\/external-secrets: ExternalSecret "db": could not get SecretStore "fake": not found; create it in namespace "app"/);
  });

  it("refuses a ClusterSecretStore whose conditions exclude the namespace, with ESO's message", () => {
    const objects = [clusterStore('shared', { conditions: [{ namespaces: ['team-a'] }] }), externalSecret('db', 'shared', 'ClusterSecretStore')];
    const e = denied(pod(), ctx({}, objects));
    expect(e.reason).toBe('store-condition-denied');
    expect(e.message).toContain('using cluster store "shared" is not allowed from namespace "app": denied by spec.condition');
    // allowed by label selector
    const ok = [clusterStore('shared', { conditions: [{ namespaceSelector: { matchLabels: { team: 'x' } } }] }), externalSecret('db', 'shared', 'ClusterSecretStore')];
    expect(injectPod(pod(), ctx({ namespaceLabels: { team: 'x' } }, ok)).plan).not.toBeNull();
    expect(denied(pod(), ctx({ namespaceLabels: { team: 'y' } }, ok)).reason).toBe('store-condition-denied');
  });

  it('refuses esi.dev/sync-secret for a store ESO manages, saying how to hand it over', () => {
    const e = denied(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/sync-secret': 'true' }));
    expect(e.reason).toBe('store-unmanaged');
    expect(e.message).toMatch(/^esi\.dev\/sync-secret: "true" is denied for ExternalSecret "db": its SecretStore "fake" has spec.controller ""/);
    expect(e.message).toContain('set spec.controller: "esi" on the store');
  });

  it('refuses credentials in another namespace (a pod can only read its own Secrets)', () => {
    const objects = [
      clusterStore('aws', {
        provider: { aws: { service: 'SecretsManager', region: 'us-east-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'c', key: 'id', namespace: 'esi-system' } } } } },
      }),
      externalSecret('db', 'aws', 'ClusterSecretStore'),
    ];
    const e = denied(pod(), ctx({}, objects));
    expect(e.reason).toBe('cross-namespace');
    expect(e.message).toContain('names Secret "c" in namespace "esi-system"');
  });
});

describe('injectManifests', () => {
  const deployment = (labels: Record<string, string>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: { template: { metadata: { labels, annotations: { 'esi.dev/external-secrets': 'db' } }, spec: { containers: [{ name: 'app', image: 'a' }] } } },
  });
  it('injects every pod template and passes other objects through', () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: NS },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { metadata: { labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'j' }] } } } } },
    };
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} };
    const out = injectManifests([deployment({ 'esi.dev/inject': 'true' }), deployment({}), cron, svc], baseObjects, { cluster: { nativeSidecars: false } });
    const tpl = (o: unknown) => (o as { spec: { template: { metadata: { annotations: Record<string, string> }; spec: Pod['spec'] } } }).spec.template;
    expect(tpl(out[0]).spec.initContainers!.map((c) => c.name)).toEqual(['esi-agent-init']);
    expect(tpl(out[0]).spec.containers.map((c) => c.name)).toEqual(['app', 'esi-agent']);
    expect(tpl(out[0]).metadata.annotations[AGENT_CONFIG_ANNOTATION]).toBeDefined();
    expect((tpl(out[0]).metadata as Record<string, unknown>)['namespace']).toBeUndefined();
    expect(out[1]).toEqual(deployment({}));
    const cronTpl = (out[2] as typeof cron).spec.jobTemplate.spec.template as unknown as { spec: Pod['spec'] };
    expect(cronTpl.spec.containers.map((c) => c.name)).toEqual(['job']); // no classic sidecar for a CronJob
    expect(cronTpl.spec.initContainers!.map((c) => c.name)).toEqual(['esi-agent-init']);
    expect(out[3]).toEqual(svc);
  });

  it('names the object in a denial', () => {
    expect(() => injectManifests([deployment({ 'esi.dev/inject': 'true' })], [])).toThrow(/^Deployment web: esi\.dev\/external-secrets: ExternalSecret "db" not found/);
  });
});

describe('describePlan', () => {
  it('prints one line per addition', () => {
    const r = injectPod(pod(), ctx());
    expect(describePlan(r.plan!)).toEqual([
      '+ init container esi-agent (native sidecar with a startup probe gating the app until the first sync, agent --mode sidecar, image ghcr.io/esi-dev/esi:0.1.0)',
      '+ volume esi-secrets: emptyDir medium Memory (tmpfs) for the secret files',
      '+ volume esi-config: downward-API file with the esi.dev/agent-config annotation',
      '+ mount esi-secrets at /var/run/secrets/esi (read-only) in container app',
      '+ annotation esi.dev/agent-config: db from SecretStore/fake',
    ]);
  });
});

describe('contract with the agent', () => {
  it('writes an agent config the agent accepts, for every annotation the contract has', async () => {
    const { parseAgentConfig } = await import('../agent/index.ts');
    const objects = [
      store('owned', undefined, { controller: 'esi' }),
      store('vault', { vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'default', audiences: ['vault'] } } } } }),
      externalSecret('db', 'owned'),
      externalSecret('v', 'vault'),
    ];
    const r = injectPod(
      pod(
        {
          'esi.dev/external-secrets': 'db,v',
          'esi.dev/store': 'owned',
          'esi.dev/secret-token': 'k',
          'esi.dev/refresh-interval': '1m30s',
          'esi.dev/file-mode': '0400',
          'esi.dev/on-change': 'signal:SIGHUP:app',
          'esi.dev/mount-path': '/secrets',
        },
        { containers: [{ name: 'app', image: 'a', securityContext: { runAsUser: 1000 } }] },
      ),
      ctx({}, objects),
    );
    const cfg = parseAgentConfig(r.pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!, 'annotation');
    expect(cfg.mountPath).toBe('/secrets');
    expect(cfg.fileMode).toBe(0o400);
    expect(cfg.refreshInterval).toBe('1m30s');
    expect(cfg.externalSecrets.map((e) => e.dir)).toEqual(['db', 'v', '']);
    expect(cfg.serviceAccountTokens?.vault).toBe('/var/run/secrets/esi.dev/vault/token');
    // the file the agent reads is the downward-API projection of that annotation
    const agent = agentOf(r.pod);
    const configArg = agent.args![agent.args!.indexOf('--config') + 1]!;
    const mount = agent.volumeMounts!.find((m) => configArg.startsWith(m.mountPath + '/'))!;
    const vol = r.pod.spec.volumes!.find((v) => v.name === mount.name)!;
    expect(vol.downwardAPI!.items).toEqual([{ path: configArg.slice(mount.mountPath.length + 1), fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${AGENT_CONFIG_ANNOTATION}']` } }]);
  });
  it('hands the controller class admission checked sync-secret against to the agent', async () => {
    const { parseAgentConfig } = await import('../agent/index.ts');
    const objects = [store('owned', undefined, { controller: 'platform' }), externalSecret('db', 'owned')];
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/sync-secret': 'true' }), ctx({ defaults: { controllerClass: 'platform' } }, objects));
    expect(parseAgentConfig(r.pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!, 'annotation').controllerClass).toBe('platform');
  });

  it('delivers a Vault Kubernetes auth secretRef without key as key "token", as ESO reads it', () => {
    const objects = [store('vault', { vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'app', secretRef: { name: 'sa-token' } } } } }), externalSecret('db', 'vault')];
    const env = agentOf(injectPod(pod(), ctx({}, objects)).pod).env!;
    const jwt = credentialEnvNames('SecretStore', 'vault').vaultJwt;
    expect(env.find((e) => e.name === jwt)?.valueFrom).toEqual({ secretKeyRef: { name: 'sa-token', key: 'token' } });
  });

  it('gives the agent the pod uid for its Events through the downward API', async () => {
    const { ENV_POD_UID } = await import('../agent/events.ts');
    const env = agentOf(injectPod(pod(), ctx()).pod).env!;
    expect(env.find((e) => e.name === ENV_POD_UID)?.valueFrom).toEqual({ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } });
  });

  it('marks only the on-change signal target with the mount the agent finds its process by, and drops it with the annotation', () => {
    const containers = [{ name: 'app', image: 'a', securityContext: { runAsUser: 1000 } }, { name: 'side', image: 's' }];
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/on-change': 'signal:HUP:app' }, { containers }), ctx());
    const app = r.pod.spec.containers.find((c) => c.name === 'app')!;
    const side = r.pod.spec.containers.find((c) => c.name === 'side')!;
    const marker = app.volumeMounts!.find((m) => m.mountPath === `${ON_CHANGE_MARKER_DIR}/app`)!;
    expect(marker.readOnly).toBe(true);
    expect(r.pod.spec.volumes!.find((v) => v.name === marker.name)!.emptyDir).toBeDefined();
    expect(side.volumeMounts!.map((m) => m.mountPath)).toEqual(['/var/run/secrets/esi']);
    expect(injectPod(r.pod, ctx()).patch).toEqual([]);
    // Re-injected without on-change: the marker volume and its mount go.
    const again = injectPod({ ...r.pod, metadata: { ...r.pod.metadata, annotations: { ...r.pod.metadata.annotations, 'esi.dev/on-change': 'http://127.0.0.1:9/r' } } }, ctx());
    expect(again.pod.spec.containers.find((c) => c.name === 'app')!.volumeMounts!.map((m) => m.mountPath)).toEqual(['/var/run/secrets/esi']);
    expect(again.pod.spec.volumes!.some((v) => v.name === marker.name)).toBe(false);
  });

  it('writes no file mode the agent would default differently', async () => {
    const { parseAgentConfig } = await import('../agent/index.ts');
    const cfg = config(injectPod(pod(), ctx()).pod);
    const { fileMode, ...withoutMode } = cfg;
    expect(parseAgentConfig(JSON.stringify(withoutMode), 'hand-written').fileMode).toBe(fileMode);
    expect(fileMode).toBe(0o444);
  });
  it('wires a Parameter Store store like a Secrets Manager one: secretRef keys as secretKeyRef env, the pod identity env copied', () => {
    const objects = [
      store('ssm', { aws: { service: 'ParameterStore', region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } } } }),
      externalSecret('db', 'ssm'),
    ];
    const input = pod({ 'esi.dev/external-secrets': 'db' }, { containers: [{ name: 'app', image: 'a', env: [{ name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::1:role/app' }] }] });
    const r = injectPod(input, ctx({}, objects));
    const env = agentOf(r.pod).env!;
    const names = credentialEnvNames('SecretStore', 'ssm');
    expect(env.find((e) => e.name === names.awsAccessKeyId)?.valueFrom).toEqual({ secretKeyRef: { name: 'aws', key: 'id' } });
    expect(env.find((e) => e.name === names.awsSecretAccessKey)?.valueFrom).toEqual({ secretKeyRef: { name: 'aws', key: 'secret' } });
    expect(env.find((e) => e.name === 'AWS_ROLE_ARN')?.value).toBe('arn:aws:iam::1:role/app');
    expect(config(r.pod).stores['SecretStore/ssm']!.spec.provider.aws!.service).toBe('ParameterStore');
  });
});
