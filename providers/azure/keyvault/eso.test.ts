// ESO's Azure Key Vault semantics (ESO v2.9.0 providers/v1/azure/keyvault/keyvault.go and keyvault_test.go)
// over an in-memory Key Vault API: a boundary fake, the unit level. The wire (REST, tokens) is tested
// against the harness's Key Vault double in test/e2e/providers-azure.test.ts.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { NoSecretError } from '../../../core/index.ts';
import { parseSecretStore, secretStoreErrors } from '../../index.ts';
import { envNamesFor } from '../../context.ts';
import { AZURE_ACCOUNT_ANNOTATIONS, AZURE_CREDENTIALS, planAzureAuth } from './config.ts';
import { KeyVaultClient, KeyVaultError, jwkJson, objectType, type KeyVaultApi, type SecretBundle, type SecretItem } from './eso.ts';

const VAULT = 'https://kv.vault.azure.net';
const LEAF_PEM = readFileSync(new URL('../../../eso/template/testdata/pki/leaf.crt', import.meta.url), 'utf8');
const LEAF_DER = new X509Certificate(LEAF_PEM).raw;

interface Secret {
  versions: { id: string; value: string; enabled: boolean; tags?: Record<string, string | null>; attributes?: Record<string, number> }[];
}

function memoryVault(secrets: Record<string, Secret>, pageSize = 2) {
  const calls: string[] = [];
  const notFound = (what: string) => new KeyVaultError(404, 'SecretNotFound', `A secret with (name/id) ${what} was not found in this key vault.`);
  const api: KeyVaultApi = {
    async getSecret(name, version) {
      calls.push(`GetSecret ${name} ${version}`);
      const s = secrets[name];
      const v = version ? s?.versions.find((x) => x.id === version) : s?.versions.at(-1);
      if (!v) throw notFound(version ? `${name}/${version}` : name);
      if (!v.enabled) throw new KeyVaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', { code: 'SecretDisabled' });
      const b: SecretBundle = { id: `${VAULT}/secrets/${name}/${v.id}`, value: v.value, attributes: { enabled: true, ...v.attributes }, ...(v.tags ? { tags: v.tags } : {}) };
      return b;
    },
    async getCertificate(name, version) {
      calls.push(`GetCertificate ${name} ${version}`);
      if (name !== 'tls') throw new KeyVaultError(404, 'CertificateNotFound', 'not found');
      return { id: `${VAULT}/certificates/tls/1`, cer: Buffer.from(LEAF_DER).toString('base64'), tags: { env: 'prod' }, attributes: { enabled: true, created: 1_700_000_000 } };
    },
    async getKey(name, version) {
      calls.push(`GetKey ${name} ${version}`);
      if (name !== 'signing') throw new KeyVaultError(404, 'KeyNotFound', 'not found');
      // REST order differs from Go's struct order, and carries a field the struct does not have.
      return { key: { e: 'AQAB', n: 'sXch', key_ops: ['sign', 'verify'], kty: 'RSA', kid: `${VAULT}/keys/signing/1`, extra: 'x' }, attributes: { enabled: true } };
    },
    async listSecrets(nextLink) {
      calls.push(`GetSecrets ${nextLink ?? ''}`);
      const names = Object.keys(secrets).sort();
      const start = nextLink ? Number(new URL(nextLink).searchParams.get('$skiptoken')) : 0;
      const value: SecretItem[] = names.slice(start, start + pageSize).map((n) => {
        const v = secrets[n]!.versions.at(-1)!;
        return { id: `${VAULT}/secrets/${n}`, attributes: { enabled: v.enabled }, ...(v.tags ? { tags: v.tags } : {}) };
      });
      const next = start + pageSize < names.length ? `${VAULT}/secrets?api-version=7.4&$skiptoken=${start + pageSize}` : null;
      return { value, nextLink: next };
    },
  };
  return { api, calls };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const fixture = (): Record<string, Secret> => ({
  db: { versions: [{ id: 'v1', value: '{"user":"old"}', enabled: true }, { id: 'v2', value: '{"user":"app","pass":"s3cret","a.b":"literal","n":{"x":1}}', enabled: true, tags: { env: 'prod', team: 'payments', cfg: '{"region":"eu"}' }, attributes: { created: 1_700_000_000, exp: 1_893_456_000 } }] },
  'db-replica': { versions: [{ id: 'r1', value: 'replica', enabled: true, tags: { env: 'prod' } }] },
  dormant: { versions: [{ id: 'd1', value: 'off', enabled: false, tags: { env: 'prod' } }] },
  other: { versions: [{ id: 'o1', value: 'plain', enabled: true, tags: { env: 'dev' } }] },
  empty: { versions: [{ id: 'e1', value: 'null', enabled: true }] },
});

describe('GetSecret', () => {
  test('secret/ and bare names: the latest value, a version, a property through gjson then the literal dotted key', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    expect(text(await c.getSecret({ key: 'db' }))).toContain('"user":"app"');
    expect(text(await c.getSecret({ key: 'secret/db', property: 'user' }))).toBe('app');
    expect(text(await c.getSecret({ key: 'db', version: 'v1', property: 'user' }))).toBe('old');
    expect(text(await c.getSecret({ key: 'db', property: 'n' }))).toBe('{"x":1}');
    expect(text(await c.getSecret({ key: 'db', property: 'n.x' }))).toBe('1');
    expect(text(await c.getSecret({ key: 'db', property: 'a.b' }))).toBe('literal');
    await expect(c.getSecret({ key: 'db', property: 'nope' })).rejects.toThrow('property nope does not exist in key db');
    await expect(c.getSecret({ key: 'db', property: 'x.y' })).rejects.toThrow('property x.y does not exist in key db');
  });

  test('a missing secret is NoSecretErr; a disabled one is the service error, in go-autorest words', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    await expect(c.getSecret({ key: 'missing' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: 'db', version: 'v9' })).rejects.toThrow('Secret does not exist');
    await expect(c.getSecret({ key: 'dormant' })).rejects.toThrow(
      'keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="Operation get is not allowed on a disabled secret." InnerError={"code":"SecretDisabled"}',
    );
  });

  test('cert/ is the DER certificate (property ignored); key/ is the JWK in Go field order, property via gjson', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    expect(Buffer.from(await c.getSecret({ key: 'cert/tls' })).equals(LEAF_DER)).toBe(true);
    expect(Buffer.from(await c.getSecret({ key: 'cert/tls', property: 'whatever' })).equals(LEAF_DER)).toBe(true);
    expect(text(await c.getSecret({ key: 'key/signing' }))).toBe(`{"kid":"${VAULT}/keys/signing/1","kty":"RSA","key_ops":["sign","verify"],"n":"sXch","e":"AQAB"}`);
    expect(text(await c.getSecret({ key: 'key/signing', property: 'kty' }))).toBe('RSA');
    await expect(c.getSecret({ key: 'cert/missing' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: 'example/db' })).rejects.toThrow('unknown Azure Keyvault object Type for db');
  });

  test('metadataPolicy Fetch: tags and attribute times as JSON, one tag, a gjson path into a tag', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch' }))).toBe(
      '{"attribute.created":"2023-11-14T22:13:20Z","attribute.expires":"2030-01-01T00:00:00Z","cfg":"{\\"region\\":\\"eu\\"}","env":"prod","team":"payments"}',
    );
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'env' }))).toBe('prod');
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'attribute.expires' }))).toBe('2030-01-01T00:00:00Z');
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'cfg.region' }))).toBe('eu');
    await expect(c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'owner' })).rejects.toThrow('tag owner does not exist');
    expect(text(await c.getSecret({ key: 'cert/tls', metadataPolicy: 'Fetch', property: 'env' }))).toBe('prod');
    expect(text(await c.getSecret({ key: 'db-replica', metadataPolicy: 'Fetch' }))).toBe('{"env":"prod"}');
  });

  test('one sync reads each (name, version) once', async () => {
    const { api, calls } = memoryVault(fixture());
    const c = new KeyVaultClient(api);
    await c.prefetch([{ key: 'db' }, { key: 'db' }, { key: 'cert/tls' }]);
    await c.getSecret({ key: 'db', property: 'user' });
    await c.getSecret({ key: 'secret/db', property: 'pass' });
    expect(calls).toEqual(['GetSecret db ']);
  });
});

