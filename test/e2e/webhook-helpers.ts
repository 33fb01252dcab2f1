// Shared by the webhook e2e suites: the esi webhook run in-process against the harness's real
// kube-apiserver, registered by URL (https://127.0.0.1:<port>/mutate + caBundle) for namespaces that
// carry this suite's label only, so other suites' pods never reach it.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { adminAccess, harness, issueServingCertificate, kubeApi, kubeRaw, logFile } from '../harness/index.ts';
import { KubeClient, kubeconfigAccess } from '../../kube/index.ts';
import { jsonLogger, runWebhook, type RunningWebhook } from '../../webhook/index.ts';

export const ESO = 'external-secrets.io/v1';

export interface TestWebhook {
  webhook: RunningWebhook;
  /** Label every namespace this webhook serves must carry. */
  selector: Record<string, string>;
  configName: string;
  ca: string;
  close(): Promise<void>;
}

export async function namespace(prefix: string, labels: Record<string, string>): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubeApi(adminAccess(), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  return name;
}

export function webhookConfiguration(name: string, url: string, caPem: string, selector: Record<string, string>, failurePolicy: 'Fail' | 'Ignore' = 'Fail') {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: 'inject.esi.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy,
        reinvocationPolicy: 'IfNeeded',
        timeoutSeconds: 5,
        clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        objectSelector: { matchLabels: { 'esi.dev/inject': 'true' } },
        namespaceSelector: { matchLabels: selector },
        matchConditions: [{ name: 'not-a-mirror-pod', expression: "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)" }],
      },
    ],
  };
}

export async function register(config: ReturnType<typeof webhookConfiguration>): Promise<void> {
  await kubeApi(adminAccess(), 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', config);
}

export async function unregister(name: string): Promise<void> {
  await kubeRaw(adminAccess(), 'DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`);
}

/** Starts the webhook, registers it, and waits until the apiserver really calls it (dry-run probe). */
export async function startTestWebhook(suite: string, o: { nativeSidecars?: boolean } = {}): Promise<TestWebhook> {
  const id = `${suite}-${randomBytes(3).toString('hex')}`;
  const selector = { 'esi-e2e-webhook': id };
  const tls = await issueServingCertificate(`esi-webhook-${suite}`);
  const ca = await readFile(tls.ca, 'utf8');
  const stream = createWriteStream(logFile(`esi-webhook-${id}.log`), { flags: 'a' });
  const webhook = await runWebhook({
    client: new KubeClient(await kubeconfigAccess(harness().kubeconfigPath)),
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: tls.cert, keyFile: tls.key },
    log: jsonLogger({ base: { component: 'esi-webhook' }, write: (line) => void stream.write(line) }),
    nativeSidecars: o.nativeSidecars ?? 'auto',
    // Its controller minds this suite's namespaces only (other suites run their own webhooks).
    controllerNamespaceSelector: selector,
  });
  await webhook.synced;
  const configName = `esi-e2e-${id}`;
  await register(webhookConfiguration(configName, `https://127.0.0.1:${webhook.port}/mutate`, ca, selector));
  // The apiserver picks configurations up asynchronously: probe with a dry-run create until mutated.
  const probeNs = await namespace('probe', selector);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await kubeRaw<{ spec?: { initContainers?: unknown[] }; message?: string }>(
      adminAccess(),
      'POST',
      `/api/v1/namespaces/${probeNs}/pods?dryRun=All`,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'none' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    );
    // the webhook answers with a denial (no such ExternalSecret): that proves it is called
    if (r.status === 400 || r.status === 403 || (r.status >= 400 && String(r.body?.message).includes('esi.dev/'))) break;
    if (Date.now() > deadline) throw new Error(`webhook never became active (last HTTP ${r.status})`);
    await new Promise((res) => setTimeout(res, 250));
  }
  return {
    webhook,
    selector,
    configName,
    ca,
    close: async () => {
      await unregister(configName);
      await webhook.close();
      stream.end();
    },
  };
}

export function fakeStore(name: string, data: { key: string; value: string }[]) {
  return { apiVersion: ESO, kind: 'SecretStore', metadata: { name }, spec: { provider: { fake: { data } } } };
}

export function externalSecret(name: string, store: string, data: { secretKey: string; key: string }[], kind = 'SecretStore') {
  return {
    apiVersion: ESO,
    kind: 'ExternalSecret',
    metadata: { name },
    spec: { secretStoreRef: { name: store, kind }, refreshInterval: '1h', data: data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.key } })) },
  };
}

export async function create<T = unknown>(path: string, body: unknown): Promise<T> {
  return (await kubeApi<T>(adminAccess(), 'POST', path, body)).body;
}

/** Waits until the webhook's cache shows what `seen` checks (objects just created reach it through a watch). */
export async function untilCached(hook: TestWebhook, what: string, seen: (lookup: ReturnType<RunningWebhook['cache']['lookup']>) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!seen(hook.webhook.cache.lookup())) {
    if (Date.now() > deadline) throw new Error(`the webhook cache never saw ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
