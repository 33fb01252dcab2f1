// Self-managed TLS against the real kube-apiserver: the webhook issues its certificate, stores it in a
// Secret, writes its CA into the configuration's caBundle, and a rotation keeps admission working.
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { harness, adminAccess, kubeApi, kubeRaw } from '../harness/index.ts';
import { KubeClient, kubeconfigAccess } from '../../kube/index.ts';
import { runWebhook, SelfManagedTls, silentLogger, type RunningWebhook } from '../../webhook/index.ts';
import { namespace, register, unregister, webhookConfiguration } from './webhook-helpers.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

let running: RunningWebhook | undefined;
let configName = '';
afterAll(async () => {
  await running?.close();
  if (configName) await unregister(configName);
});

async function admitted(ns: string): Promise<boolean> {
  const r = await kubeRaw<{ message?: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'none' } },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });
  // the webhook's own denial proves the apiserver reached it over TLS it trusts
  lastAnswer = `HTTP ${r.status}: ${String(r.body?.message ?? '').slice(0, 300)}`;
  return r.status === 403 && String(r.body.message).includes('esi.dev/external-secrets: ExternalSecret "none" not found');
}
let lastAnswer = '';

async function eventually(f: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the apiserver last answered ${lastAnswer}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('self-managed TLS', () => {
  it('issues, stores and trusts its certificate, and survives a rotation', async () => {
    // A retried attempt starts from scratch: the previous attempt's server and configuration go first.
    await running?.close();
    running = undefined;
    if (configName) await unregister(configName);
    const id = Math.random().toString(16).slice(2, 8);
    const selector = { 'esi-e2e-webhook': `sm-${id}` };
    const ns = await namespace('sm', selector);
    const port = await freePort();
    configName = `esi-e2e-sm-${id}`;
    const cfg = webhookConfiguration(configName, `https://127.0.0.1:${port}/mutate`, '', selector);
    delete (cfg.webhooks[0]!.clientConfig as { caBundle?: string }).caBundle;
    await register(cfg);
    const client = new KubeClient(await kubeconfigAccess(harness().kubeconfigPath));
    const selfManaged = { namespace: ns, service: 'esi', webhookConfiguration: configName, extraHosts: ['127.0.0.1'] };
    running = await runWebhook({ client, host: '127.0.0.1', port, tls: { selfManaged }, log: silentLogger, controller: false, nativeSidecars: true });
    await running.synced;

    const secret = (await kubeApi<{ type: string; data: Record<string, string> }>(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/secrets/esi-tls`)).body;
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const bundle = async () =>
      Buffer.from((await kubeApi<{ webhooks: { clientConfig: { caBundle: string } }[] }>(adminAccess(), 'GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${configName}`)).body.webhooks[0]!.clientConfig.caBundle, 'base64').toString();
    expect(await bundle()).toBe(Buffer.from(secret.data['ca.crt']!, 'base64').toString());
    await eventually(() => admitted(ns), 'the apiserver to call the webhook with the self-issued certificate');

    // a second replica starting later reuses the stored certificate
    const replica = new SelfManagedTls({ ...selfManaged, client, log: silentLogger });
    expect((await replica.ensure()).pem.cert).toBe(Buffer.from(secret.data['tls.crt']!, 'base64').toString());

    // 300 days later the certificate is due: a new CA and certificate, the bundle trusts both meanwhile
    const later = new SelfManagedTls({ ...selfManaged, client, log: silentLogger, now: () => new Date(Date.now() + 300 * 86_400_000) });
    const rotated = await later.ensure();
    expect(rotated.pem.cert).not.toBe(Buffer.from(secret.data['tls.crt']!, 'base64').toString());
    expect((await bundle()).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(await admitted(ns)).toBe(true); // still serving the old certificate: old CA still trusted
    expect(await running.server.reloadTls(rotated.pem)).toBe(true);
    await eventually(() => admitted(ns), 'admission with the rotated certificate');
  });
});
