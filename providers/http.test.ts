import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, send } from './http.ts';

describe('defect 11: backend responses are bounded while reading', () => {
  it('stops reading a 10 MB response at the bound, with a message naming the limit and never the body', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'CANARY-');
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = () => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/secret/data/big`;
    try {
      const err = await send({ method: 'GET', url, timeoutMs: 10_000 }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe(`GET ${new URL(url).origin}/v1/secret/data/big: response larger than ${MAX_RESPONSE_BYTES} bytes (esi's limit; a Kubernetes Secret holds at most 1 MiB): the backend value is too large`);
      expect(sent).toBeLessThan(10 * 1024 * 1024);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
