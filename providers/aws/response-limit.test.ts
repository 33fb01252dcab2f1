// Defect 11 of issue 18 on the AWS path: a Secrets Manager endpoint that answers with 10 MB (an emulator,
// a proxy, a wrong AWS_ENDPOINT_URL) is cut at the bound while streaming, with a message that names the
// limit and never the body. The server here stands in for the endpoint (a unit test fakes the boundary).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialEnvNames, createSecretsClient } from '../index.ts';
import type { SecretStore } from '../../eso/index.ts';
import { MAX_RESPONSE_BYTES } from '../http.ts';

const CANARY = 'CANARY-not-a-secret-';
let server: Server;
let sent = 0;
let url = '';

beforeAll(async () => {
  const chunk = Buffer.from(`{"Name":"big","SecretString":"${CANARY.repeat(4000)}`);
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    const more = () => {
      while (sent < 10 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end('"}');
    };
    more();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => {
  server?.close();
});

describe('defect 11: AWS responses are bounded while reading', () => {
  it('stops reading a 10 MB Secrets Manager answer at the bound, naming the limit and never the body', async () => {
    const store = { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'big', namespace: 'ns' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'a', key: 'id' }, secretAccessKeySecretRef: { name: 'a', key: 'key' } } } } } } } as unknown as SecretStore;
    const names = credentialEnvNames('SecretStore', 'big');
    const c = await createSecretsClient(store, {
      namespace: 'ns',
      env: { [names.awsAccessKeyId]: 'AKIDEXAMPLE', [names.awsSecretAccessKey]: 'not-a-real-key', AWS_ENDPOINT_URL: url, AWS_EC2_METADATA_DISABLED: 'true', HOME: '/nonexistent' },
      timeoutMs: 10_000,
    });
    try {
      const err = await c.getSecret({ key: 'big' }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toContain(`Secrets Manager: response larger than ${MAX_RESPONSE_BYTES} bytes (esi's limit`);
      expect(err?.message).not.toContain(CANARY);
      expect(sent).toBeLessThan(10 * 1024 * 1024 * 3); // not read whole (the SDK may retry, each attempt cut)
    } finally {
      await c.close();
    }
  });
});
