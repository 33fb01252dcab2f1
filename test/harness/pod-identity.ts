// A local stand-in for the EKS Pod Identity agent (the container-credentials protocol of the AWS SDK's fromContainerMetadata), plus the harness's control API.
//
// GET /v1/credentials: raw SA token in `Authorization` → TokenReview (audience pods.eks.amazonaws.com)
// against the test apiserver, then the real-pod cluster's once it runs (its pods reach the emulator at
// EKS's own address, test/harness/pods/cluster.ts) → association table (namespace/serviceaccount → role ARN) → moto STS
// AssumeRole → {AccessKeyId, SecretAccessKey, Token, AccountId, Expiration}. Errors are plain text:
// 400 malformed, 403 not authenticated / no association, 500 otherwise, like the real agent.
//
// /_esi/*: control routes for test workers (they run in other processes), guarded by a per-run token.
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tokenReview, type KubeAccess } from './kube-http.ts';

export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

/** How the emulator answers for one association: normally, or a failure mode for retry tests. */
export type PodIdentityMode = 'ok' | 'deny' | 'error' | 'stall';

export interface Association {
  roleArn: string;
  mode: PodIdentityMode;
  /** Override of the returned Expiration (seconds from now); default: what STS returned. */
  expiresInSeconds?: number;
}

export interface AssociationStats {
  requests: number;
  served: number;
  denied: number;
}

export interface ControlHooks {
  /** Problems of the harness's components (empty when all run). */
  health(): string[];
  /** Starts the real-pod cluster on first use (test/harness/pods/), resolving to its JSON-able info. */
  podCluster(): Promise<unknown>;
}

export interface PodIdentityServer {
  server: Server;
  url: string;
  credentialsUrl: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof fromTemporaryCredentials>>>;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

export async function startPodIdentity(o: {
  kube: KubeAccess;
  /** Further apiservers whose tokens count (the real-pod cluster's, once started). */
  moreReviewers?: () => KubeAccess[];
  motoUrl: string;
  region: string;
  controlToken: string;
  hooks: ControlHooks;
}): Promise<PodIdentityServer> {
  const associations = new Map<string, Association>();
  const stats = new Map<string, AssociationStats>();
  const statFor = (k: string) => {
    let s = stats.get(k);
    if (!s) stats.set(k, (s = { requests: 0, served: 0, denied: 0 }));
    return s;
  };

  // Minted keys are cached per role and session like the real agent does (§6.2), so a request costs one
  // TokenReview and stays far below the SDK's 1 s timeout even on a busy machine.
  const minted = new Map<string, AwsCredentialIdentity>();
  async function mint(roleArn: string, session: string): Promise<AwsCredentialIdentity> {
    const key = `${roleArn} ${session}`;
    const hit = minted.get(key);
    if (hit?.expiration && hit.expiration.getTime() - Date.now() > 15 * 60_000) return hit;
    const creds = await fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: session, DurationSeconds: 3600 },
      masterCredentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      clientConfig: { region: o.region, endpoint: o.motoUrl },
    })();
    minted.set(key, creds);
    return creds;
  }
  // Warm-up: loads the STS client and proves moto's STS answers before any test relies on it.
  await mint(`arn:aws:iam::123456789012:role/esi-e2e-warmup`, 'esi-e2e-warmup');

  async function credentials(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = req.headers['authorization'];
    if (typeof token !== 'string' || token.length === 0 || /\s/.test(token)) {
      return send(res, 400, 'Service account token cannot be empty or contain whitespace');
    }
    let review = await tokenReview(o.kube, token, [POD_IDENTITY_AUDIENCE]);
    for (const kube of o.moreReviewers?.() ?? []) {
      if (review.authenticated) break;
      review = await tokenReview(kube, token, [POD_IDENTITY_AUDIENCE]);
    }
    const m = review.authenticated ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(review.username ?? '') : null;
    if (!m) return send(res, 403, 'Service account token is not valid for audience pods.eks.amazonaws.com');
    const key = `${m[1]}/${m[2]}`;
    const s = statFor(key);
    s.requests++;
    const a = associations.get(key);
    if (!a || a.mode === 'deny') {
      s.denied++;
      return send(res, 403, `No Pod Identity association for service account ${key}`);
    }
    if (a.mode === 'error') return send(res, 500, 'Internal error (test lever)');
    if (a.mode === 'stall') {
      await new Promise((r) => setTimeout(r, 5000));
      return send(res, 500, 'Stalled (test lever)');
    }
    const creds = await mint(a.roleArn, `eks-${m[1]}-${m[2]}`.slice(0, 64));
    const expiration = a.expiresInSeconds !== undefined
      ? new Date(Date.now() + a.expiresInSeconds * 1000)
      : (creds.expiration ?? new Date(Date.now() + 3600_000));
    s.served++;
    send(res, 200, JSON.stringify({
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      Token: creds.sessionToken,
      AccountId: ROLE_ARN.exec(a.roleArn)?.[1] ?? '123456789012',
      Expiration: expiration.toISOString(),
    }), 'application/json');
  }

  function authorized(req: IncomingMessage): boolean {
    const got = Buffer.from(String(req.headers['x-esi-control'] ?? ''));
    const want = Buffer.from(o.controlToken);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!authorized(req)) return send(res, 401, 'missing or wrong x-esi-control');
    if (url.pathname === '/_esi/health' && req.method === 'GET') {
      const problems = o.hooks.health();
      return send(res, 200, JSON.stringify({ ok: problems.length === 0, problems }), 'application/json');
    }
    if (url.pathname === '/_esi/pods/up' && req.method === 'POST') {
      try {
        return send(res, 200, JSON.stringify(await o.hooks.podCluster()), 'application/json');
      } catch (e) {
        return send(res, 503, (e as Error).message);
      }
    }
    if (url.pathname === '/_esi/pod-identity/associations' && req.method === 'PUT') {
      const b = (await readJson(req)) as { namespace?: string; serviceAccount?: string } & Partial<Association>;
      if (!b.namespace || !b.serviceAccount || !b.roleArn || !ROLE_ARN.test(b.roleArn)) {
        return send(res, 400, 'need namespace, serviceAccount and a role ARN arn:aws:iam::<12 digits>:role/<name>');
      }
      associations.set(`${b.namespace}/${b.serviceAccount}`, {
        roleArn: b.roleArn,
        mode: b.mode ?? 'ok',
        ...(b.expiresInSeconds !== undefined ? { expiresInSeconds: b.expiresInSeconds } : {}),
      });
      return send(res, 204, '');
    }
    if (url.pathname === '/_esi/pod-identity/stats' && req.method === 'GET') {
      const key = `${url.searchParams.get('namespace')}/${url.searchParams.get('serviceAccount')}`;
      return send(res, 200, JSON.stringify(stats.get(key) ?? { requests: 0, served: 0, denied: 0 }), 'application/json');
    }
    return send(res, 404, 'no such control route');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = url.pathname.startsWith('/_esi/')
      ? control(req, res, url)
      : url.pathname === '/v1/credentials' && req.method === 'GET'
        ? credentials(req, res)
        : Promise.resolve(send(res, 404, 'not found'));
    handle.catch((e: Error) => {
      if (!res.headersSent) send(res, 500, `pod identity emulator: ${e.name}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    credentialsUrl: `${url}/v1/credentials`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
