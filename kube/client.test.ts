import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EsiError } from '../core/index.ts';
import { KubeClient, KubeError, kubeError, type WatchEvent } from './index.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url: string;
let seen: Seen[];
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
let dir: string;

beforeEach(async () => {
  seen = [];
  handler = (_req, res) => res.end();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'esi-kube-client-'));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('send and request', () => {
  it('send resolves with status and parsed body for any status; request returns the body of a 2xx', async () => {
    handler = (req, res) => (req.method === 'GET' ? json(res, 200, { kind: 'Secret', metadata: { name: 's' } }) : json(res, 409, status(409, 'Conflict', 'the object has been modified')));
    const c = new KubeClient({ server: url });
    expect(await c.send('PUT', '/api/v1/namespaces/n/secrets/s', { kind: 'Secret' })).toEqual({ status: 409, body: status(409, 'Conflict', 'the object has been modified') });
    expect(await c.request('GET', '/api/v1/namespaces/n/secrets/s')).toEqual({ kind: 'Secret', metadata: { name: 's' } });
  });

  it('sends JSON with content type and length, or the given content type (patches)', async () => {
    handler = (_req, res) => json(res, 200, {});
    const c = new KubeClient({ server: url, token: 'static-token' });
    await c.request('POST', '/api/v1/namespaces/n/events', { reason: 'Ünïcode' });
    await c.request('PATCH', '/api/v1/namespaces/n/pods/p', [{ op: 'test', path: '/a', value: 1 }], { contentType: 'application/json-patch+json' });
    await c.request('GET', '/version');
    expect(seen.map((s) => [s.method, s.url, s.headers['content-type'], s.headers['content-length'], s.body])).toEqual([
      ['POST', '/api/v1/namespaces/n/events', 'application/json', String(Buffer.byteLength('{"reason":"Ünïcode"}')), '{"reason":"Ünïcode"}'],
      ['PATCH', '/api/v1/namespaces/n/pods/p', 'application/json-patch+json', '37', '[{"op":"test","path":"/a","value":1}]'],
      ['GET', '/version', undefined, undefined, ''],
    ]);
    expect(seen.every((s) => s.headers['authorization'] === 'Bearer static-token' && s.headers['accept'] === 'application/json')).toBe(true);
  });

  it.each([
    [403, 'kube-forbidden'],
    [404, 'kube-not-found'],
    [409, 'kube-conflict'],
    [422, 'kube'],
    [500, 'kube'],
  ])('request maps HTTP %i to KubeError %s with the Status message, never the request body', async (code, errCode) => {
    handler = (_req, res) => json(res, code, status(code, 'Because', 'secrets "s" is forbidden: User "system:serviceaccount:n:default" cannot get resource'));
    const c = new KubeClient({ server: url });
    const canary = 'CANARY-SECRET-VALUE-9c1e';
    const err = await c.request('PUT', '/api/v1/namespaces/n/secrets/s?fieldManager=x', { data: { password: Buffer.from(canary).toString('base64') }, note: canary }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err).toBeInstanceOf(EsiError);
    const k = err as KubeError;
    expect([k.status, k.code, k.reason]).toEqual([code, errCode, 'Because']);
    expect(k.message).toBe(`kube-apiserver PUT /api/v1/namespaces/n/secrets/s: HTTP ${code}: secrets "s" is forbidden: User "system:serviceaccount:n:default" cannot get resource`);
    expect(k.message).not.toContain(canary);
    expect(k.message).not.toContain(Buffer.from(canary).toString('base64'));
    // send does not throw; kubeError gives the same error for callers that branch first
    const r = await c.send('PUT', '/api/v1/namespaces/n/secrets/s', {});
    expect(r.status).toBe(code);
    expect(kubeError('PUT', '/api/v1/namespaces/n/secrets/s', r).message).toBe(k.message);
  });

  it('keeps a non-JSON error body as text (shortened), and an empty one out of the message', async () => {
    handler = (req, res) => {
      res.writeHead(req.url === '/empty' ? 401 : 502, { 'content-type': 'text/plain' });
      res.end(req.url === '/empty' ? '' : `bad gateway ${'x'.repeat(500)}`);
    };
    const c = new KubeClient({ server: url });
    expect(await c.send('GET', '/text')).toEqual({ status: 502, body: `bad gateway ${'x'.repeat(500)}` });
    await expect(c.request('GET', '/text')).rejects.toThrow(new RegExp(`^kube-apiserver GET /text: HTTP 502: bad gateway x{188}$`));
    await expect(c.request('GET', '/empty')).rejects.toThrow(/^kube-apiserver GET \/empty: HTTP 401$/);
  });

  it('transport failures are EsiErrors kube-unreachable / kube-timeout, from send and request alike', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = new KubeClient({ server: `http://127.0.0.1:${port}` });
    const e1 = await down.send('GET', '/api/v1/namespaces/n/secrets/s?x=1').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(EsiError);
    expect(e1).not.toBeInstanceOf(KubeError);
    expect((e1 as EsiError).code).toBe('kube-unreachable');
    expect((e1 as Error).message).toMatch(/^kube-apiserver GET \/api\/v1\/namespaces\/n\/secrets\/s: .*ECONNREFUSED/);

    handler = () => {}; // never answers
    const c = new KubeClient({ server: url }, { timeoutMs: 150 });
    const e2 = await c.request('POST', '/api/v1/namespaces/n/events', { secret: 'CANARY-in-body' }).catch((e: unknown) => e);
    expect((e2 as EsiError).code).toBe('kube-timeout');
    expect((e2 as Error).message).toBe('kube-apiserver POST /api/v1/namespaces/n/events: timed out after 150 ms');
  });

  it('a response that stalls after its head is a kube-timeout too', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":'); // and nothing more
    };
    const c = new KubeClient({ server: url }, { timeoutMs: 150 });
    const e = await c.send('GET', '/slow').catch((err: unknown) => err);
    expect((e as EsiError).code).toBe('kube-timeout');
  });
});

