// The ESO CRDs installed by the harness (ESI_ESO_CRDS = ESO v2.9.0 or v0.16.2, or esi's own deploy/crds)
// behave as esi expects through a real kube-apiserver: objects round-trip, API-server defaults are applied,
// v1beta1 is served exactly when the CRD set serves it, and required fields are enforced.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { adminAccess, freshNamespace, harness, kubeApi, kubeRaw } from '../harness/index.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, any> };

const G = '/apis/external-secrets.io';
const set = () => harness().crds.set;
const serves = (plural: string, version: string) => (harness().crds.served[plural] ?? []).includes(version);

/** What each CRD set defaults, from their schemas (ESO's CRDs, config/crds/bases/ at v0.16.2 and v2.9.0). */
function expectedDefaults() {
  const s = set();
  return {
    refreshInterval: s === 'v0.16.2' ? '1h' : '1h0m0s',
    // v2.9.0 dropped the strategy defaults from v1; v0.16.2 injects them in both versions.
    v1Strategies: s === 'v0.16.2',
    awsSessionTagsPolicy: s === 'v0.16.2' ? undefined : 'None',
    // useAzureSDK came after v0.16.2; authType and environmentType were defaulted by both.
    azureUseSdk: s === 'v0.16.2' ? undefined : false,
  };
}

let ns: string;
beforeAll(async () => {
  ns = await freshNamespace('crds');
});

const path = (version: string, plural: string, name?: string, namespaced = true) =>
  `${G}/${version}${namespaced ? `/namespaces/${ns}` : ''}/${plural}${name ? `/${name}` : ''}`;

async function create(version: string, plural: string, body: Obj, namespaced = true): Promise<Obj> {
  return (await kubeApi<Obj>(adminAccess(), 'POST', path(version, plural, undefined, namespaced), body)).body;
}

async function get(version: string, plural: string, name: string, namespaced = true): Promise<Obj> {
  return (await kubeApi<Obj>(adminAccess(), 'GET', path(version, plural, name, namespaced))).body;
}

function externalSecret(version: string, name: string): Obj {
  return {
    apiVersion: `external-secrets.io/${version}`,
    kind: 'ExternalSecret',
    metadata: { name },
    spec: {
      secretStoreRef: { name: 'aws-store', kind: 'SecretStore' },
      data: [{ secretKey: 'password', remoteRef: { key: 'app/db', property: 'password' } }],
      dataFrom: [{ extract: { key: 'app/config' } }, { find: { name: { regexp: '^app-' } } }],
    },
  };
}

function vaultStore(version: string, kind: 'SecretStore' | 'ClusterSecretStore', name: string): Obj {
  return {
    apiVersion: `external-secrets.io/${version}`,
    kind,
    metadata: { name },
    spec: {
      provider: {
        vault: {
          server: 'http://127.0.0.1:8200',
          path: 'secret',
          auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'app' } } },
        },
      },
    },
  };
}

function awsStore(version: string, name: string): Obj {
  return {
    apiVersion: `external-secrets.io/${version}`,
    kind: 'SecretStore',
    metadata: { name },
    spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1', auth: { jwt: { serviceAccountRef: { name: 'app' } } } } } },
  };
}

