/** Test-only builders of agent configs over ESO's `fake` provider (not part of the agent's surface). */
import type { AgentConfig } from '../../contract/index.ts';

export interface FakeEntry {
  key: string;
  value: string;
  version?: string;
}

export function fakeConfig(opts: {
  data: FakeEntry[];
  externalSecrets?: { name: string; keys: Record<string, string>; refreshInterval?: string; refreshPolicy?: string; deletionPolicy?: string; envFile?: string }[];
  fileMode?: number;
  mountPath?: string;
}): AgentConfig {
  const ess = opts.externalSecrets ?? [{ name: 'app', keys: { username: 'db-user', password: 'db-pass' } }];
  return {
    version: 1,
    pod: { namespace: 'default', name: 'app-0', serviceAccountName: 'app' },
    mountPath: opts.mountPath ?? '/var/run/secrets/esi',
    fileMode: opts.fileMode ?? 0o440,
    externalSecrets: ess.map((e) => ({
      dir: e.name,
      syncSecret: false,
      ...(e.envFile ? { envFile: e.envFile } : {}),
      externalSecret: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: e.name, namespace: 'default' },
        spec: {
          secretStoreRef: { name: 'fake', kind: 'SecretStore' },
          refreshInterval: e.refreshInterval ?? '1h0m0s',
          ...(e.refreshPolicy ? { refreshPolicy: e.refreshPolicy } : {}),
          target: { creationPolicy: 'Owner', deletionPolicy: e.deletionPolicy ?? 'Retain' },
          data: Object.entries(e.keys).map(([secretKey, key]) => ({ secretKey, remoteRef: { key } })),
        },
      } as never,
    })),
    stores: {
      'SecretStore/fake': {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'fake', namespace: 'default' },
        spec: { provider: { fake: { data: opts.data } } },
      } as never,
    },
  };
}
