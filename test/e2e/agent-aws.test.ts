// The agent against moto with each AWS identity path an injected pod can have — static keys, IRSA
// (web-identity token from a real TokenRequest, STS at moto), EKS Pod Identity (the harness's
// container-credentials emulator) — first sync and in-place rotation.
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { agentConfig, dataDir, fileHash, metricValue, startAgent, waitFor } from './agent-helpers.ts';
import { awsEnv, freshNamespace, harness, putAwsSecret, registerPodIdentity, sentinel, sha256, podIdentityStats } from '../harness/index.ts';

let ns: string;
beforeAll(async () => {
  ns = await freshNamespace('agent-aws');
});

const kinds = ['static', 'irsa', 'pod-identity'] as const;

describe.each(kinds)('AWS Secrets Manager with %s credentials', (kind) => {
  test('first sync writes the set; a new secret version rotates it in place', async () => {
    const sa = `app-${kind}`;
    const role = `arn:aws:iam::${harness().awsAccountId}:role/${sa}`;
    if (kind === 'pod-identity') await registerPodIdentity(ns, sa, role);
    const env = await awsEnv(kind, { namespace: ns, serviceAccount: sa, roleArn: role });
    const key = `${ns}/${kind}/db`;
    const pw1 = sentinel(`agent-aws-${kind}-1`);
    await putAwsSecret(key, JSON.stringify({ username: 'app', password: pw1 }));
    const config = agentConfig(ns, { name: 'aws', provider: { aws: { service: 'SecretsManager', region: harness().awsRegion } } }, [
      {
        name: 'db',
        refreshInterval: '300ms',
        data: [
          { secretKey: 'username', key, property: 'username' },
          { secretKey: 'password', key, property: 'password' },
        ],
      },
    ]);
    const agent = await startAgent(`aws-${kind}`, { config, env });
    try {
      const dir = agent.dir('db');
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw1), 'first sync');
      expect(await fileHash(join(dir, 'username'))).toBe(sha256('app'));
      const first = await dataDir(dir);
      const pw2 = sentinel(`agent-aws-${kind}-2`);
      await putAwsSecret(key, JSON.stringify({ username: 'app2', password: pw2 }));
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw2), 'rotation');
      expect(await fileHash(join(dir, 'username'))).toBe(sha256('app2'));
      expect(await dataDir(dir)).not.toBe(first);
      // The files flip first; the round's bookkeeping (metrics, state) follows a moment later.
      await waitFor(async () => (await metricValue(agent.metrics, 'esi_agent_rotations_total', { external_secret: 'db' })) >= 1, 'rotation counted');
      expect(await metricValue(agent.metrics, 'esi_agent_sync_errors_total')).toBe(0);
      if (kind === 'pod-identity') expect((await podIdentityStats(ns, sa)).served).toBeGreaterThanOrEqual(1);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });
});

test('init mode fails with a clear reason when the identity is refused, and writes nothing', async () => {
  const env = await awsEnv('static', { accessKeyId: 'test', secretAccessKey: 'test' });
  const config = agentConfig(ns, { name: 'aws', provider: { aws: { service: 'SecretsManager', region: harness().awsRegion } } }, [
    { name: 'missing', data: [{ secretKey: 'x', key: `${ns}/does-not-exist` }] },
  ]);
  const agent = await startAgent('aws-init-fail', { config, env, mode: 'init', initAttempts: 2, backoff: { baseMs: 10, capMs: 20 } });
  await expect(agent.done).rejects.toThrow(/first sync failed after 2 attempt\(s\): missing: error processing spec\.data\[0\] \(key: .*does-not-exist\), err: Secret does not exist/);
  await agent.stop().catch(() => undefined);
  expect(await dataDir(agent.dir('missing'))).toBeUndefined();
});
