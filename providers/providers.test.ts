import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../eso/index.ts';
import { awsIdentitySource, roleSessionName, secretsManagerEndpoint, stsEndpoint } from './aws/config.ts';
import { storeEnvName } from './context.ts';
import { credentialEnvNames } from './index.ts';
import { send, TransportError } from './http.ts';
import { createSecretsClient, inlineVaultCa, openStore, planVaultAuth, vaultCaPem } from './index.ts';

const vaultStore = (auth: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}, name = 'vs'): SecretStore =>
  ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: 'ns' },
    spec: { provider: { vault: { server: 'http://127.0.0.1:1', path: 'secret', version: 'v2', ...(auth ? { auth } : {}), ...extra } } },
  }) as SecretStore;

const awsStore = (aws: Record<string, unknown> = {}): SecretStore =>
  ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'as', namespace: 'ns' },
    spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1', ...aws } } },
  }) as SecretStore;

describe('credential env var names', () => {
  it('are valid env names, readable, and distinct per store and kind', () => {
    const a = credentialEnvNames('SecretStore', 'team-db.prod');
    expect(a.awsAccessKeyId).toMatch(/^ESI_AWS_ACCESS_KEY_ID_SS_TEAM_DB_PROD_[0-9a-f]{8}$/);
    expect(a.vaultToken).toMatch(/^ESI_VAULT_TOKEN_SS_TEAM_DB_PROD_[0-9a-f]{8}$/);
    const all = [
      ...Object.values(a),
      ...Object.values(credentialEnvNames('SecretStore', 'team.db-prod')),
      ...Object.values(credentialEnvNames('ClusterSecretStore', 'team-db.prod')),
    ];
    for (const n of all) expect(n).toMatch(/^[A-Z_][A-Za-z0-9_]*$/);
    expect(new Set(all).size).toBe(all.length);
  });
  it('are stable across calls', () => {
    expect(storeEnvName('VAULT_TOKEN', 'ClusterSecretStore', 'x')).toBe(storeEnvName('VAULT_TOKEN', 'ClusterSecretStore', 'x'));
  });
});

