// Backend calls per refresh, counted at a proxy in front of a real moto: esi's AWS client (prefetch with
// BatchGetSecretValue, one fetch per distinct key per sync) against ESO's pattern (GetSecretValue once per
// distinct key#version per reconcile, reproduced by the same client with batching off and no prefetch).
// Bundled and run by bench/backend-calls.mjs; not part of any test.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RemoteRef, SecretStore } from '../eso/index.ts';
import { openStore } from '../providers/index.ts';
import { startCountingProxy } from '../test/e2e/providers-counting-proxy.ts';

export interface BenchResult {
  keys: number;
  refsPerSync: number;
  refreshes: number;
  esiCallsMedian: number;
  esoCallsMedian: number;
  esiDeniedBatchCallsMedian: number;
  esiMsMedian: number;
  esoMsMedian: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runBackendCallsBench(motoUrl: string, opts: { sizes: number[]; refreshes: number }): Promise<BenchResult[]> {
  const region = 'us-east-1';
  const seed = new SecretsManagerClient({ region, endpoint: motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const proxy = await startCountingProxy(motoUrl);
  const env = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_ENDPOINT_URL: proxy.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    HOME: '/nonexistent',
  };
  const store: SecretStore = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'bench', namespace: 'bench' },
    spec: { provider: { aws: { service: 'SecretsManager', region } } },
  } as SecretStore;
  const results: BenchResult[] = [];
  try {
    for (const n of opts.sizes) {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const key = `bench-${n}/key-${i}`;
        keys.push(key);
        await seed.send(new CreateSecretCommand({ Name: key, SecretString: JSON.stringify({ user: `u${i}`, password: `bench-value-${i}` }) }));
      }
      // A realistic ExternalSecret set: each key read by two properties and once whole (extract).
      const refs: RemoteRef[] = keys.flatMap((key) => [{ key, property: 'user' }, { key, property: 'password' }, { key }]);

      const measure = async (mode: 'esi' | 'eso' | 'denied') => {
        const counts: number[] = [];
        const ms: number[] = [];
        if (mode === 'denied') proxy.deny.add('BatchGetSecretValue');
        const session = await openStore(store, { namespace: 'bench', env });
        for (let r = 0; r < opts.refreshes; r++) {
          proxy.reset();
          const t0 = performance.now();
          const c = session.forSync();
          if (mode !== 'eso') await c.prefetch(refs);
          for (const ref of refs) await c.getSecret(ref);
          ms.push(performance.now() - t0);
          counts.push(proxy.calls.filter((x) => x.service === 'secretsmanager').length);
        }
        await session.close();
        proxy.deny.delete('BatchGetSecretValue');
        return { calls: median(counts), ms: median(ms) };
      };
      const esi = await measure('esi');
      const eso = await measure('eso');
      const denied = await measure('denied');
      results.push({
        keys: n,
        refsPerSync: refs.length,
        refreshes: opts.refreshes,
        esiCallsMedian: esi.calls,
        esoCallsMedian: eso.calls,
        esiDeniedBatchCallsMedian: denied.calls,
        esiMsMedian: Math.round(esi.ms * 10) / 10,
        esoMsMedian: Math.round(eso.ms * 10) / 10,
      });
    }
  } finally {
    seed.destroy();
    await proxy.close();
  }
  return results;
}
