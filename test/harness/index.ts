// The e2e harness API for test files (see README.md here). Components are shared by every test file of
// the run: isolate with a fresh namespace, unique secret names/paths and unique roles; never reset globally.
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { inject } from 'vitest';
import { issueServingCert } from './certs.ts';
import type { KubeClient } from '../../kube/index.ts';
import { ensureNamespace, ensureServiceAccount, kubeApi, kubeClientFor, requestToken, tokenReview, type KubeAccess, type TokenReviewResult } from './kube-http.ts';
import { baoApi } from './openbao.ts';
import { POD_IDENTITY_AUDIENCE, type AssociationStats, type PodIdentityMode } from './pod-identity.ts';
import { newSentinel } from './sentinels.ts';
import type { HarnessInfo } from './types.ts';

export type { HarnessInfo } from './types.ts';
export type { KubeAccess, KubeResponse, TokenReviewResult } from './kube-http.ts';
export type { PodIdentityMode, AssociationStats } from './pod-identity.ts';
export { KubeApiError, kubeApi, kubeRaw } from './kube-http.ts';
export { POD_IDENTITY_AUDIENCE } from './pod-identity.ts';

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const VAULT_AUDIENCE = 'vault';

/** Endpoints of this run. Throws if the e2e global setup did not run. */
export function harness(): HarnessInfo {
  const h = inject('esiHarness');
  if (!h) throw new Error('e2e harness not started: run these tests with `vitest run --project e2e` (global setup)');
  return h;
}

/** Admin access (client cert in system:masters) for `kubeApi`/`kubeRaw`. */
export function adminAccess(): KubeAccess {
  const h = harness();
  return { server: h.apiserverUrl, caPath: h.caPath, certPath: h.adminCertPath, keyPath: h.adminKeyPath };
}

/** The kube/ client (as the agent and webhook use it) with admin access: request<T>() throws, send() does not, watch(). */
export function adminClient(): KubeClient {
  return kubeClientFor(adminAccess());
}

const rand = (n = 3) => randomBytes(n).toString('hex');

