import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { lookupFrom } from '../injector/index.ts';
import { issueSelfSigned, renewalTime, verifiesAgainst } from './certs.ts';
import { silentLogger } from '../core/log.ts';
import { createWebhookMetrics } from './metrics.ts';
import { startWebhookServer, type WebhookServer } from './server.ts';

const NS = 'app';
const objects = [
  { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: NS }, spec: { provider: { fake: { data: [{ key: 'k', value: 'CANARY-not-a-secret' }] } } } },
  { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: NS }, spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] } },
];

function call(port: number, ca: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; peerCert: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, ca, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const sock = res.socket as unknown as { getPeerX509Certificate?: () => X509Certificate | undefined };
      const peerCert = sock.getPeerX509Certificate?.()?.fingerprint256 ?? '';
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, peerCert }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const review = (labels: Record<string, string>, annotations: Record<string, string>) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'abc', kind: { kind: 'Pod' }, resource: { resource: 'pods' }, namespace: NS, operation: 'CREATE', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels, annotations }, spec: { containers: [{ name: 'app' }] } } },
});

describe('webhook server', () => {
  let server: WebhookServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /mutate, /healthz, /readyz and /metrics over TLS, and reloads a renewed certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esi-webhook-'));
    const tls1 = issueSelfSigned({ commonName: 'esi-test', sans: ['127.0.0.1'], now: new Date(), validityDays: 30 });
    await writeFile(join(dir, 'tls.crt'), tls1.cert);
    await writeFile(join(dir, 'tls.key'), tls1.key);
    let ready = false;
    const metrics = createWebhookMetrics();
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      env: { ready: () => ready, context: (namespace) => ({ eso: lookupFrom(objects), namespace }) },
      metrics,
      log: silentLogger,
      tlsPollMs: 60_000,
    });
    const port = server.port;
    expect((await call(port, tls1.caCert, 'GET', '/healthz')).status).toBe(200);
    expect((await call(port, tls1.caCert, 'GET', '/readyz')).status).toBe(503);
    ready = true;
    expect((await call(port, tls1.caCert, 'GET', '/readyz')).status).toBe(200);

    const ok = await call(port, tls1.caCert, 'POST', '/mutate', review({ 'esi.dev/inject': 'true' }, { 'esi.dev/external-secrets': 'db' }));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).response).toMatchObject({ uid: 'abc', allowed: true, patchType: 'JSONPatch' });
    const bad = await call(port, tls1.caCert, 'POST', '/mutate', review({ 'esi.dev/inject': 'true' }, { 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'x' }));
    expect(JSON.parse(bad.text).response.status.message).toMatch(/^esi\.dev\/mode: "x" is not valid/);
    expect((await call(port, tls1.caCert, 'POST', '/mutate', '{not json')).status).toBe(400);

    const m = (await call(port, tls1.caCert, 'GET', '/metrics')).text;
    expect(m).toMatch(/esi_admission_requests_total\{result="injected",dry_run="false"\} 1/);
    expect(m).toMatch(/esi_admission_requests_total\{result="denied",dry_run="false"\} 1/);
    expect(m).toMatch(/esi_admission_denials_total\{reason="invalid-annotation"\} 1/);
    expect(m).toMatch(/esi_admission_duration_seconds_bucket\{le="\+Inf",result="injected"\} 1/);
    expect(m).toMatch(/esi_admission_duration_seconds_count\{result="denied"\} 1/);

    // a broken pair is refused and the old certificate keeps serving
    await writeFile(join(dir, 'tls.key'), 'garbage');
    expect(await server.reloadTls()).toBe(false);
    expect((await call(port, tls1.caCert, 'GET', '/healthz')).status).toBe(200);
    // a renewed certificate from a new CA is served after reload
    const tls2 = issueSelfSigned({ commonName: 'esi-test', sans: ['127.0.0.1'], now: new Date(), validityDays: 30 });
    await writeFile(join(dir, 'tls.crt'), tls2.cert);
    await writeFile(join(dir, 'tls.key'), tls2.key);
    expect(await server.reloadTls()).toBe(true);
    const after = await call(port, tls2.caCert, 'GET', '/healthz');
    expect(after.status).toBe(200);
    expect(after.peerCert).toBe(new X509Certificate(tls2.cert).fingerprint256);
    await expect(call(port, tls1.caCert, 'GET', '/healthz')).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the renewed certificate after a Secret volume update, found by its own file watch', async () => {
    // A Secret volume as kubelet's AtomicWriter lays it out (kubernetes pkg/volume/util/atomic_writer.go):
    // the files are symlinks through `..data` to a timestamped directory, and an update is one rename of a
    // new `..data` symlink, so a reader never sees half a pair. Nothing here calls reloadTls: the server's
    // poll must notice the swap by itself. The test polls what is served (no fixed sleep), so a slow
    // machine only makes it take longer.
    const dir = await mkdtemp(join(tmpdir(), 'esi-webhook-'));
    const publish = async (version: string, tls: { cert: string; key: string }) => {
      await mkdir(join(dir, version));
      await writeFile(join(dir, version, 'tls.crt'), tls.cert);
      await writeFile(join(dir, version, 'tls.key'), tls.key);
      await symlink(version, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    const tls1 = issueSelfSigned({ commonName: 'esi-test', sans: ['127.0.0.1'], now: new Date(), validityDays: 30 });
    await publish('..v1', tls1);
    await symlink(join('..data', 'tls.crt'), join(dir, 'tls.crt'));
    await symlink(join('..data', 'tls.key'), join(dir, 'tls.key'));
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      env: { ready: () => true, context: (namespace) => ({ eso: lookupFrom(objects), namespace }) },
      metrics: createWebhookMetrics(),
      log: silentLogger,
      tlsPollMs: 20,
    });
    const port = server.port;
    expect((await call(port, tls1.caCert, 'GET', '/healthz')).peerCert).toBe(new X509Certificate(tls1.cert).fingerprint256);

    const tls2 = issueSelfSigned({ commonName: 'esi-test', sans: ['127.0.0.1'], now: new Date(), validityDays: 30 });
    await publish('..v2', tls2);
    const want = new X509Certificate(tls2.cert).fingerprint256;
    // Until the reload lands the old pair is served, whose CA tls2's does not trust: the handshake fails.
    const served = () => call(port, tls2.caCert, 'GET', '/healthz').then((r) => r.peerCert, () => '');
    const deadline = Date.now() + 15_000; // generous: the poll is 20 ms and the debounce 200 ms
    let seen = await served();
    while (seen !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await served();
    }
    expect(seen).toBe(want);
    await expect(call(port, tls1.caCert, 'GET', '/healthz')).rejects.toThrow();
    await server.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });
});

describe('self-managed certificates', () => {
  it('issues a CA and a serving certificate for the names given, renewed at two thirds of their life', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const t = issueSelfSigned({ commonName: 'esi-webhook.esi-system.svc', sans: ['esi-webhook.esi-system.svc', '10.0.0.1'], now, validityDays: 90 });
    const leaf = new X509Certificate(t.cert);
    expect(verifiesAgainst(t.cert, t.caCert)).toBe(true);
    expect(leaf.checkHost('esi-webhook.esi-system.svc')).toBe('esi-webhook.esi-system.svc');
    expect(leaf.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(leaf.ca).toBe(false);
    expect(new X509Certificate(t.caCert).ca).toBe(true);
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(renewalTime(t.cert).getTime()).toBe(new Date(leaf.validFrom).getTime() + (2 / 3) * (new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()));
    const other = issueSelfSigned({ commonName: 'x', sans: ['x'], now, validityDays: 1 });
    expect(verifiesAgainst(t.cert, other.caCert)).toBe(false);
  });
});
