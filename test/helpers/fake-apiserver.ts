/**
 * Test-only: an in-memory stand-in for the few kube-apiserver endpoints the agent calls (Secrets in a
 * namespace, Events), with resourceVersion checks and 409s like the real one. The e2e suite uses the
 * real apiserver; this keeps the unit tests fast and lets them inject conflicts.
 */
import { createServer, type Server } from 'node:http';

export interface FakeApiserver {
  url: string;
  secrets: Map<string, Record<string, any>>;
  events: Record<string, any>[];
  requests: string[];
  /** Make the next N writes of a Secret fail with 409 (as if another replica wrote first). */
  conflictNext(n: number): void;
  close(): Promise<void>;
}

export async function startFakeApiserver(): Promise<FakeApiserver> {
  const secrets = new Map<string, Record<string, any>>();
  const events: Record<string, any>[] = [];
  const requests: string[] = [];
  let rv = 100;
  let conflicts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}`);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const send = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const status = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
      let m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        events.push(body);
        return send(201, body);
      }
      m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m) return status(404, 'NotFound', 'no such path');
      const key = `${m[1]}/${m[2] ?? body?.metadata?.name}`;
      const existing = secrets.get(key);
      if ((req.method === 'POST' || req.method === 'PUT') && conflicts > 0) {
        conflicts--;
        return status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      }
      switch (req.method) {
        case 'GET':
          return existing ? send(200, existing) : status(404, 'NotFound', `secrets "${m[2]}" not found`);
        case 'POST':
          if (existing) return status(409, 'AlreadyExists', `secrets "${body.metadata.name}" already exists`);
          body.metadata.resourceVersion = String(++rv);
          body.metadata.uid = `uid-${rv}`;
          secrets.set(key, body);
          return send(201, body);
        case 'PUT':
          if (!existing) return status(404, 'NotFound', 'not found');
          if (body.metadata.resourceVersion !== existing.metadata.resourceVersion) return status(409, 'Conflict', 'the object has been modified');
          body.metadata.resourceVersion = String(++rv);
          secrets.set(key, body);
          return send(200, body);
        case 'DELETE':
          if (!existing) return status(404, 'NotFound', 'not found');
          secrets.delete(key);
          return send(200, { kind: 'Status', status: 'Success' });
        default:
          return status(405, 'MethodNotAllowed', 'no');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${a.port}`,
    secrets,
    events,
    requests,
    conflictNext: (n) => (conflicts = n),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
