// The agent with an azurekv store against the harness's Key Vault + Entra ID double over HTTPS (a double
// written from Azure's REST reference, not Azure: see test/harness/azure-keyvault.ts), with each identity an
// injected pod can have: Workload Identity as AKS's webhook sets it up (AZURE_* env and the projected token
// the injector copies), Workload Identity through the store's serviceAccountRef (the token esi projects),
// and a service principal from the store's authSecretRef (secretKeyRef env). First sync, rotation in place
// (a new secret version), and esi.dev/sync-secret's ESO-compatible Secret written with the pod's own account.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import type { Secret } from '../../core/index.ts';
import { credentialEnvNames } from '../../providers/index.ts';
import { agentConfig, podServiceAccount, syncSecretRules, dataDir, fileHash, metricValue, startAgent, waitFor } from './agent-helpers.ts';
import { AZURE_TOKEN_AUDIENCE, startKeyVaultDouble, type KeyVaultDouble } from '../harness/azure-keyvault.ts';
import { adminAccess, createServiceAccountToken, freshNamespace, harness, issueServingCertificate, kubeApi, sentinel, sha256, writeTokenFile } from '../harness/index.ts';

let ns: string;
let kv: KeyVaultDouble;
const previousAgent = https.globalAgent;

beforeAll(async () => {
  ns = await freshNamespace('agent-azure');
  const tls = await issueServingCertificate('azure-keyvault-agent');
  // The in-process agent uses Node's default agent: trust the run's CA as NODE_EXTRA_CA_CERTS would.
  https.globalAgent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, readFileSync(tls.ca, 'utf8')] });
  kv = await startKeyVaultDouble({ kube: adminAccess(), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') });
});

afterAll(async () => {
  https.globalAgent = previousAgent;
  await kv?.close();
});

const provider = (azurekv: Record<string, unknown>) => ({ azurekv: { vaultUrl: kv.url, ...azurekv } });

async function firstSyncThenRotation(name: string, azurekv: Record<string, unknown>, env: Record<string, string>, extra: Parameters<typeof agentConfig>[3] = {}): Promise<void> {
  const secretName = `db-${name}`;
  const pw1 = sentinel(`agent-azure-${name}-1`);
  kv.setSecret(secretName, JSON.stringify({ username: 'app', password: pw1 }));
  const config = agentConfig(ns, { name: 'kv', provider: provider(azurekv) }, [
    {
      name: 'db',
      refreshInterval: '300ms',
      data: [
        { secretKey: 'username', key: secretName, property: 'username' },
        { secretKey: 'password', key: `secret/${secretName}`, property: 'password' },
      ],
    },
  ], extra);
  const agent = await startAgent(`azure-${name}`, { config, env });
  try {
    const dir = agent.dir('db');
    await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw1), 'first sync');
    expect(await fileHash(join(dir, 'username'))).toBe(sha256('app'));
    const first = await dataDir(dir);
    const pw2 = sentinel(`agent-azure-${name}-2`);
    kv.setSecret(secretName, JSON.stringify({ username: 'app2', password: pw2 }));
    await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw2), 'rotation');
    expect(await fileHash(join(dir, 'username'))).toBe(sha256('app2'));
    expect(await dataDir(dir)).not.toBe(first);
    await waitFor(async () => (await metricValue(agent.metrics, 'esi_agent_rotations_total', { external_secret: 'db' })) >= 1, 'rotation counted');
    expect(await metricValue(agent.metrics, 'esi_agent_sync_errors_total')).toBe(0);
    expect(await metricValue(agent.metrics, 'esi_agent_backend_calls_total', { provider: 'azurekv' })).toBeGreaterThan(0);
  } finally {
    expect(await agent.stop()).toBe(0);
  }
}