describe('GetSecretMap (dataFrom.extract)', () => {
  test('a JSON object: strings unquoted, other values as raw JSON; not an object is ESO unmarshal error', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    const m = await c.getSecretMap({ key: 'db' });
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]))).toEqual({ user: 'app', pass: 's3cret', 'a.b': 'literal', n: '{"x":1}' });
    await expect(c.getSecretMap({ key: 'other' })).rejects.toThrow(/^error unmarshalling json data: invalid character 'p' looking for beginning of value$/);
    expect(await c.getSecretMap({ key: 'empty' })).toEqual({});
    await expect(c.getSecretMap({ key: 'cert/tls' })).rejects.toThrow('cannot get use dataFrom to get certificate secret');
    await expect(c.getSecretMap({ key: 'key/signing' })).rejects.toThrow('cannot get use dataFrom to get key secret');
  });

  test('metadataPolicy Fetch: <name>_<tag> entries, JSON-object tags spread, attribute times; one with property', async () => {
    const c = new KeyVaultClient(memoryVault(fixture()).api);
    const m = await c.getSecretMap({ key: 'db', metadataPolicy: 'Fetch' });
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]))).toEqual({
      db_env: 'prod',
      db_team: 'payments',
      db_cfg_region: 'eu',
      'db_attribute.created': '2023-11-14T22:13:20Z',
      'db_attribute.expires': '2030-01-01T00:00:00Z',
    });
    // With a property, GetSecret first selects that tag (so it must exist), then the map holds <key>_<property>.
    const one = await c.getSecretMap({ key: 'db', metadataPolicy: 'Fetch', property: 'env' });
    expect(Object.fromEntries(Object.entries(one).map(([k, v]) => [k, text(v)]))).toEqual({ db_env: 'prod' });
  });
});

