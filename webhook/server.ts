/**
 * The HTTPS server: `POST /mutate`, `/healthz`, `/readyz`, `/metrics`. TLS from files, re-read when they
 * change (a renewed Secret volume swaps them in place), or from memory (self-managed certificates).
 */
import { watchFile, unwatchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadRegexpEngine } from '../eso/index.ts';
import { admit, BadReview, parseReview, type AdmissionEnv } from './admission.ts';
import type { Logger } from '../core/log.ts';
import type { WebhookMetrics } from './metrics.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}
export interface TlsPem {
  cert: string;
  key: string;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  tls: TlsFiles | TlsPem;
  env: AdmissionEnv;
  metrics: WebhookMetrics;
  log: Logger;
  /** Poll interval for TLS file changes (ms). */
  tlsPollMs?: number;
}

export interface WebhookServer {
  server: Server;
  port: number;
  /** Re-reads the TLS files (or takes new PEMs); keeps the old context when the new pair is unusable. */
  reloadTls(pem?: TlsPem): Promise<boolean>;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

async function readTls(tls: TlsFiles | TlsPem): Promise<TlsPem> {
  if ('cert' in tls) return tls;
  const [cert, key] = await Promise.all([readFile(tls.certFile, 'utf8'), readFile(tls.keyFile, 'utf8')]);
  return { cert, key };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BadReview(`request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  await loadRegexpEngine(); // admission matches ClusterSecretStore namespaceRegexes
  const initial = await readTls(o.tls);
  const server = createServer({ cert: initial.cert, key: initial.key, minVersion: 'TLSv1.2' });
  server.keepAliveTimeout = 65_000;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && url === '/mutate') {
      void mutate(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') return o.env.ready() ? send(res, 200, 'ok\n') : send(res, 503, 'caches not synced\n');
    if (url === '/metrics') {
      void o.metrics.registry.metrics().then(
        (text) => send(res, 200, text, o.metrics.registry.contentType),
        (e: unknown) => send(res, 500, `${String(e)}\n`),
      );
      return;
    }
    send(res, 404, 'not found\n');
  });

  async function mutate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = process.hrtime.bigint();
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch (e) {
      o.metrics.requests.inc({ result: 'error', dry_run: 'false' });
      return send(res, 400, `bad AdmissionReview: ${e instanceof BadReview ? e.message : 'invalid JSON'}\n`);
    }
    let request;
    try {
      request = parseReview(body);
    } catch (e) {
      o.metrics.requests.inc({ result: 'error', dry_run: 'false' });
      return send(res, 400, `bad AdmissionReview: ${(e as Error).message}\n`);
    }
    const outcome = await admit(request, o.env);
    const text = JSON.stringify(outcome.review);
    send(res, 200, text, 'application/json');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    o.metrics.requests.inc({ result: outcome.result, dry_run: String(outcome.dryRun) });
    o.metrics.duration.observe({ result: outcome.result }, seconds);
    if (outcome.denialReason) o.metrics.denials.inc({ reason: outcome.denialReason });
    if (outcome.result !== 'skipped') {
      const obj = request.object as { metadata?: { name?: string; generateName?: string } } | undefined;
      o.log[outcome.result === 'error' ? 'error' : 'info']({
        uid: request.uid,
        namespace: request.namespace,
        pod: obj?.metadata?.name || obj?.metadata?.generateName || '',
        result: outcome.result,
        dryRun: outcome.dryRun,
        ...(outcome.denialReason ? { reason: outcome.denialReason, message: outcome.review.response.status?.message } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        ops: outcome.patch.length,
        ms: Math.round(seconds * 1e4) / 10,
      }, 'admission');
    }
  }

  async function reloadTls(pem?: TlsPem): Promise<boolean> {
    try {
      const next = pem ?? (await readTls(o.tls));
      createSecureContext({ cert: next.cert, key: next.key }); // throws on a mismatched or broken pair
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' });
      o.log.info('tls reloaded');
      return true;
    } catch (e) {
      o.log.error({ error: (e as Error).message }, 'tls reload failed; keeping the previous certificate');
      return false;
    }
  }

  const watched: string[] = [];
  if (!('cert' in o.tls)) {
    const interval = o.tlsPollMs ?? 5000;
    let pending: NodeJS.Timeout | undefined;
    const onChange = () => {
      // cert and key change together; wait for both before reading
      clearTimeout(pending);
      pending = setTimeout(() => void reloadTls(), 200);
    };
    for (const f of [o.tls.certFile, o.tls.keyFile]) {
      watchFile(f, { interval, persistent: false }, onChange);
      watched.push(f);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  o.log.info({ host: o.host, port }, 'webhook listening');
  return {
    server,
    port,
    reloadTls,
    close: async () => {
      for (const f of watched) unwatchFile(f);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
