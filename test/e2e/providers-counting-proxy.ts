// A loopback HTTP proxy in front of moto that records every AWS API call (operation, signing key id,
// request parameters without values) and can answer chosen operations with AccessDeniedException, the way
// an IAM policy without secretsmanager:BatchGetSecretValue would. Used by the providers e2e tests and by
// bench/backend-calls.mjs to count backend calls per refresh.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedCall {
  /** `GetSecretValue`, `BatchGetSecretValue`, … for Secrets Manager; `AssumeRole`, … for STS. */
  op: string;
  service: 'secretsmanager' | 'ssm' | 'sts' | 'other';
  /** SigV4 access key id of the request (unsigned STS web-identity calls: ''). */
  accessKeyId: string;
  /** Secrets Manager JSON input minus secret values; STS form params minus the web identity token. */
  params: Record<string, unknown>;
  status: number;
  /** performance.now() when the request arrived (bench/scale bins calls per second by it). */
  at: number;
}

export interface CountingProxy {
  url: string;
  calls: RecordedCall[];
  /** Operations answered with 400 AccessDeniedException instead of being forwarded. */
  deny: Set<string>;
  count(op: string): number;
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const SAFE_SM_PARAMS = ['SecretId', 'SecretIdList', 'VersionId', 'VersionStage', 'Filters', 'NextToken', 'MaxResults'];

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const calls: RecordedCall[] = [];
  const deny = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const at = performance.now();
    try {
      const body = await readBody(req);
      const auth = String(req.headers['authorization'] ?? '');
      const accessKeyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
      const amzTarget = String(req.headers['x-amz-target'] ?? '');
      let op = 'unknown';
      let service: RecordedCall['service'] = 'other';
      const params: Record<string, unknown> = {};
      if (amzTarget.startsWith('secretsmanager.')) {
        service = 'secretsmanager';
        op = amzTarget.slice('secretsmanager.'.length);
        try {
          const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
          for (const k of SAFE_SM_PARAMS) if (k in input) params[k] = input[k];
        } catch {
          /* not JSON */
        }
      } else if (amzTarget.startsWith('AmazonSSM.')) {
        service = 'ssm';
        op = amzTarget.slice('AmazonSSM.'.length);
      } else if (body.length) {
        const form = new URLSearchParams(body.toString('utf8'));
        if (form.get('Action')) {
          service = 'sts';
          op = form.get('Action')!;
          for (const [k, v] of form) if (k !== 'WebIdentityToken') params[k] = v;
        }
      }
      if (deny.has(op)) {
        calls.push({ op, service, accessKeyId, params, status: 400, at });
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'denied-by-test-proxy' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: `User is not authorized to perform: secretsmanager:${op}` }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || ['host', 'connection', 'content-length', 'transfer-encoding', 'expect'].includes(k)) continue;
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      const upstream = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body: body.length ? body : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      calls.push({ op, service, accessKeyId, params, status: upstream.status, at });
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) outHeaders[k] = v;
      });
      res.writeHead(upstream.status, outHeaders);
      res.end(out);
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${(e as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('proxy did not bind');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    calls,
    deny,
    count: (op) => calls.filter((c) => c.op === op).length,
    reset: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