describe('GetAllSecrets (dataFrom.find)', () => {
  test('by name regexp and by tags over every page; disabled secrets are skipped; values are the latest', async () => {
    const { api, calls } = memoryVault(fixture());
    const byName = await new KeyVaultClient(api).getAllSecrets({ name: { regexp: '^db' } });
    expect(Object.keys(byName).sort()).toEqual(['db', 'db-replica']);
    expect(text(byName['db-replica']!)).toBe('replica');
    expect(calls.filter((c) => c.startsWith('GetSecrets')).length).toBe(3);
    const byTags = await new KeyVaultClient(api).getAllSecrets({ tags: { env: 'prod' } });
    expect(Object.keys(byTags).sort()).toEqual(['db', 'db-replica']);
    const both = await new KeyVaultClient(api).getAllSecrets({ name: { regexp: 'replica' }, tags: { env: 'prod' } });
    expect(Object.keys(both)).toEqual(['db-replica']);
    // ESO's okByName drops regexp.MatchString's compile error: nothing matches.
    expect(await new KeyVaultClient(api).getAllSecrets({ name: { regexp: '(' } })).toEqual({});
  });

  test('a failing list is go-autorest text naming the page call', async () => {
    const api: KeyVaultApi = {
      ...memoryVault({}).api,
      listSecrets: async () => {
        throw new KeyVaultError(403, 'Forbidden', "The user, group or application 'appid=x' does not have secrets list permission on key vault 'kv'.", { code: 'AccessDenied' });
      },
    };
    await expect(new KeyVaultClient(api).getAllSecrets({ name: { regexp: '.' } })).rejects.toThrow(
      /^keyvault\.BaseClient#GetSecrets: Failure responding to request: StatusCode=403 -- Original Error: autorest\/azure: Service returned an error\. Status=403 Code="Forbidden" Message="The user, group or application 'appid=x' does not have secrets list permission on key vault 'kv'\." InnerError=\{"code":"AccessDenied"\}$/,
    );
  });
});

test('objectType and jwkJson follow ESO (split on /, Go struct order, omitempty)', () => {
  expect(objectType('secret/a/b')).toEqual({ type: 'secret', name: 'a' });
  expect(objectType('plain')).toEqual({ type: 'secret', name: 'plain' });
  expect(jwkJson({ crv: 'P-256', x: 'AA', y: 'BB', kty: 'EC', d: '' })).toBe('{"kty":"EC","crv":"P-256","x":"AA","y":"BB"}');
});

