// The AWS side of the harness: moto serves Secrets Manager + STS, and the AWS SDK v3 (default credential
// chain, configured only by environment, in its own process) reads a secret through each identity path
// esi supports: EKS Pod Identity (local emulator + real TokenRequest token), IRSA (real TokenRequest token,
// STS AssumeRoleWithWebIdentity at moto) and static keys.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  IRSA_AUDIENCE,
  POD_IDENTITY_AUDIENCE,
  awsEnv,
  createServiceAccountToken,
  freshNamespace,
  harness,
  podIdentityStats,
  putAwsSecret,
  readAwsSecretWithEnv,
  registerPodIdentity,
  reviewToken,
  sentinel,
  sha256,
} from '../harness/index.ts';

let ns: string;
let secretName: string;
let valueHash: string;
const role = (name: string) => `arn:aws:iam::${harness().awsAccountId}:role/${name}`;

beforeAll(async () => {
  ns = await freshNamespace('aws');
  secretName = `${ns}/db-password`;
  const value = sentinel('aws-db-password');
  valueHash = sha256(value);
  await putAwsSecret(secretName, value);
});

describe('AWS identity paths against moto', () => {
  test('static keys read the secret', async () => {
    const r = await readAwsSecretWithEnv(await awsEnv('static'), secretName);
    expect(r).toEqual({ ok: true, valueSha256: valueHash });
  });

  test('Pod Identity: the SDK sends the token file to the emulator, which reviews it and mints keys', async () => {
    await registerPodIdentity(ns, 'app', role('app-pod-identity'));
    const env = await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'app' });
    expect(env['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toBe(harness().podIdentityUrl);
    expect(env['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/credentials$/);
    const token = readFileSync(env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']!, 'utf8');
    expect(token.endsWith('\n')).toBe(false);
    expect((await reviewToken(token, [POD_IDENTITY_AUDIENCE])).username).toBe(`system:serviceaccount:${ns}:app`);

    const before = await podIdentityStats(ns, 'app');
    const r = await readAwsSecretWithEnv(env, secretName);
    expect(r).toEqual({ ok: true, valueSha256: valueHash });
    const after = await podIdentityStats(ns, 'app');
    expect(after.served).toBeGreaterThan(before.served);
  });

  test('Pod Identity without an association is denied (403) and the read fails', async () => {
    const env = await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'unassociated' });
    const r = await readAwsSecretWithEnv(env, secretName);
    expect(r.ok).toBe(false);
    expect((await podIdentityStats(ns, 'unassociated')).denied).toBeGreaterThan(0);
  });

  test('Pod Identity rejects a token minted for another audience', async () => {
    await registerPodIdentity(ns, 'wrong-aud', role('wrong-aud'));
    const token = await createServiceAccountToken(ns, 'wrong-aud', [IRSA_AUDIENCE]);
    const r = await fetch(harness().podIdentityUrl, { headers: { authorization: token } });
    expect(r.status).toBe(403);
    expect((await podIdentityStats(ns, 'wrong-aud')).requests).toBe(0);
  });

  test('Pod Identity answers 400 without a token', async () => {
    const r = await fetch(harness().podIdentityUrl);
    expect(r.status).toBe(400);
  });

  test('Pod Identity emulator levers: response shape, short expiry, failure modes', async () => {
    const token = await createServiceAccountToken(ns, 'levers', [POD_IDENTITY_AUDIENCE]);
    const get = () => fetch(harness().podIdentityUrl, { headers: { authorization: token } });

    await registerPodIdentity(ns, 'levers', role('levers'), { expiresInSeconds: 330 });
    const t0 = Date.now();
    const ok = await get();
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['AccessKeyId', 'AccountId', 'Expiration', 'SecretAccessKey', 'Token']);
    expect(body['AccountId']).toBe(harness().awsAccountId);
    const expiresIn = (Date.parse(body['Expiration']!) - t0) / 1000;
    expect(expiresIn).toBeGreaterThan(320);
    expect(expiresIn).toBeLessThan(340);

    await registerPodIdentity(ns, 'levers', role('levers'), { mode: 'error' });
    expect((await get()).status).toBe(500);
    await registerPodIdentity(ns, 'levers', role('levers'), { mode: 'deny' });
    expect((await get()).status).toBe(403);
    expect(await podIdentityStats(ns, 'levers')).toEqual({ requests: 3, served: 1, denied: 1 });
  });

  test('IRSA: a real projected-style token for sts.amazonaws.com is exchanged at moto STS', async () => {
    const env = await awsEnv('irsa', { namespace: ns, serviceAccount: 'irsa-app' });
    expect(env['AWS_ROLE_ARN']).toBe(role('irsa-app'));
    const token = readFileSync(env['AWS_WEB_IDENTITY_TOKEN_FILE']!, 'utf8');
    // moto does not validate web identity tokens (its AssumeRoleWithWebIdentity accepts any token), so the test checks the token itself.
    const review = await reviewToken(token, [IRSA_AUDIENCE]);
    expect(review.authenticated).toBe(true);
    expect(review.username).toBe(`system:serviceaccount:${ns}:irsa-app`);
    const r = await readAwsSecretWithEnv(env, secretName);
    expect(r).toEqual({ ok: true, valueSha256: valueHash });
  });

  test('IRSA wins when Pod Identity is configured too', async () => {
    await registerPodIdentity(ns, 'both', role('both'));
    const pod = await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'both' });
    const irsa = await awsEnv('irsa', { namespace: ns, serviceAccount: 'both' });
    const before = await podIdentityStats(ns, 'both');
    const r = await readAwsSecretWithEnv({ ...pod, ...irsa }, secretName);
    expect(r).toEqual({ ok: true, valueSha256: valueHash });
    expect(await podIdentityStats(ns, 'both')).toEqual(before);
  });

  test('the environment never points at link-local or non-loopback endpoints', async () => {
    const env = { ...(await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'app' })), ...(await awsEnv('irsa', { namespace: ns, serviceAccount: 'app' })) };
    expect(env['AWS_EC2_METADATA_DISABLED']).toBe('true');
    expect(env).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    for (const [k, v] of Object.entries(env)) {
      if (/^https?:\/\//.test(v)) expect(new URL(v).hostname, k).toBe('127.0.0.1');
    }
  });
});
