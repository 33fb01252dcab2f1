// Reading a running webhook replica's /metrics (HTTPS on its serving port), shared by the leader-election
// e2e suite and bench/scale-run.ts.
import { request, type Agent } from 'node:https';

/** The Prometheus text a replica serves at https://127.0.0.1:<port>/metrics (its serving cert signed by `ca`). */
export function scrapeMetrics(port: number, o: { ca?: string | Buffer; agent?: Agent; timeoutMs: number }): Promise<string> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', ca: o.ca, agent: o.agent, timeout: o.timeoutMs }, (resp) => {
      let body = '';
      resp.setEncoding('utf8');
      resp.on('data', (c: string) => (body += c));
      resp.on('end', () => res(body));
    });
    req.on('error', rej);
    req.end();
  });
}

/** One sample's value in that text: `name` as printed, labels included (`x_total{result="updated"}`); 0 when absent. */
export function metricSample(text: string, name: string): number {
  return Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}