/** A new namespace `<prefix>-<random>` (namespaces are never deleted: no controller-manager runs). */
export async function freshNamespace(prefix = 'e2e'): Promise<string> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${rand()}`;
  await ensureNamespace(adminAccess(), name);
  return name;
}

export async function createServiceAccount(namespace: string, name: string): Promise<void> {
  await ensureServiceAccount(adminAccess(), namespace, name);
}

/** TokenRequest for `namespace/serviceAccount` (created if missing). Minimum lifetime is 600 s. */
export async function createServiceAccountToken(
  namespace: string,
  serviceAccount: string,
  audiences: string[],
  expirationSeconds = 3600,
): Promise<string> {
  await ensureServiceAccount(adminAccess(), namespace, serviceAccount);
  return requestToken(adminAccess(), namespace, serviceAccount, audiences, expirationSeconds);
}

export async function reviewToken(token: string, audiences: string[]): Promise<TokenReviewResult> {
  return tokenReview(adminAccess(), token, audiences);
}

/** Path of a file in the run's scratch dir (0700), for tokens, configs, agent output. */
export function scratchPath(name: string): string {
  const dir = join(harness().runDir, 'scratch');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, name);
}

/** Writes a token file the way the kubelet does (no trailing newline, 0600) and returns its path. */
export function writeTokenFile(token: string, name = `token-${rand(6)}`): string {
  const p = scratchPath(name);
  writeFileSync(p, token, { mode: 0o600 });
  return p;
}

export function runDir(): string {
  return harness().runDir;
}

/** Where a log file named `name` belongs; name esi's own logs `esi-*.log` so the sentinel scan reads them. */
export function logFile(name: string): string {
  return join(harness().logDir, name);
}

/** A unique recognisable fake secret value; the teardown fails the run if it appears in any esi-*.log. */
export function sentinel(label = 'value'): string {
  return newSentinel(harness().runDir, label);
}

export function sha256(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

// ---------------------------------------------------------------------------------------------- AWS

export type AwsIdentityKind = 'pod-identity' | 'irsa' | 'static';

export interface AwsEnvOptions {
  namespace?: string;
  serviceAccount?: string;
  /** IRSA role (default arn:aws:iam::123456789012:role/<serviceAccount>). */
  roleArn?: string;
  /** Use this token instead of minting one (e.g. to test a wrong audience). */
  token?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * A clean environment for a process (or SDK) that must reach AWS through moto only:
 * no inherited AWS_* or proxies, IMDS disabled, config files pointing nowhere, and the identity path's
 * own variables. Token files are written to the run's scratch dir.
 */
export async function awsEnv(kind: AwsIdentityKind, o: AwsEnvOptions = {}): Promise<Record<string, string>> {
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
  const needSa = () => {
    if (!o.namespace || !o.serviceAccount) throw new Error(`awsEnv('${kind}') needs namespace and serviceAccount (or token)`);
    return [o.namespace, o.serviceAccount] as const;
  };
  if (kind === 'static') {
    env['AWS_ACCESS_KEY_ID'] = o.accessKeyId ?? 'test';
    env['AWS_SECRET_ACCESS_KEY'] = o.secretAccessKey ?? 'test';
  } else if (kind === 'irsa') {
    const token = o.token ?? (await createServiceAccountToken(...needSa(), [IRSA_AUDIENCE], 86_400));
    env['AWS_ROLE_ARN'] = o.roleArn ?? `arn:aws:iam::${h.awsAccountId}:role/${o.serviceAccount ?? 'irsa'}`;
    env['AWS_WEB_IDENTITY_TOKEN_FILE'] = writeTokenFile(token, `irsa-token-${rand(6)}`);
    env['AWS_STS_REGIONAL_ENDPOINTS'] = 'regional';
  } else {
    const token = o.token ?? (await createServiceAccountToken(...needSa(), [POD_IDENTITY_AUDIENCE], 86_400));
    env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = h.podIdentityUrl;
    env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] = writeTokenFile(token, `eks-pod-identity-token-${rand(6)}`);
  }
  return env;
}

/** A Secrets Manager client for seeding moto (static dummy keys, account 123456789012). */
export function motoSecretsManager(): SecretsManagerClient {
  const h = harness();
  return new SecretsManagerClient({
    region: h.awsRegion,
    endpoint: h.motoUrl,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Creates (or adds a new AWSCURRENT version to) a Secrets Manager secret in moto; returns its ARN. */
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

export interface AwsReadResult {
  ok: boolean;
  /** sha256 of SecretString (never the value itself). */
  valueSha256?: string;
  errorName?: string;
  errorMessage?: string;
}

/**
 * Reads a secret with the AWS SDK's default credential chain in a separate Node process whose environment
 * is exactly `env` (as the esi agent would run). Only a hash of the value comes back.
 */
export function readAwsSecretWithEnv(env: Record<string, string>, secretId: string, timeoutMs = 60_000): Promise<AwsReadResult> {
  const probe = join(import.meta.dirname, 'aws-probe.mjs');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [probe, secretId], { env, cwd: join(import.meta.dirname, '..', '..'), timeout: timeoutMs }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as AwsReadResult);
      } catch {
        reject(new Error(`aws probe failed without a result (${err?.message ?? 'no output'})`));
      }
    });
  });
}

/** Associates a ServiceAccount with a role in the Pod Identity emulator (optionally a failure mode). */
export async function registerPodIdentity(
  namespace: string,
  serviceAccount: string,
  roleArn: string,
  opts: { mode?: PodIdentityMode; expiresInSeconds?: number } = {},
): Promise<void> {
  await control('PUT', '/_esi/pod-identity/associations', { namespace, serviceAccount, roleArn, ...opts });
}

/** Requests the emulator saw for one ServiceAccount (authenticated ones only). */
export async function podIdentityStats(namespace: string, serviceAccount: string): Promise<AssociationStats> {
  const q = new URLSearchParams({ namespace, serviceAccount });
  return (await control('GET', `/_esi/pod-identity/stats?${q}`)) as AssociationStats;
}

// ---------------------------------------------------------------------------------------------- OpenBao

/** Writes a KV secret with the root token: kv 2 → `<mount>/data/<path>`, kv 1 → `<mount>/<path>`. */
export async function putBaoSecret(mount: string, path: string, data: Record<string, unknown>, kv: 1 | 2 = 2): Promise<void> {
  const h = harness();
  await baoApi(h.baoUrl, h.baoRootToken, 'POST', kv === 2 ? `${mount}/data/${path}` : `${mount}/${path}`, kv === 2 ? { data } : data);
}

export async function putBaoPolicy(name: string, hcl: string): Promise<void> {
  const h = harness();
  await baoApi(h.baoUrl, h.baoRootToken, 'PUT', `sys/policies/acl/${name}`, { policy: hcl });
}

/**
 * A Kubernetes-auth role on mount `kubernetes` (the shared apiserver's; the real-pod cluster's is
 * `PodClusterInfo.baoKubernetesMount`), audience `vault` unless given (`null`: the role checks none).
 */
export async function putBaoKubernetesRole(
  name: string,
  o: { namespaces: string[]; serviceAccounts: string[]; policies: string[]; audience?: string | null; ttl?: string; mount?: string },
): Promise<void> {
  const h = harness();
  await baoApi(h.baoUrl, h.baoRootToken, 'POST', `auth/${o.mount ?? 'kubernetes'}/role/${name}`, {
    bound_service_account_names: o.serviceAccounts,
    bound_service_account_namespaces: o.namespaces,
    ...(o.audience === null ? {} : { audience: o.audience ?? VAULT_AUDIENCE }),
    token_policies: o.policies,
    ...(o.ttl ? { token_ttl: o.ttl } : {}),
  });
}

// ---------------------------------------------------------------------------------------------- misc

/** A serving cert for 127.0.0.1 signed by the run's CA (e.g. for the esi webhook); caPath verifies it. */
export async function issueServingCertificate(name: string): Promise<{ cert: string; key: string; ca: string }> {
  const h = harness();
  const r = await issueServingCert(join(h.runDir, 'pki'), `${name}-${rand()}`);
  return { ...r, ca: h.caPath };
}

/**
 * A call to the harness's control API in the global-setup process (test files run in workers). Plain
 * node:http, not fetch: fetch (undici) gives up on a response whose headers take over 300 s whatever the
 * signal says, and `/_esi/pods/up` waits that long when another run holds the real-pod machine lock.
 */
export function control(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<unknown> {
  const h = harness();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${h.controlUrl}${path}`, {
      method,
      headers: { 'x-esi-control': h.controlToken, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      signal: AbortSignal.timeout(timeoutMs),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`harness control ${method} ${path.split('?')[0]} → HTTP ${status}: ${text.slice(0, 200)}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', (e) => reject(new Error(`harness control ${method} ${path.split('?')[0]}: ${e.message}`)));
    req.end(payload);
  });
}

/** Throws an error naming every shared component that is not running, with its log file. */
export async function assertComponentsHealthy(): Promise<void> {
  const r = (await control('GET', '/_esi/health')) as { ok: boolean; problems: string[] };
  if (!r.ok) throw new Error(`e2e components unhealthy:\n${r.problems.join('\n')}`);
}
