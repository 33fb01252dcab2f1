/**
 * One HTTP(S) exchange with node:http/https: raw response bytes (Vault's numbers must keep their text),
 * a per-request timeout, an optional CA bundle, and abort. No dependency beyond Node.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/** node:https (and TLS with it) loads on the first https store only: a plain-HTTP Vault never pays its memory. */
const https = () => process.getBuiltinModule('node:https');

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Agent carrying the store's CA bundle (https only). */
  agent?: HttpsAgent;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Thrown when no response arrived: refused, reset, timed out, aborted. Message names the URL, never a body. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

export function httpsAgentFor(caPem: string | undefined): HttpsAgent | undefined {
  return caPem ? new (https().Agent)({ ca: caPem, keepAlive: true }) : undefined;
}

/**
 * The most esi reads of one response. A Kubernetes Secret holds at most 1 MiB, so no larger value can be
 * synced; 4 MiB leaves room for JSON escaping. Vault sets no limit of its own (Secrets Manager: 64 KiB),
 * and reading an unbounded body first drove the agent to hundreds of MiB before failing.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(req.url);
    const isHttps = u.protocol === 'https:';
    if (!isHttps && u.protocol !== 'http:') {
      reject(new TransportError(`unsupported URL scheme ${u.protocol} in ${u.origin}`));
      return;
    }
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const opts = { method: req.method, headers, signal: req.signal, ...(isHttps && req.agent ? { agent: req.agent } : {}) };
    const r = (isHttps ? https().request : httpRequest)(u, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          r.destroy();
          reject(new TransportError(`${req.method} ${u.origin}${u.pathname}: response larger than ${MAX_RESPONSE_BYTES} bytes (esi's limit; a Kubernetes Secret holds at most 1 MiB): the backend value is too large`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(new TransportError(`${req.method} ${u.origin}${u.pathname}: ${e.message}`)));
    });
    r.setTimeout(req.timeoutMs, () => r.destroy(new Error(`timed out after ${req.timeoutMs} ms`)));
    r.on('error', (e) => reject(new TransportError(`${req.method} ${u.origin}${u.pathname}: ${e.message}`)));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
