// Admission with azurekv stores: the esi webhook called by the real kube-apiserver gives a pod that AKS's
// azure-workload-identity webhook prepared (AZURE_* env, the azure-identity-token volume) an agent with that
// identity, projects the api://AzureADTokenExchange token a serviceAccountRef store needs, delivers a service
// principal as secretKeyRef env, and refuses a store ESO's ValidateStore refuses; the agent, run as
// `esi agent --pod` on the admitted manifest, then reads the harness's Key Vault double over HTTPS (a double
// written from Azure's REST reference, not Azure: test/harness/azure-keyvault.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCommand } from '../../cli/commands/agent.ts';
import type { Pod } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import { credentialEnvNames, storeEnvName } from '../../providers/index.ts';
import { AZURE_TOKEN_AUDIENCE, startKeyVaultDouble, type KeyVaultDouble } from '../harness/azure-keyvault.ts';
import { adminAccess, createServiceAccountToken, issueServingCertificate, kubeRaw, scratchPath, sentinel, sha256 } from '../harness/index.ts';
import { create, ESO, externalSecret, namespace, startTestWebhook, untilCached, type TestWebhook } from './webhook-helpers.ts';

let hook: TestWebhook;
let kv: KeyVaultDouble;
let ns: string;
let pw: string;
const previousAgent = https.globalAgent;
const AKS_TOKEN_DIR = '/var/run/secrets/azure/tokens';

const store = (name: string, azurekv: Record<string, unknown>) => ({ apiVersion: ESO, kind: 'SecretStore', metadata: { name }, spec: { provider: { azurekv: { vaultUrl: kv.url, ...azurekv } } } });

