import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, send } from './http.ts';

describe('defect 11: backend responses are bounded while reading', () => {
  it('stops reading a 64 MiB response at the bound, with a message naming the limit and never the body', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'CANARY-');
    // The server writes only as fast as the client drains, so `sent` stays short of the whole body
    // only if the client stops reading. Loopback socket buffers alone can absorb ~10 MiB under
    // autotuning (tcp_rmem/tcp_wmem maxima), which made a 10 MiB body an unreliable witness.
    const body = 64 * 1024 * 1024;
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = () => {
        while (sent < body) {
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
      expect(sent).toBeLessThan(body);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
