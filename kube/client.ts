/**
 * One small Kubernetes API client over node:http(s) for the agent, the webhook and the e2e harness.
 * Not @kubernetes/client-node: its 2.x pulls undici 8, which throws at import on Node 20, and it costs
 * tens of MiB of RSS in every pod. Two styles over one transport: `send` resolves for any HTTP status
 * (callers branch, e.g. on 409), `request` throws KubeError unless 2xx. Transport failures are EsiErrors
 * `kube-unreachable` / `kube-timeout`. Request bodies never appear in errors (they may be Secrets).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { EsiError, type KubeObject } from '../core/index.ts';
import type { KubeAccess } from './access.ts';

export interface KubeResponse<T = unknown> {
  status: number;
  /** Parsed JSON; text when the body is not JSON; undefined when empty. */
  body: T;
}

export interface SendOptions {
  /** Default `application/json`; e.g. `application/json-patch+json`, `application/merge-patch+json`. */
  contentType?: string;
  /** Socket idle timeout; default the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface KubeClientOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** How long a token file's content is used before it is read again; default 60 s. */
  tokenTtlMs?: number;
  userAgent?: string;
}

export interface WatchEvent {
  type: string;
  object: KubeObject;
}

const codeFor = (status: number) =>
  status === 403 ? 'kube-forbidden' : status === 404 ? 'kube-not-found' : status === 409 ? 'kube-conflict' : 'kube';

/** A non-2xx answer of the apiserver: `kube-apiserver GET /api/v1/...: HTTP 403: <Status message>`. */
export class KubeError extends EsiError {
  readonly status: number;
  /** The Status object's `reason` (e.g. `AlreadyExists`, `Conflict`), when given. */
  readonly reason: string | undefined;
  constructor(method: string, path: string, status: number, responseBody: unknown) {
    const b = typeof responseBody === 'object' && responseBody ? (responseBody as { message?: unknown; reason?: unknown }) : undefined;
    const detail = b ? (typeof b.message === 'string' ? b.message.slice(0, 300) : '') : typeof responseBody === 'string' ? responseBody.slice(0, 200) : '';
    super(codeFor(status), `kube-apiserver ${method} ${path.split('?')[0]}: HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'KubeError';
    this.status = status;
    this.reason = typeof b?.reason === 'string' ? b.reason : undefined;
  }
}

/** The KubeError for a response `send` gave (for callers that branch on status first). */
export function kubeError(method: string, path: string, r: KubeResponse): KubeError {
  return new KubeError(method, path, r.status, r.body);
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // e.g. /readyz, or a proxy's error page
  }
}

export class KubeClient {
  readonly access: KubeAccess;
  readonly timeoutMs: number;
  readonly #tokenTtlMs: number;
  readonly #userAgent: string;
  #token: { value: string; readAt: number } | undefined;

  constructor(access: KubeAccess, opts: KubeClientOptions = {}) {
    this.access = access;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.#tokenTtlMs = opts.tokenTtlMs ?? 60_000;
    this.#userAgent = opts.userAgent ?? 'esi';
  }

  #bearer(): string | undefined {
    const a = this.access;
    if (a.token) return a.token;
    if (!a.tokenFile) return undefined;
    const now = Date.now();
    if (!this.#token || now - this.#token.readAt >= this.#tokenTtlMs) {
      try {
        this.#token = { value: readFileSync(a.tokenFile, 'utf8').trim(), readAt: now };
      } catch (e) {
        // A rotation in progress: keep the last token rather than fail; with none, say which file.
        if (!this.#token) throw new EsiError('kube-token', `Kubernetes API token ${a.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    return this.#token!.value;
  }

  /** Opens a request and resolves with the response head; the caller reads (or discards) the body. */
  #open(method: string, path: string, body: unknown, opts: SendOptions): Promise<{ res: IncomingMessage; timedOut: () => boolean }> {
    const url = new URL(path, this.access.server);
    const where = `kube-apiserver ${method} ${url.pathname}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const bearer = this.#bearer();
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    const a = this.access;
    const tls = url.protocol === 'https:';
    const tlsOpts = tls
      ? { ...(a.ca ? { ca: a.ca } : {}), ...(a.cert ? { cert: a.cert } : {}), ...(a.key ? { key: a.key } : {}), rejectUnauthorized: !a.insecure }
      : {};
    let timedOut = false;
    return new Promise((resolve, reject) => {
      // node:https loads with the first TLS call: an agent that never posts an Event never loads it.
      const req = (tls ? process.getBuiltinModule('node:https').request : httpRequest)(
        url,
        { method, headers, timeout: timeoutMs, ...tlsOpts, ...(opts.signal ? { signal: opts.signal } : {}) },
        (res) => resolve({ res, timedOut: () => timedOut }),
      );
      req.on('timeout', () => {
        timedOut = true;
        req.destroy(new EsiError('kube-timeout', `${where}: timed out after ${timeoutMs} ms`));
      });
      req.on('error', (e) => reject(this.#transportError(e, where, opts.signal)));
      req.end(payload);
    });
  }

  #transportError(e: unknown, where: string, signal?: AbortSignal): unknown {
    if (e instanceof EsiError || signal?.aborted) return e;
    return new EsiError('kube-unreachable', `${where}: ${(e as Error).message}`);
  }

  /** One request; resolves for any HTTP status (callers decide), rejects only on transport failure. */
  async send<T = unknown>(method: string, path: string, body?: unknown, opts: SendOptions = {}): Promise<KubeResponse<T>> {
    const { res, timedOut } = await this.#open(method, path, body, opts);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (e) {
      const where = `kube-apiserver ${method} ${new URL(path, this.access.server).pathname}`;
      if (timedOut() && !(e instanceof EsiError)) throw new EsiError('kube-timeout', `${where}: timed out after ${opts.timeoutMs ?? this.timeoutMs} ms`);
      throw this.#transportError(e, where, opts.signal);
    }
    return { status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) as T };
  }

  /** One request; the parsed body of a 2xx answer, else throws KubeError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, opts: SendOptions = {}): Promise<T> {
    const r = await this.send<T>(method, path, body, opts);
    if (r.status < 200 || r.status > 299) throw kubeError(method, path, r);
    return r.body;
  }

  /**
   * Streams a watch (`?watch=1...`): one JSON event per line, across chunk boundaries, until the server
   * ends it (resolves) or `signal` aborts (rejects with the abort). Non-200 throws KubeError.
   */
  async watch(path: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal, opts: { timeoutMs?: number } = {}): Promise<void> {
    const { res } = await this.#open('GET', path, undefined, { timeoutMs: opts.timeoutMs ?? 330_000, signal });
    const where = `kube-apiserver GET ${path.split('?')[0]}`;
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw new KubeError('GET', path, res.statusCode ?? 0, parseBody(Buffer.concat(chunks).toString('utf8')));
    }
    res.setEncoding('utf8'); // a multi-byte character may straddle two chunks
    let buf = '';
    let fromEmit = false;
    const emit = (line: string) => {
      if (!line.trim()) return;
      let e: WatchEvent;
      try {
        e = JSON.parse(line) as WatchEvent;
      } catch {
        fromEmit = true;
        throw new EsiError('kube', `${where}: a watch event is not JSON`); // the line itself may hold a Secret
      }
      fromEmit = true;
      onEvent(e);
      fromEmit = false;
    };
    try {
      for await (const chunk of res) {
        buf += chunk as string;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          emit(line);
        }
      }
    } catch (e) {
      res.destroy();
      throw fromEmit ? e : this.#transportError(e, where, signal);
    }
    emit(buf);
  }
}