describe('AWS endpoints and identity selection', () => {
  const rows: [string, Record<string, string>, string | undefined, string | undefined][] = [
    ['global only', { AWS_ENDPOINT_URL: 'http://g' }, 'http://g', 'http://g'],
    ['service-specific wins', { AWS_ENDPOINT_URL: 'http://g', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm', AWS_ENDPOINT_URL_STS: 'http://sts' }, 'http://sm', 'http://sts'],
    ["ESO's variables", { AWS_SECRETSMANAGER_ENDPOINT: 'http://eso-sm', AWS_STS_ENDPOINT: 'http://eso-sts' }, 'http://eso-sm', 'http://eso-sts'],
    ['SDK service variable before ESO variable', { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm', AWS_SECRETSMANAGER_ENDPOINT: 'http://eso-sm' }, 'http://sm', undefined],
    ['ignore configured URLs keeps only ESO explicit ones', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://g', AWS_SECRETSMANAGER_ENDPOINT: 'http://eso-sm' }, 'http://eso-sm', undefined],
    ['nothing', {}, undefined, undefined],
  ];
  it.each(rows)('%s', (_n, env, sm, sts) => {
    expect(secretsManagerEndpoint(env)).toBe(sm);
    expect(stsEndpoint(env)).toBe(sts);
  });

  const ids: [string, Record<string, unknown>, Record<string, string>, string][] = [
    ['store secretRef first', { auth: { secretRef: {} } }, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, 'store-secretRef'],
    ['env keys', {}, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_ROLE_ARN: 'r', AWS_WEB_IDENTITY_TOKEN_FILE: 'f' }, 'env-keys'],
    ['AWS_PROFILE disables env keys', {}, { AWS_PROFILE: 'p', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, 'profile'],
    ['IRSA before Pod Identity', {}, { AWS_ROLE_ARN: 'r', AWS_WEB_IDENTITY_TOKEN_FILE: 'f', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1/x' }, 'irsa'],
    ['IRSA needs both variables', {}, { AWS_WEB_IDENTITY_TOKEN_FILE: 'f', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1/x' }, 'container'],
    ['Pod Identity', {}, { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1/x' }, 'container'],
    ['fallback IMDS', {}, {}, 'imds'],
  ];
  it.each(ids)('%s', (_n, prov, env, want) => {
    expect(awsIdentitySource(prov as never, env)).toBe(want);
  });

  it('role session names are STS-safe and bounded', () => {
    expect(roleSessionName('team-a')).toBe('esi-team-a');
    expect(roleSessionName('x'.repeat(100))).toHaveLength(64);
  });

  it('refuses AWS services esi does not read', async () => {
    await expect(openStore(awsStore({ service: 'AppConfig' }), { namespace: 'ns', env: {} })).rejects.toThrow(
      'AWS service AppConfig is not supported by esi (supported: SecretsManager',
    );
  });

  it('names the missing env vars when store secretRef credentials were not delivered', async () => {
    const names = credentialEnvNames('SecretStore', 'as');
    const s = awsStore({ auth: { secretRef: { accessKeyIDSecretRef: { name: 'a', key: 'b' }, secretAccessKeySecretRef: { name: 'a', key: 'c' } } } });
    await expect(openStore(s, { namespace: 'ns', env: {} })).rejects.toThrow(`expected ${names.awsAccessKeyId} and ${names.awsSecretAccessKey}`);
  });

  it('says plainly when there is no identity at all', async () => {
    const c = await createSecretsClient(awsStore(), {
      namespace: 'ns',
      env: { AWS_EC2_METADATA_DISABLED: 'true', HOME: '/nonexistent', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
      timeoutMs: 2000,
    });
    await expect(c.getSecret({ key: 'k' })).rejects.toThrow(/no AWS credentials/);
    await c.close();
  });
});

describe('Vault auth plan', () => {
  const env = { VAULT_TOKEN: 'from-shell' };
  const names = credentialEnvNames('SecretStore', 'vs');
  const rows: [string, Record<string, unknown> | undefined, Record<string, string>, string | undefined, unknown][] = [
    ['tokenSecretRef → per-store env', { tokenSecretRef: { name: 't', key: 'token' } }, {}, undefined, { kind: 'token', envName: names.vaultToken }],
    [
      'appRole with literal roleId',
      { appRole: { path: 'ar', roleId: 'rid', secretRef: { name: 's', key: 'k' } } },
      {},
      undefined,
      { kind: 'login', method: 'approle', mountPath: 'ar', roleId: 'rid', secretIdEnv: names.vaultAppRoleSecretId },
    ],
    [
      'appRole with roleRef',
      { appRole: { path: '', roleRef: { name: 'r', key: 'k' }, secretRef: { name: 's', key: 'k' } } },
      {},
      undefined,
      { kind: 'login', method: 'approle', mountPath: 'approle', roleId: { env: names.vaultAppRoleRoleId }, secretIdEnv: names.vaultAppRoleSecretId },
    ],
    [
      'kubernetes with the pod token',
      { kubernetes: { mountPath: 'k8s-prod', role: 'app' } },
      {},
      '/var/run/secrets/esi/token',
      { kind: 'login', method: 'kubernetes', mountPath: 'k8s-prod', role: 'app', jwtFrom: { file: '/var/run/secrets/esi/token' } },
    ],
    [
      'kubernetes with secretRef → per-store env',
      { kubernetes: { mountPath: 'kubernetes', role: 'app', secretRef: { name: 'sa', key: 'token' } } },
      {},
      '/tok',
      { kind: 'login', method: 'kubernetes', mountPath: 'kubernetes', role: 'app', jwtFrom: { env: names.vaultJwt } },
    ],
    [
      'jwt with the pod token, default mount',
      { jwt: { role: 'r', kubernetesServiceAccountToken: { serviceAccountRef: { name: 'app' } } } },
      {},
      '/tok',
      { kind: 'login', method: 'jwt', mountPath: 'jwt', role: 'r', jwtFrom: { file: '/tok' } },
    ],
    ['kubernetes on a workstation → VAULT_TOKEN', { kubernetes: { mountPath: 'kubernetes', role: 'app' } }, env, undefined, { kind: 'env-token' }],
    ['no auth block → VAULT_TOKEN', undefined, env, undefined, { kind: 'env-token' }],
    ['unsupported method with VAULT_TOKEN', { ldap: { path: 'ldap' } }, env, undefined, { kind: 'env-token' }],
  ];
  it.each(rows)('%s', (_n, auth, e, tokenPath, want) => {
    expect(planVaultAuth(vaultStore(auth), { env: e, serviceAccountTokenPath: tokenPath })).toEqual(want);
  });

  const errors: [string, Record<string, unknown> | undefined, string][] = [
    ['kubernetes without token file or VAULT_TOKEN', { kubernetes: { mountPath: 'kubernetes', role: 'app' } }, "Vault Kubernetes auth needs the pod's service-account token file"],
    ['unsupported method', { ldap: { path: 'ldap' } }, 'Vault auth method ldap is not supported by esi'],
    ['nothing at all', undefined, 'no Vault auth configured in the store and no VAULT_TOKEN'],
  ];
  it.each(errors)('%s', (_n, auth, msg) => {
    expect(() => planVaultAuth(vaultStore(auth), { env: {} })).toThrow(msg);
  });
});

describe('Vault CA handling', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  it('caBundle is base64 PEM', () => {
    expect(vaultCaPem(vaultStore(undefined, { caBundle: Buffer.from(pem).toString('base64') }))).toBe(pem);
  });
  it('inlineVaultCa turns a caProvider into a caBundle and drops the provider', () => {
    const s = inlineVaultCa(vaultStore(undefined, { caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' } }), pem);
    expect(s.spec.provider.vault!.caProvider).toBeUndefined();
    expect(vaultCaPem(s)).toBe(pem);
  });
  it('an unresolved caProvider is an error', () => {
    expect(() => vaultCaPem(vaultStore(undefined, { caProvider: { type: 'Secret', name: 'ca', key: 'ca.crt' } }))).toThrow(
      'caProvider Secret/ca was not resolved; the webhook or esi inject inlines it as caBundle',
    );
  });
});

describe('http send', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/slow')) return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from('{"n":1.50,"b":"\xff"}', 'latin1'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('returns the body bytes untouched', async () => {
    const r = await send({ method: 'GET', url: `${base}/x`, timeoutMs: 2000 });
    expect(r.status).toBe(200);
    expect(r.body.toString('latin1')).toBe('{"n":1.50,"b":"\xff"}');
  });
  it('times out with a TransportError naming the URL path, not the query', async () => {
    const e = await send({ method: 'GET', url: `${base}/slow?token=abc`, timeoutMs: 200 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TransportError);
    expect(String((e as Error).message)).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/slow: timed out after 200 ms/);
    expect(String((e as Error).message)).not.toContain('abc');
  });
  it('a refused connection is a TransportError', async () => {
    await expect(send({ method: 'GET', url: 'http://127.0.0.1:9/x', timeoutMs: 1000 })).rejects.toBeInstanceOf(TransportError);
  });
});

describe('fake provider through openStore', () => {
  it('serves the store data without any network', async () => {
    const s = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'f', namespace: 'ns' },
      spec: { provider: { fake: { data: [{ key: 'k', value: '{"a":"b"}' }] } } },
    } as SecretStore;
    const session = await openStore(s, { namespace: 'ns', env: {} });
    expect(Buffer.from(await session.forSync().getSecret({ key: 'k', property: 'a' })).toString()).toBe('b');
    await session.close();
  });
});

describe('Vault transport retries', () => {
  it('retries a 503 twice, then succeeds; a 501 or 404 is not retried', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      if (req.url?.startsWith('/v1/secret/data/flaky') && hits < 3) {
        res.writeHead(503).end('{"errors":["sealed"]}');
        return;
      }
      if (req.url?.startsWith('/v1/secret/data/flaky')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"data":{"k":"v"}}}');
        return;
      }
      res.writeHead(501).end('{"errors":["not implemented"]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    try {
      const c = await createSecretsClient(vaultStore(undefined, { server: url }), { namespace: 'ns', env: { VAULT_TOKEN: 't' } });
      expect(Buffer.from(await c.getSecret({ key: 'flaky', property: 'k' })).toString()).toBe('v');
      expect(hits).toBe(3);
      hits = 10;
      await expect(c.getSecret({ key: 'other' })).rejects.toThrow(/Code: 501/);
      expect(hits).toBe(11);
      await c.close();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('Vault request headers', () => {
  it('sends custom headers, namespace, X-Vault-Index (readYourWrites) and X-Vault-Inconsistent (forwardInconsistent)', async () => {
    const seen: Record<string, string | undefined>[] = [];
    let n = 0;
    const server = createServer((req, res) => {
      seen.push({
        custom: req.headers['x-team'] as string | undefined,
        ns: req.headers['x-vault-namespace'] as string | undefined,
        index: req.headers['x-vault-index'] as string | undefined,
        inconsistent: req.headers['x-vault-inconsistent'] as string | undefined,
        token: req.headers['x-vault-token'] ? 'present' : undefined,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-vault-index': `idx-${++n}` });
      res.end('{"data":{"data":{"k":"v"}}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    try {
      const s = vaultStore(undefined, { server: url, namespace: 'team-a', headers: { 'X-Team': 'payments' }, readYourWrites: true, forwardInconsistent: true });
      const c = await createSecretsClient(s, { namespace: 'ns', env: { VAULT_TOKEN: 't' } });
      await c.getSecret({ key: 'one' });
      await c.getSecret({ key: 'two' });
      await c.close();
      expect(seen).toEqual([
        { custom: 'payments', ns: 'team-a', index: undefined, inconsistent: 'forward-active-node', token: 'present' },
        { custom: 'payments', ns: 'team-a', index: 'idx-1', inconsistent: 'forward-active-node', token: 'present' },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
