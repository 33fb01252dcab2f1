// `esi render` as a user runs it: the built CLI (dist/esi.mjs, what `npm test` builds first) in its own
// process, against the real moto and OpenBao, with the standard AWS variables or VAULT_TOKEN. Proves the
// bundle's lazily loaded providers work, the printed Secret carries the backend's values, and a failure is
// one line with ESO's text that names the field and never the value.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { awsEnv, freshNamespace, harness, putAwsSecret, putBaoSecret, scratchPath, sentinel, sha256 } from '../harness/index.ts';

const run = promisify(execFile);
const esi = resolve(import.meta.dirname, '..', '..', 'dist', 'esi.mjs');
let ns: string;

beforeAll(async () => {
  ns = await freshNamespace('render');
});

async function render(docs: object[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = scratchPath(`render-${Math.random().toString(16).slice(2, 8)}.yaml`);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  try {
    const { stdout, stderr } = await run(process.execPath, [esi, 'render', '--external-secret', file, '-o', 'json'], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const es = (store: string, data: object[]) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'app', namespace: ns },
  spec: { secretStoreRef: { name: store }, data },
});
const hashes = (stdout: string) =>
  Object.fromEntries(Object.entries((JSON.parse(stdout) as { data: Record<string, string> }).data).map(([k, v]) => [k, sha256(Buffer.from(v, 'base64'))]));

describe('esi render (built CLI) against moto', () => {
  const store = () => ({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws', namespace: ns }, spec: { provider: { aws: { service: 'SecretsManager', region: harness().awsRegion } } } });

  it('prints the Secret ESO would sync, values from Secrets Manager', async () => {
    const pw = sentinel('render-aws');
    const key = `${ns}/db`;
    await putAwsSecret(key, JSON.stringify({ user: 'app', password: pw }));
    const r = await render([store(), es('aws', [{ secretKey: 'password', remoteRef: { key, property: 'password' } }, { secretKey: 'user', remoteRef: { key, property: 'user' } }])], await awsEnv('static'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hashes(r.stdout)).toEqual({ password: sha256(pw), user: sha256('app') });
    expect(JSON.parse(r.stdout).metadata.labels['reconcile.external-secrets.io/managed']).toBe('true');
  });

  it('a missing property is exit 1, one line naming the field with ESO\'s text, no value', async () => {
    const pw = sentinel('render-aws-missing');
    const key = `${ns}/other`;
    await putAwsSecret(key, JSON.stringify({ password: pw }));
    const r = await render([store(), es('aws', [{ secretKey: 'x', remoteRef: { key, property: 'nope' } }])], await awsEnv('static'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`error processing spec.data[0] (key: ${key}), err: key nope does not exist in secret ${key}`);
    expect(r.stderr).not.toContain(pw);
  });
});

describe('esi render (built CLI) against OpenBao', () => {
  it('reads KV v2 with VAULT_TOKEN and prints the Secret', async () => {
    const pw = sentinel('render-bao');
    const path = `${ns}/db`;
    await putBaoSecret('secret', path, { password: pw, port: 5432 });
    const store = { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bao', namespace: ns }, spec: { provider: { vault: { server: harness().baoUrl, path: 'secret', version: 'v2' } } } };
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratchPath('home'), VAULT_TOKEN: harness().baoRootToken };
    const r = await render([store, es('bao', [{ secretKey: 'password', remoteRef: { key: path, property: 'password' } }, { secretKey: 'port', remoteRef: { key: path, property: 'port' } }])], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hashes(r.stdout)).toEqual({ password: sha256(pw), port: sha256('5432') });
  });
});

// issue 18: `rewrite.regexp.source: "(a+)+$"` on a key of 33 `a`s and a `!` took 1 min 46 s of CPU in
// `esi render` on V8's backtracking RegExp. The bundle's lazily loaded RE2 engine answers at once (the
// bound here is the 60 s the helper gives the process, far below the old time).
describe('esi render (built CLI): pathological regexps finish', () => {
  const fake = (data: { key: string; value: string }[]) => ({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: ns }, spec: { provider: { fake: { data } } } });
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratchPath('home') };
  const rewriteEs = (extra: object = {}) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'app', namespace: ns },
    spec: {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'keys' }, rewrite: [{ regexp: { source: '(a+)+$', target: 'x' } }] }],
      ...extra,
    },
  });

  it('rewrite.regexp (a+)+$ on the reported key: ESO\'s invalid-key error, at once', async () => {
    const r = await render([fake([{ key: 'keys', value: JSON.stringify({ [`${'a'.repeat(33)}!`]: 'v' }) }]), rewriteEs()], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid secret keys');
  });

  it('rewrite.regexp (a+)+$ and template regex functions on long values render the Secret', async () => {
    const long = 'a'.repeat(30_000);
    const keys = { [`${'a'.repeat(200)}-`]: 'kept', 'db-aaaa': 'rewritten' };
    const r = await render(
      [
        fake([{ key: 'keys', value: JSON.stringify(keys) }, { key: 'long', value: long }]),
        rewriteEs({
          data: [{ secretKey: 'long', remoteRef: { key: 'long' } }],
          target: {
            template: {
              mergePolicy: 'Merge',
              data: {
                alternation: '{{ regexMatch "(a|aa)*b" .long }}',
                nested: '{{ regexReplaceAll "(x+x+)+y" (.long | replace "a" "x") "-" | len }}',
                parts: '{{ regexSplit "(a*)*b" .long -1 | len }}',
              },
            },
          },
        }),
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const data = Object.fromEntries(Object.entries((JSON.parse(r.stdout) as { data: Record<string, string> }).data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(data[`${'a'.repeat(200)}-`]).toBe('kept');
    expect(data['db-x']).toBe('rewritten');
    expect(data['long']).toBe(long);
    expect({ alternation: data['alternation'], nested: data['nested'], parts: data['parts'] }).toEqual({ alternation: 'false', nested: '30000', parts: '1' });
  });
});