describe('files and rotation in place', () => {
  test("Workload Identity from AKS's env (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST)", async () => {
    kv.addFederatedCredential('agent-wi', ns, 'app');
    kv.grant('agent-wi');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'app', [AZURE_TOKEN_AUDIENCE], 3600), `agent-azure-wi-${ns}`);
    const before = kv.stats().tokens['federated'] ?? 0;
    await firstSyncThenRotation('wi', { authType: 'WorkloadIdentity' }, { AZURE_CLIENT_ID: 'agent-wi', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: kv.url });
    // One token for the session, kept across the refreshes.
    expect(kv.stats().tokens['federated']).toBe(before + 1);
  });

  test("Workload Identity through serviceAccountRef: the token esi's injector projects (config serviceAccountTokens.azurekv)", async () => {
    kv.addFederatedCredential('agent-wi-ref', ns, 'web');
    kv.grant('agent-wi-ref');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'web', [AZURE_TOKEN_AUDIENCE], 3600), `agent-azure-wi-ref-${ns}`);
    await firstSyncThenRotation(
      'wi-ref',
      { authType: 'WorkloadIdentity', tenantId: kv.tenantId, serviceAccountRef: { name: 'web' } },
      { AZURE_CLIENT_ID: 'agent-wi-ref', AZURE_AUTHORITY_HOST: kv.url },
      { serviceAccountTokens: { azurekv: tokenFile } },
    );
  });

  test("service principal: client id and secret as the injector's secretKeyRef env", async () => {
    kv.addServicePrincipal('agent-sp', 'agent-sp-credential');
    kv.grant('agent-sp');
    const n = credentialEnvNames('SecretStore', 'kv');
    await firstSyncThenRotation(
      'sp',
      { tenantId: kv.tenantId, authSecretRef: { clientId: { name: 'azure-sp', key: 'client-id' }, clientSecret: { name: 'azure-sp', key: 'client-secret' } } },
      { [n['azureClientId']!]: 'agent-sp', [n['azureClientSecret']!]: 'agent-sp-credential', AZURE_AUTHORITY_HOST: kv.url },
    );
  });

  test('init mode fails with the reason when Entra refuses the identity, and writes nothing', async () => {
    kv.addFederatedCredential('agent-wi-refused', ns, 'someone-else');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'app', [AZURE_TOKEN_AUDIENCE], 3600), `agent-azure-refused-${ns}`);
    const config = agentConfig(ns, { name: 'kv', provider: provider({ authType: 'WorkloadIdentity' }) }, [{ name: 'refused', data: [{ secretKey: 'x', key: 'anything' }] }]);
    const env = { AZURE_CLIENT_ID: 'agent-wi-refused', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: kv.url };
    const agent = await startAgent('azure-init-refused', { config, env, mode: 'init', initAttempts: 2, backoff: { baseMs: 10, capMs: 20 } });
    await expect(agent.done).rejects.toThrow(/first sync failed after 2 attempt\(s\): refused: .*AADSTS70021: No matching federated identity record found/);
    await agent.stop().catch(() => undefined);
    expect(await dataDir(agent.dir('refused'))).toBeUndefined();
  });
});

test('esi.dev/sync-secret: the ESO-compatible Secret written with the pod\'s own service account, updated in place on rotation', async () => {
  const admin = adminAccess();
  const target = 'azure-db';
  const kubeconfig = await podServiceAccount(ns, 'syncer', syncSecretRules(target), 'agent-azure');
  kv.addFederatedCredential('agent-sync', ns, 'syncer');
  kv.grant('agent-sync');
  const wiToken = writeTokenFile(await createServiceAccountToken(ns, 'syncer', [AZURE_TOKEN_AUDIENCE], 3600), `agent-azure-sync-${ns}`);
  const pw1 = sentinel('agent-azure-sync-1');
  kv.setSecret('sync-db', JSON.stringify({ password: pw1 }), { tags: { team: 'payments' } });

  const es = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: ns },
    spec: {
      secretStoreRef: { name: 'kv', kind: 'SecretStore' },
      refreshInterval: '300ms',
      target: { name: target, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'password', remoteRef: { key: 'sync-db', property: 'password' } }],
      dataFrom: [{ extract: { key: 'sync-db', metadataPolicy: 'Fetch' } }],
    },
  };
  const created = await kubeApi<{ metadata: { uid: string } }>(admin, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`, es);
  const config = agentConfig(ns, { name: 'kv', controller: 'esi', provider: provider({ authType: 'WorkloadIdentity' }) }, [], { controllerClass: 'esi' });
  config.externalSecrets = [{ dir: 'db', syncSecret: true, externalSecret: { ...es, metadata: { ...es.metadata, uid: created.body.metadata.uid } } as never }];
  const env = { AZURE_CLIENT_ID: 'agent-sync', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: wiToken, AZURE_AUTHORITY_HOST: kv.url, ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const agent = await startAgent('azure-sync-secret', { config, env });
  const live = async () => (await kubeApi<Secret>(admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${target}`, undefined, { allow: [404] })).body;
  try {
    await waitFor(async () => {
      const s = await live();
      return s.data?.['password'] !== undefined && sha256(Buffer.from(s.data['password'], 'base64')) === sha256(pw1);
    }, 'Secret created');
    const s1 = await live();
    expect(Buffer.from(s1.data!['sync-db_team']!, 'base64').toString()).toBe('payments');
    expect(s1.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ExternalSecret', name: 'db', uid: created.body.metadata.uid, controller: true });
    const pw2 = sentinel('agent-azure-sync-2');
    kv.setSecret('sync-db', JSON.stringify({ password: pw2 }), { tags: { team: 'payments' } });
    await waitFor(async () => sha256(Buffer.from((await live()).data?.['password'] ?? '', 'base64')) === sha256(pw2), 'Secret updated');
    const s2 = await live();
    expect(s2.metadata.uid).toBe(s1.metadata.uid);
    expect(await fileHash(join(agent.dir('db'), 'password'))).toBe(sha256(pw2));
  } finally {
    expect(await agent.stop()).toBe(0);
  }
});
