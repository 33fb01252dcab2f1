// The part of test/harness/index.ts the providers suites use, importable on Node 20.
// test/harness/index.ts imports @kubernetes/client-node, whose undici 8 does not load on Node 20
// (zlib zstd, webidl markAsUncloneable). Everything here goes through the harness's own lower modules
// (kube-http, openbao, sentinels) and its control endpoint, with the same behaviour as index.ts.
// Switch back to '../harness/index.ts' once it loads on the project's Node version.
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ensureNamespace, ensureServiceAccount, requestToken, type KubeAccess } from '../harness/kube-http.ts';
import { baoApi } from '../harness/openbao.ts';
import { newSentinel } from '../harness/sentinels.ts';
import type { HarnessInfo } from '../harness/types.ts';

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
export const VAULT_AUDIENCE = 'vault';

export function harness(): HarnessInfo {
  const h = inject('esiHarness');
  if (!h) throw new Error('e2e harness not started: run these tests with `vitest run --project e2e` (global setup)');
  return h;
}

function adminAccess(): KubeAccess {
  const h = harness();
  return { server: h.apiserverUrl, caPath: h.caPath, certPath: h.adminCertPath, keyPath: h.adminKeyPath };
}

const rand = (n = 3) => randomBytes(n).toString('hex');

export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${rand()}`;
  await ensureNamespace(adminAccess(), name);
  return name;
}

export async function createServiceAccountToken(namespace: string, sa: string, audiences: string[], expirationSeconds = 3600): Promise<string> {
  await ensureServiceAccount(adminAccess(), namespace, sa);
  return requestToken(adminAccess(), namespace, sa, audiences, expirationSeconds);
}

export function scratchPath(name: string): string {
  const dir = join(harness().runDir, 'scratch');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, name);
}

export function writeTokenFile(token: string, name = `token-${rand(6)}`): string {
  const p = scratchPath(name);
  writeFileSync(p, token, { mode: 0o600 });
  return p;
}

export function logFile(name: string): string {
  return join(harness().logDir, name);
}

export function sentinel(label = 'value'): string {
  return newSentinel(harness().runDir, label);
}

export function sha256(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

export type AwsIdentityKind = 'pod-identity' | 'irsa' | 'static';

/** Same environment as the harness's awsEnv (TEST-INFRA §6.4). */
export async function awsEnv(
  kind: AwsIdentityKind,
  o: { namespace?: string; serviceAccount?: string; roleArn?: string; accessKeyId?: string; secretAccessKey?: string } = {},
): Promise<Record<string, string>> {
  const h = harness();
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: scratchPath('home'),
    AWS_REGION: h.awsRegion,
    AWS_DEFAULT_REGION: h.awsRegion,
    AWS_ENDPOINT_URL: h.motoUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: scratchPath('no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: scratchPath('no-such-aws-credentials'),
  };
  if (kind === 'static') {
    env['AWS_ACCESS_KEY_ID'] = o.accessKeyId ?? 'test';
    env['AWS_SECRET_ACCESS_KEY'] = o.secretAccessKey ?? 'test';
    return env;
  }
  if (!o.namespace || !o.serviceAccount) throw new Error(`awsEnv('${kind}') needs namespace and serviceAccount`);
  if (kind === 'irsa') {
    const token = await createServiceAccountToken(o.namespace, o.serviceAccount, [IRSA_AUDIENCE], 86_400);
    env['AWS_ROLE_ARN'] = o.roleArn ?? `arn:aws:iam::${h.awsAccountId}:role/${o.serviceAccount}`;
    env['AWS_WEB_IDENTITY_TOKEN_FILE'] = writeTokenFile(token, `irsa-token-${rand(6)}`);
    env['AWS_STS_REGIONAL_ENDPOINTS'] = 'regional';
  } else {
    const token = await createServiceAccountToken(o.namespace, o.serviceAccount, [POD_IDENTITY_AUDIENCE], 86_400);
    env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = h.podIdentityUrl;
    env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] = writeTokenFile(token, `eks-pod-identity-token-${rand(6)}`);
  }
  return env;
}

export function motoSecretsManager(): SecretsManagerClient {
  const h = harness();
  return new SecretsManagerClient({ region: h.awsRegion, endpoint: h.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

export async function putAwsSecret(name: string, value: string | Uint8Array, tags: Record<string, string> = {}): Promise<string> {
  const sm = motoSecretsManager();
  const payload = typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };
  try {
    const r = await sm.send(new CreateSecretCommand({ Name: name, ...payload, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    return r.ARN!;
  } catch (e) {
    if ((e as Error).name !== 'ResourceExistsException') throw e;
    const r = await sm.send(new PutSecretValueCommand({ SecretId: name, ...payload }));
    return r.ARN!;
  } finally {
    sm.destroy();
  }
}

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const h = harness();
  const r = await fetch(`${h.controlUrl}${path}`, {
    method,
    headers: { 'x-esi-control': h.controlToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`harness control ${method} ${path.split('?')[0]} → HTTP ${r.status}`);
  return text ? JSON.parse(text) : undefined;
}

export async function registerPodIdentity(namespace: string, serviceAccount: string, roleArn: string): Promise<void> {
  await control('PUT', '/_esi/pod-identity/associations', { namespace, serviceAccount, roleArn });
}

export interface AssociationStats {
  requests: number;
  served: number;
  denied: number;
}

export async function podIdentityStats(namespace: string, serviceAccount: string): Promise<AssociationStats> {
  return (await control('GET', `/_esi/pod-identity/stats?${new URLSearchParams({ namespace, serviceAccount })}`)) as AssociationStats;
}

/** Calls the OpenBao API with the root token. */
export async function bao(method: string, path: string, body?: unknown): Promise<unknown> {
  const h = harness();
  return baoApi(h.baoUrl, h.baoRootToken, method, path, body);
}

export async function putBaoSecret(mount: string, path: string, data: Record<string, unknown>, kv: 1 | 2 = 2): Promise<void> {
  await bao('POST', kv === 2 ? `${mount}/data/${path}` : `${mount}/${path}`, kv === 2 ? { data } : data);
}

/** Writes raw JSON text (so numbers like 1.50 keep their text in storage). */
export async function putBaoRaw(path: string, json: string): Promise<void> {
  const h = harness();
  const r = await fetch(`${h.baoUrl}/v1/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': h.baoRootToken, 'content-type': 'application/json' },
    body: json,
    signal: AbortSignal.timeout(15_000),
  });
  if (!r.ok) throw new Error(`OpenBao POST /v1/${path} → HTTP ${r.status}`);
}
