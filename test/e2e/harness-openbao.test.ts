// The OpenBao side of the harness: node-vault logs in with Kubernetes auth using a real TokenRequest token
// (OpenBao reviews it against the test apiserver) and reads KV v1 and KV v2 secrets under a policy.
import vault from 'node-vault';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  VAULT_AUDIENCE,
  createServiceAccountToken,
  freshNamespace,
  harness,
  putBaoKubernetesRole,
  putBaoPolicy,
  putBaoSecret,
  sentinel,
  sha256,
} from '../harness/index.ts';

let ns: string;
const values: Record<string, string> = {};

function client(token?: string) {
  return vault({ apiVersion: 'v1', endpoint: harness().baoUrl, ...(token ? { token } : {}) });
}

// node-vault 0.12.0 renders the login path only from the call's arguments: without `mount_point` it
// posts to /v1/auth//login, which OpenBao answers with 403 "permission denied".
const login = (role: string, jwt: string) => client().kubernetesLogin({ role, jwt, mount_point: 'kubernetes' });

beforeAll(async () => {
  ns = await freshNamespace('bao');
  values['v2'] = sentinel('bao-kv2');
  values['v1'] = sentinel('bao-kv1');
  await putBaoSecret('secret', `${ns}/db`, { password: values['v2'], user: 'app' }, 2);
  await putBaoSecret('kv1', `${ns}/db`, { password: values['v1'] }, 1);
  await putBaoPolicy(`${ns}-read`, [
    `path "secret/data/${ns}/*" { capabilities = ["read"] }`,
    `path "kv1/${ns}/*" { capabilities = ["read"] }`,
  ].join('\n'));
  await putBaoKubernetesRole(`${ns}-app`, { namespaces: [ns], serviceAccounts: ['app'], policies: [`${ns}-read`] });
});

describe('OpenBao with Kubernetes auth', () => {
  test('logs in with a TokenRequest token and reads KV v2 and KV v1', async () => {
    const jwt = await createServiceAccountToken(ns, 'app', [VAULT_AUDIENCE], 600);
    const r = await login(`${ns}-app`, jwt);
    expect(r.auth.policies).toContain(`${ns}-read`);
    expect(r.auth.metadata).toMatchObject({ service_account_name: 'app', service_account_namespace: ns });

    const app = client(r.auth.client_token);
    const v2 = await app.read(`secret/data/${ns}/db`);
    expect(sha256(v2.data.data.password)).toBe(sha256(values['v2']!));
    expect(v2.data.data.user).toBe('app');
    expect(v2.data.metadata.version).toBe(1);
    const v1 = await app.read(`kv1/${ns}/db`);
    expect(sha256(v1.data.password)).toBe(sha256(values['v1']!));
  });

  test('the policy confines the login to its namespace paths', async () => {
    const jwt = await createServiceAccountToken(ns, 'app', [VAULT_AUDIENCE], 600);
    const app = client((await login(`${ns}-app`, jwt)).auth.client_token);
    await expect(app.read('secret/data/other/db')).rejects.toMatchObject({ response: { statusCode: 403 } });
  });

  test('a token of another service account is refused by the role', async () => {
    const jwt = await createServiceAccountToken(ns, 'intruder', [VAULT_AUDIENCE], 600);
    await expect(login(`${ns}-app`, jwt)).rejects.toMatchObject({ response: { statusCode: 403 } });
  });

  test('a token for another audience is refused', async () => {
    const jwt = await createServiceAccountToken(ns, 'app', ['sts.amazonaws.com'], 600);
    await expect(login(`${ns}-app`, jwt)).rejects.toMatchObject({ response: { statusCode: 403 } });
  });
});