/** A pod as AKS's azure-workload-identity webhook leaves it (label azure.workload.identity/use: "true"). */
const aksPod = (name: string, es: string, clientId: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { 'esi.dev/inject': 'true', 'azure.workload.identity/use': 'true' }, annotations: { 'esi.dev/external-secrets': es } },
  spec: {
    serviceAccountName: 'app',
    containers: [
      {
        name: 'app',
        image: 'example/app:1',
        env: [
          { name: 'AZURE_CLIENT_ID', value: clientId },
          { name: 'AZURE_TENANT_ID', value: kv.tenantId },
          { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${AKS_TOKEN_DIR}/azure-identity-token` },
          { name: 'AZURE_AUTHORITY_HOST', value: `${kv.url}/` },
        ],
        volumeMounts: [{ name: 'azure-identity-token', mountPath: AKS_TOKEN_DIR, readOnly: true }],
      },
    ],
    volumes: [{ name: 'azure-identity-token', projected: { sources: [{ serviceAccountToken: { audience: AZURE_TOKEN_AUDIENCE, expirationSeconds: 3600, path: 'azure-identity-token' } }] } }],
  },
});

beforeAll(async () => {
  const tls = await issueServingCertificate('azure-keyvault-webhook');
  https.globalAgent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, readFileSync(tls.ca, 'utf8')] });
  kv = await startKeyVaultDouble({ kube: adminAccess(), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') });
  hook = await startTestWebhook('azure');
  ns = await namespace('wh-azure', hook.selector);
  pw = sentinel('webhook-azure');
  kv.setSecret('db', pw);
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, store('kv-wi', { authType: 'WorkloadIdentity' }));
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, store('kv-ref', { authType: 'WorkloadIdentity', tenantId: kv.tenantId, serviceAccountRef: { name: 'app' } }));
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, store('kv-sp', { tenantId: kv.tenantId, authSecretRef: { clientId: { name: 'azure-sp', key: 'client-id' }, clientSecret: { name: 'azure-sp', key: 'client-secret' } } }));
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, store('kv-bad', { authSecretRef: { clientId: { name: 'azure-sp', key: 'client-id', namespace: 'elsewhere' } } }));
  for (const s of ['kv-wi', 'kv-ref', 'kv-sp', 'kv-bad']) await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret(`db-${s}`, s, [{ secretKey: 'password', key: 'db' }]));
  await untilCached(hook, 'ExternalSecrets and stores', (l) => !!l.externalSecret(ns, 'db-kv-bad') && !!l.secretStore(ns, 'kv-bad'));
});

afterAll(async () => {
  https.globalAgent = previousAgent;
  await hook?.close();
  await kv?.close();
});

/** Runs `esi agent --pod <admitted manifest> --mode init` with the env the kubelet would give the agent container. */
async function runAgentOn(pod: Pod, env: Record<string, string>, files: Record<string, string>): Promise<{ code: number; stderr: string; root: string }> {
  const dir = await mkdtemp(scratchPath('webhook-azure-agent-'));
  const manifest = join(dir, 'pod.json');
  await writeFile(manifest, JSON.stringify(pod));
  const root = join(dir, 'root');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  let stderr = '';
  const code = await agentCommand(['--pod', manifest, '--root', root, '--mode', 'init'], { stdout: () => {}, stderr: (t) => (stderr += t), env: { PATH: process.env['PATH'] ?? '', ...env } });
  return { code, stderr, root };
}

describe('esi webhook with azurekv stores', () => {
  it("copies AKS's Workload Identity into the agent; the agent reads Key Vault with it", async () => {
    kv.addFederatedCredential('wh-wi', ns, 'app');
    kv.grant('wh-wi');
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, aksPod('wi', 'db-kv-wi', 'wh-wi'));
    const agent = pod.spec.initContainers!.find((c) => c.name === 'esi-agent')!;
    const env = Object.fromEntries(agent.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ AZURE_CLIENT_ID: 'wh-wi', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: `${AKS_TOKEN_DIR}/azure-identity-token`, AZURE_AUTHORITY_HOST: `${kv.url}/` });
    expect(agent.volumeMounts).toContainEqual({ name: 'azure-identity-token', mountPath: AKS_TOKEN_DIR, readOnly: true });
    // The kubelet's projection of azure-identity-token, written where the agent's env points (under --root it is a plain path).
    const token = await createServiceAccountToken(ns, 'app', [AZURE_TOKEN_AUDIENCE], 3600);
    const tokenFile = scratchPath(`wh-azure-token-${ns}`);
    writeFileSync(tokenFile, token);
    const r = await runAgentOn(pod, { ...(env as Record<string, string>), AZURE_FEDERATED_TOKEN_FILE: tokenFile }, {});
    expect({ code: r.code, leaked: r.stderr.includes(pw) }, r.stderr).toEqual({ code: 0, leaked: false });
    expect(sha256(await readFile(join(r.root, '/var/run/secrets/esi', 'db-kv-wi', 'password')))).toBe(sha256(pw));
  });

  it('projects the api://AzureADTokenExchange token for a serviceAccountRef store; the agent logs in with it', async () => {
    kv.addFederatedCredential('wh-ref', ns, 'app');
    kv.grant('wh-ref');
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, aksPod('ref', 'db-kv-ref', 'wh-ref'));
    const vol = pod.spec.volumes!.find((v) => v.name === 'esi-azurekv-token')!;
    expect(vol.projected!.sources).toEqual([{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: AZURE_TOKEN_AUDIENCE } }]);
    const config = JSON.parse(pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
    expect(config.serviceAccountTokens?.['azurekv']).toBe('/var/run/secrets/esi.dev/azurekv/token');
    const token = await createServiceAccountToken(ns, 'app', [AZURE_TOKEN_AUDIENCE], 3600);
    // Only the projected token (under --root) and AZURE_CLIENT_ID: no AKS token file for this login.
    const r = await runAgentOn(pod, { AZURE_CLIENT_ID: 'wh-ref', AZURE_AUTHORITY_HOST: kv.url }, { '/var/run/secrets/esi.dev/azurekv/token': token });
    expect({ code: r.code, leaked: r.stderr.includes(pw) }, r.stderr).toEqual({ code: 0, leaked: false });
    expect(sha256(await readFile(join(r.root, '/var/run/secrets/esi', 'db-kv-ref', 'password')))).toBe(sha256(pw));
  });

  it("reads the serviceAccountRef account's azure.workload.identity annotations at admission and gives them to the agent as env; a pod without AKS's env logs in with them", async () => {
    // ESO reads these annotations itself (authorizerForWorkloadIdentity); esi's agent may not read service accounts.
    await create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'annotated', annotations: { 'azure.workload.identity/client-id': 'wh-annotated', 'azure.workload.identity/tenant-id': kv.tenantId } },
    });
    await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, store('kv-annotated', { authType: 'WorkloadIdentity', serviceAccountRef: { name: 'annotated' } }));
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('db-kv-annotated', 'kv-annotated', [{ secretKey: 'password', key: 'db' }]));
    await untilCached(hook, 'the annotated store', (l) => !!l.externalSecret(ns, 'db-kv-annotated') && !!l.secretStore(ns, 'kv-annotated'));
    kv.addFederatedCredential('wh-annotated', ns, 'annotated');
    kv.grant('wh-annotated');
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'annotated', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db-kv-annotated' } },
      spec: { serviceAccountName: 'annotated', containers: [{ name: 'app', image: 'example/app:1' }] },
    });
    const agent = pod.spec.initContainers!.find((c) => c.name === 'esi-agent')!;
    const env = Object.fromEntries(agent.env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    expect(env[storeEnvName('AZURE_SA_CLIENT_ID', 'SecretStore', 'kv-annotated')]).toBe('wh-annotated');
    expect(env[storeEnvName('AZURE_SA_TENANT_ID', 'SecretStore', 'kv-annotated')]).toBe(kv.tenantId);
    expect(env['AZURE_CLIENT_ID']).toBeUndefined();
    const token = await createServiceAccountToken(ns, 'annotated', [AZURE_TOKEN_AUDIENCE], 3600);
    // The agent gets the admitted container's env (what the kubelet gives it) and the projected token; no AZURE_CLIENT_ID/AZURE_TENANT_ID.
    const r = await runAgentOn(pod, { ...env, AZURE_AUTHORITY_HOST: kv.url }, { '/var/run/secrets/esi.dev/azurekv/token': token });
    expect({ code: r.code, leaked: r.stderr.includes(pw) }, r.stderr).toEqual({ code: 0, leaked: false });
    expect(sha256(await readFile(join(r.root, '/var/run/secrets/esi', 'db-kv-annotated', 'password')))).toBe(sha256(pw));
  });

  it("delivers a service principal as secretKeyRef env (never in the config); the agent reads with it", async () => {
    kv.addServicePrincipal('wh-sp', 'wh-sp-credential');
    kv.grant('wh-sp');
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sp', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db-kv-sp' } },
      spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
    });
    const agent = pod.spec.initContainers!.find((c) => c.name === 'esi-agent')!;
    const n = credentialEnvNames('SecretStore', 'kv-sp');
    expect(agent.env).toContainEqual({ name: n['azureClientId'], valueFrom: { secretKeyRef: { name: 'azure-sp', key: 'client-id' } } });
    expect(agent.env).toContainEqual({ name: n['azureClientSecret'], valueFrom: { secretKeyRef: { name: 'azure-sp', key: 'client-secret' } } });
    expect(pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]).not.toContain('wh-sp-credential');
    // The kubelet resolves the secretKeyRef env; here the test gives the agent what it would.
    const r = await runAgentOn(pod, { [n['azureClientId']!]: 'wh-sp', [n['azureClientSecret']!]: 'wh-sp-credential', AZURE_AUTHORITY_HOST: kv.url }, {});
    expect({ code: r.code, leaked: r.stderr.includes(pw) }, r.stderr).toEqual({ code: 0, leaked: false });
    expect(sha256(await readFile(join(r.root, '/var/run/secrets/esi', 'db-kv-sp', 'password')))).toBe(sha256(pw));
  });

  it("denies a pod whose azurekv store ESO's ValidateStore refuses, with ESO's message", async () => {
    const r = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db-kv-bad' } },
      spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.message).toContain('invalid AuthSecretRef.ClientID: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore');
  });
});
