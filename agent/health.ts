/**
 * The agent's small HTTP server: `/healthz` (alive), `/startupz` (first complete sync done — the native
 * sidecar's startup probe), `/readyz` (started and nothing stale), `/metrics` (Prometheus).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from '../core/index.ts';
import { HEALTH } from '../contract/index.ts';

export interface HealthState {
  started(): boolean;
  /** Empty when ready; otherwise why not (ExternalSecret names and reasons, never values). */
  notReadyReasons(): string[];
}

export interface HealthServer {
  server: Server;
  /** host:port actually bound (port 0 picks a free one). */
  address: string;
  close(): Promise<void>;
}

export async function startHealthServer(listen: { host: string; port: number }, state: HealthState, registry: Registry): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    switch (path) {
      case HEALTH.livePath:
        return send(200, 'ok\n');
      case HEALTH.startupPath:
        return state.started() ? send(200, 'ok\n') : send(503, 'waiting for the first complete sync\n');
      case HEALTH.readyPath: {
        const reasons = state.notReadyReasons();
        if (reasons.length > 0) return send(503, `${reasons.join('\n')}\n`);
        return state.started() ? send(200, 'ok\n') : send(503, 'waiting for the first complete sync\n');
      }
      case HEALTH.metricsPath:
        registry.metrics().then(
          (text) => send(200, text, registry.contentType),
          (e: Error) => send(500, `${e.message}\n`),
        );
        return;
      default:
        return send(404, 'not found\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const a = server.address();
  const address = typeof a === 'object' && a ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