describe(`ESO CRDs (${process.env['ESI_ESO_CRDS'] ?? 'own deploy/crds'})`, () => {
  test('v1 is served for all three kinds', () => {
    for (const plural of ['externalsecrets', 'secretstores', 'clustersecretstores']) expect(serves(plural, 'v1')).toBe(true);
  });

  test('a v1 ExternalSecret gets the API-server defaults of its CRD set', async () => {
    await create('v1', 'externalsecrets', externalSecret('v1', 'es-v1'));
    const es = await get('v1', 'externalsecrets', 'es-v1');
    const d = expectedDefaults();
    expect(es.spec['refreshInterval']).toBe(d.refreshInterval);
    expect(es.spec['target']).toEqual({ creationPolicy: 'Owner', deletionPolicy: 'Retain' });
    expect(es.spec['secretStoreRef']).toEqual({ name: 'aws-store', kind: 'SecretStore' });
    const ref = es.spec['data'][0].remoteRef;
    expect(ref.key).toBe('app/db');
    expect(ref.property).toBe('password');
    if (d.v1Strategies) {
      expect(ref).toMatchObject({ conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' });
      expect(es.spec['dataFrom'][1].find).toMatchObject({ conversionStrategy: 'Default', decodingStrategy: 'None' });
    } else {
      for (const f of ['conversionStrategy', 'decodingStrategy', 'metadataPolicy']) expect(ref).not.toHaveProperty(f);
      expect(es.spec['dataFrom'][0].extract).not.toHaveProperty('decodingStrategy');
    }
  });

  test('explicit target fields are kept and the missing one is defaulted', async () => {
    const body = externalSecret('v1', 'es-target');
    body.spec['target'] = { name: 'other', creationPolicy: 'Orphan' };
    body.spec['target'].template = { data: { url: 'postgres://{{ .password }}' } };
    await create('v1', 'externalsecrets', body);
    const es = await get('v1', 'externalsecrets', 'es-target');
    expect(es.spec['target']).toMatchObject({ name: 'other', creationPolicy: 'Orphan', deletionPolicy: 'Retain' });
    expect(es.spec['target'].template).toMatchObject({ engineVersion: 'v2', mergePolicy: 'Replace', data: { url: 'postgres://{{ .password }}' } });
  });

  test('an unknown creationPolicy is rejected by the schema', async () => {
    const body = externalSecret('v1', 'es-bad-policy');
    body.spec['target'] = { creationPolicy: 'Sometimes' };
    const r = await kubeRaw<{ reason?: string; message?: string }>(adminAccess(), 'POST', path('v1', 'externalsecrets'), body);
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('creationPolicy');
  });

  test('a v1 vault SecretStore gets version v2 and mount path kubernetes', async () => {
    await create('v1', 'secretstores', vaultStore('v1', 'SecretStore', 'vault-v1'));
    const ss = await get('v1', 'secretstores', 'vault-v1');
    expect(ss.spec['provider'].vault.version).toBe('v2');
    expect(ss.spec['provider'].vault.auth.kubernetes).toEqual({ mountPath: 'kubernetes', role: 'app', serviceAccountRef: { name: 'app' } });
    expect(ss.spec['provider'].vault.server).toBe('http://127.0.0.1:8200');
  });

  test('a v1 aws SecretStore round-trips its IRSA auth', async () => {
    await create('v1', 'secretstores', awsStore('v1', 'aws-v1'));
    const ss = await get('v1', 'secretstores', 'aws-v1');
    expect(ss.spec['provider'].aws).toMatchObject({ service: 'SecretsManager', region: 'us-east-1', auth: { jwt: { serviceAccountRef: { name: 'app' } } } });
    expect(ss.spec['provider'].aws.sessionTagsPolicy).toBe(expectedDefaults().awsSessionTagsPolicy);
  });

  test('a v1 azurekv SecretStore gets authType, environmentType (and useAzureSDK) defaulted', async () => {
    const body = awsStore('v1', 'azure-v1');
    body.spec['provider'] = { azurekv: { vaultUrl: 'https://kv.vault.azure.net', serviceAccountRef: { name: 'app' } } };
    await create('v1', 'secretstores', body);
    const ss = await get('v1', 'secretstores', 'azure-v1');
    expect(ss.spec['provider'].azurekv).toMatchObject({ vaultUrl: 'https://kv.vault.azure.net', authType: 'ServicePrincipal', environmentType: 'PublicCloud', serviceAccountRef: { name: 'app' } });
    expect(ss.spec['provider'].azurekv.useAzureSDK).toBe(expectedDefaults().azureUseSdk);
    const bad = awsStore('v1', 'azure-bad');
    bad.spec['provider'] = { azurekv: { vaultUrl: 'https://kv.vault.azure.net', authType: 'Password' } };
    const r = await kubeRaw<{ message?: string }>(adminAccess(), 'POST', path('v1', 'secretstores'), bad);
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('authType');
  });

  test('a vault store without server is rejected (required field)', async () => {
    const body = vaultStore('v1', 'SecretStore', 'vault-no-server');
    delete body.spec['provider'].vault.server;
    const r = await kubeRaw<{ message?: string }>(adminAccess(), 'POST', path('v1', 'secretstores'), body);
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('server');
  });

  test('a v1 ClusterSecretStore is cluster-scoped and defaulted', async () => {
    const name = `css-${ns}`;
    await create('v1', 'clustersecretstores', vaultStore('v1', 'ClusterSecretStore', name), false);
    const css = await get('v1', 'clustersecretstores', name, false);
    expect(css.metadata.namespace).toBeUndefined();
    expect(css.spec['provider'].vault).toMatchObject({ version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: 'app' } } });
  });

  test("esi's own CRD files are what deploy/crds/generate.mjs produces", () => {
    const gen = join(import.meta.dirname, '..', '..', 'deploy', 'crds', 'generate.mjs');
    expect(() => execFileSync(process.execPath, [gen, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  describe('v1beta1', () => {
    const beta = serves('externalsecrets', 'v1beta1');

    test(`is ${beta ? '' : 'not '}served, as the CRD set declares`, async () => {
      expect(beta).toBe(set() !== 'v2.9.0');
      for (const plural of ['secretstores', 'clustersecretstores']) expect(serves(plural, 'v1beta1')).toBe(beta);
      const r = await kubeRaw(adminAccess(), 'GET', `${G}/v1beta1`);
      expect(r.status).toBe(beta ? 200 : 404);
    });

    test.skipIf(beta)('creating a v1beta1 ExternalSecret is refused when v1beta1 is not served', async () => {
      const r = await kubeRaw(adminAccess(), 'POST', path('v1beta1', 'externalsecrets'), externalSecret('v1beta1', 'es-beta'));
      expect(r.status).toBe(404); // "the server could not find the requested resource"
    });

    test.runIf(beta)('an ExternalSecret created as v1beta1 is defaulted, and reads back as v1 too', async () => {
      await create('v1beta1', 'externalsecrets', externalSecret('v1beta1', 'es-beta'));
      const b = await get('v1beta1', 'externalsecrets', 'es-beta');
      expect(b.apiVersion).toBe('external-secrets.io/v1beta1');
      expect(b.spec['refreshInterval']).toBe(expectedDefaults().refreshInterval);
      expect(b.spec['target']).toEqual({ creationPolicy: 'Owner', deletionPolicy: 'Retain' });
      // Every v1beta1 CRD (ESO's and esi's) injects the strategy defaults.
      expect(b.spec['data'][0].remoteRef).toMatchObject({ conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' });
      const asV1 = await get('v1', 'externalsecrets', 'es-beta');
      expect(asV1.apiVersion).toBe('external-secrets.io/v1');
      expect(asV1.spec['data']).toEqual(b.spec['data']);
    });

    test.runIf(beta)('a vault SecretStore created as v1beta1 is defaulted', async () => {
      await create('v1beta1', 'secretstores', vaultStore('v1beta1', 'SecretStore', 'vault-beta'));
      const ss = await get('v1beta1', 'secretstores', 'vault-beta');
      expect(ss.spec['provider'].vault).toMatchObject({ version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes' } } });
    });

    test.runIf(beta)('a ClusterSecretStore created as v1beta1 is defaulted and readable as v1', async () => {
      const name = `css-beta-${ns}`;
      await create('v1beta1', 'clustersecretstores', vaultStore('v1beta1', 'ClusterSecretStore', name), false);
      const css = await get('v1', 'clustersecretstores', name, false);
      expect(css.spec['provider'].vault).toMatchObject({ version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes' } } });
    });
  });
});