describe('token file', () => {
  it('is read, used, and read again after its TTL (rotation); a vanished file keeps the last token', async () => {
    handler = (_req, res) => json(res, 200, {});
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'token-1\n');
    const cached = new KubeClient({ server: url, tokenFile }); // default TTL: one read for a while
    const fresh = new KubeClient({ server: url, tokenFile }, { tokenTtlMs: 0 });
    await cached.request('GET', '/a');
    await fresh.request('GET', '/a');
    await writeFile(tokenFile, 'token-2');
    await cached.request('GET', '/b');
    await fresh.request('GET', '/b');
    await unlink(tokenFile);
    await fresh.request('GET', '/c');
    expect(seen.map((s) => `${s.url} ${s.headers['authorization']}`)).toEqual([
      '/a Bearer token-1',
      '/a Bearer token-1',
      '/b Bearer token-1',
      '/b Bearer token-2',
      '/c Bearer token-2',
    ]);
  });

  it('missing from the start is an EsiError naming the file', async () => {
    const c = new KubeClient({ server: url, tokenFile: join(dir, 'nope') });
    await expect(c.send('GET', '/a')).rejects.toThrow(`Kubernetes API token ${join(dir, 'nope')}: ENOENT`);
    expect(seen).toEqual([]);
  });
});

describe('watch', () => {
  const ev = (type: string, name: string, extra = '') => JSON.stringify({ type, object: { kind: 'Pod', metadata: { name: name + extra } } });

  it('splits lines across chunk boundaries (also inside a multi-byte character) until the server ends', async () => {
    const lines = [ev('ADDED', 'a'), ev('MODIFIED', 'b', 'ü€'), ev('DELETED', 'c')];
    const all = Buffer.from(`${lines[0]}\n\n${lines[1]}\n${lines[2]}`); // last line without newline
    const euro = all.indexOf(Buffer.from('€')) + 1; // inside the 3-byte €
    const cuts = [5, lines[0]!.length + 1, euro, all.length];
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let from = 0;
      const next = (i: number) => {
        if (i === cuts.length) return res.end();
        res.write(all.subarray(from, cuts[i]));
        from = cuts[i]!;
        setTimeout(() => next(i + 1), 5);
      };
      next(0);
    };
    const got: WatchEvent[] = [];
    await new KubeClient({ server: url }).watch('/api/v1/pods?watch=1', (e) => got.push(e), new AbortController().signal);
    expect(got.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED bü€', 'DELETED c']);
    expect(seen[0]!.url).toBe('/api/v1/pods?watch=1');
  });

  it('a refused watch is a KubeError with the Status message', async () => {
    handler = (_req, res) => json(res, 403, status(403, 'Forbidden', 'pods is forbidden'));
    const err = await new KubeClient({ server: url }).watch('/api/v1/pods?watch=1', () => {}, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as Error).message).toBe('kube-apiserver GET /api/v1/pods: HTTP 403: pods is forbidden');
  });

  it('stops when the signal aborts (not reported as unreachable), and never quotes a bad line', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`${ev('ADDED', 'a')}\n`);
    };
    const ac = new AbortController();
    const got: string[] = [];
    const done = new KubeClient({ server: url }).watch('/api/v1/pods?watch=1', (e) => (got.push(e.type), ac.abort()), ac.signal).catch((e: unknown) => e);
    const err = await done;
    expect(got).toEqual(['ADDED']);
    expect(ac.signal.aborted).toBe(true);
    expect((err as { code?: string }).code).not.toBe('kube-unreachable');

    handler = (_req, res) => {
      res.writeHead(200);
      res.end('{"type":"ADDED","object":{"data":{"password":"CANARY-LINE-5e"}\n');
    };
    const bad = await new KubeClient({ server: url }).watch('/api/v1/secrets?watch=1', () => {}, new AbortController().signal).catch((e: unknown) => e);
    expect((bad as Error).message).toBe('kube-apiserver GET /api/v1/secrets: a watch event is not JSON');
  });

  it('an error thrown by the listener reaches the caller as it is', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(`${ev('ADDED', 'a')}\n`);
    };
    const boom = new Error('listener failed');
    const err = await new KubeClient({ server: url }).watch('/w', () => { throw boom; }, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBe(boom);
  });
});