// ---- the store: parsing, admission, the credential it selects ---------------------------------------

const store = (provider: Record<string, unknown>, kind = 'SecretStore') =>
  parseSecretStore({ apiVersion: 'external-secrets.io/v1', kind, metadata: { name: 'kv', namespace: 'app' }, spec: { provider: { azurekv: provider } } });

describe('store', () => {
  test('CRD defaults: authType ServicePrincipal, environmentType PublicCloud; vaultUrl required', () => {
    const s = store({ vaultUrl: VAULT });
    expect(s.spec.provider['azurekv']).toMatchObject({ authType: 'ServicePrincipal', environmentType: 'PublicCloud', useAzureSDK: false });
    expect(() => store({ authType: 'WorkloadIdentity' })).toThrow(/spec\.provider\.azurekv\.vaultUrl: required/);
    expect(() => store({ vaultUrl: VAULT, authType: 'Kerberos' })).toThrow(/authType/);
  });

  test("admission: ESO's ValidateStore messages", () => {
    expect(secretStoreErrors(store({ vaultUrl: VAULT, authSecretRef: { clientId: { name: 's', key: 'id', namespace: 'other' } } }))).toEqual([
      'invalid AuthSecretRef.ClientID: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore',
    ]);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, authType: 'WorkloadIdentity', serviceAccountRef: { name: 'sa', namespace: 'other' } }))).toEqual([
      'invalid ServiceAccountRef: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore',
    ]);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, serviceAccountRef: { name: 'sa', namespace: 'other' } }, 'ClusterSecretStore'))).toEqual([]);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, environmentType: 'AzureStackCloud' }))).toEqual(['CustomCloudConfig is required when EnvironmentType is AzureStackCloud']);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, customCloudConfig: { activeDirectoryEndpoint: 'https://login.example/' } }))).toEqual([
      'CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds',
    ]);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, useAzureSDK: true, customCloudConfig: {} }))).toEqual(['activeDirectoryEndpoint is required in CustomCloudConfig']);
    expect(secretStoreErrors(store({ vaultUrl: VAULT, authType: 'WorkloadIdentity' }))).toEqual([]);
  });

  test('the credential each authType selects, with ESO texts where the store is incomplete', () => {
    const sp = store({ vaultUrl: VAULT, tenantId: 't', authSecretRef: { clientId: { name: 's', key: 'id' }, clientSecret: { name: 's', key: 'secret' } } });
    expect(planAzureAuth(sp, {}, undefined)).toMatchObject({ kind: 'ServicePrincipal', tenantId: { value: 't' }, clientId: { env: expect.stringMatching(/^ESI_AZURE_CLIENT_ID_SS_KV_[0-9a-f]{8}$/) }, clientSecret: { env: expect.stringMatching(/^ESI_AZURE_CLIENT_SECRET_SS_KV_/) } });
    expect(() => planAzureAuth(store({ vaultUrl: VAULT, authSecretRef: {} }), {}, undefined)).toThrow('missing tenantID in store config');
    expect(() => planAzureAuth(store({ vaultUrl: VAULT, tenantId: 't' }), {}, undefined)).toThrow('missing secretRef in provider config');
    expect(() => planAzureAuth(store({ vaultUrl: VAULT, tenantId: 't', authSecretRef: { clientId: { name: 's', key: 'id' } } }), {}, undefined)).toThrow('missing accessKeyID/secretAccessKey in store config');

    const wi = store({ vaultUrl: VAULT, authType: 'WorkloadIdentity' });
    expect(() => planAzureAuth(wi, { AZURE_CLIENT_ID: 'c' }, undefined)).toThrow('missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE must be set');
    expect(planAzureAuth(wi, { AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't', AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token' }, undefined)).toEqual({
      kind: 'WorkloadIdentity',
      clientId: { value: 'c' },
      tenantId: { value: 't' },
      tokenFile: { value: '/var/run/secrets/azure/tokens/azure-identity-token' },
    });
    const wiSa = store({ vaultUrl: VAULT, authType: 'WorkloadIdentity', tenantId: 'store-tenant', serviceAccountRef: { name: 'app' } });
    expect(() => planAzureAuth(wiSa, {}, '/t')).toThrow("missing clientID: either serviceAccountRef or service account annotation 'azure.workload.identity/client-id' is missing");
    expect(planAzureAuth(wiSa, { AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 'env-tenant' }, '/esi/token')).toEqual({ kind: 'WorkloadIdentity', clientId: { value: 'c' }, tenantId: { value: 'store-tenant' }, tokenFile: { value: '/esi/token' } });

    expect(planAzureAuth(store({ vaultUrl: VAULT, authType: 'ManagedIdentity', identityId: 'mi' }), {}, undefined)).toEqual({ kind: 'ManagedIdentity', clientId: 'mi' });
  });

  test("Workload Identity with serviceAccountRef: ESO's order of the ids (authSecretRef, the account's annotations, AKS env) and its conflict errors", () => {
    const sa = (extra: Record<string, unknown> = {}) => store({ vaultUrl: VAULT, authType: 'WorkloadIdentity', serviceAccountRef: { name: 'app' }, ...extra });
    const ann = envNamesFor(AZURE_ACCOUNT_ANNOTATIONS, 'SecretStore', 'kv');
    const cred = envNamesFor(AZURE_CREDENTIALS, 'SecretStore', 'kv');
    expect(ann.clientId).toMatch(/^ESI_AZURE_SA_CLIENT_ID_SS_KV_[0-9a-f]{8}$/);
    const annotated = { [ann.clientId]: 'sa-client', [ann.tenantId]: 'sa-tenant' };
    // the annotations win over the pod's AKS env
    expect(planAzureAuth(sa(), { ...annotated, AZURE_CLIENT_ID: 'pod-client', AZURE_TENANT_ID: 'pod-tenant' }, '/t')).toEqual({
      kind: 'WorkloadIdentity',
      clientId: { value: 'sa-client' },
      tenantId: { value: 'sa-tenant' },
      tokenFile: { value: '/t' },
    });
    // an account without a tenant annotation: the pod's AZURE_TENANT_ID (ESO's fallback); without a client annotation: AZURE_CLIENT_ID (esi's)
    expect(planAzureAuth(sa(), { [ann.clientId]: 'sa-client', AZURE_TENANT_ID: 'pod-tenant' }, '/t')).toMatchObject({ clientId: { value: 'sa-client' }, tenantId: { value: 'pod-tenant' } });
    expect(planAzureAuth(sa(), { AZURE_CLIENT_ID: 'pod-client', AZURE_TENANT_ID: 'pod-tenant' }, '/t')).toMatchObject({ clientId: { value: 'pod-client' }, tenantId: { value: 'pod-tenant' } });
    // authSecretRef's ids, and the conflicts ESO refuses
    const withRef = sa({ authSecretRef: { clientId: { name: 's', key: 'id' }, tenantId: { name: 's', key: 'tenant' } } });
    expect(planAzureAuth(withRef, { AZURE_CLIENT_ID: 'pod-client' }, '/t')).toMatchObject({ clientId: { env: cred.azureClientId }, tenantId: { env: cred.azureTenantId } });
    expect(() => planAzureAuth(withRef, { [ann.clientId]: 'sa-client' }, '/t')).toThrow('multiple clientID found. Check secretRef and serviceAccountRef');
    expect(() => planAzureAuth(withRef, { [ann.tenantId]: 'sa-tenant' }, '/t')).toThrow("multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef");
    expect(() => planAzureAuth(sa({ tenantId: 'store-tenant' }), annotated, '/t')).toThrow("multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef");
    expect(() => planAzureAuth(sa({ authSecretRef: { tenantId: { name: 's', key: 'tenant' } } }), annotated, '/t')).toThrow('missing accessKeyID/secretAccessKey in store config');
    expect(() => planAzureAuth(sa(), { [ann.clientId]: 'sa-client' }, '/t')).toThrow('missing tenantID in store config');
  });
});
