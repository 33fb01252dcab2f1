import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { createHash } from 'node:crypto';
import { renderCommand } from './render.ts';

const repo = resolve(import.meta.dirname, '..', '..');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await renderCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

function dataHashOf(data: Record<string, string>): string {
  const keys = Object.keys(data).sort();
  const text = `map[${keys.map((k) => `${k}:[${[...Buffer.from(data[k]!, 'base64')].join(' ')}]`).join(' ')}]`;
  return createHash('sha3-224').update(text).digest('hex');
}

/** Every example dir: ExternalSecret files, store files and object files, by the kinds they hold. */
async function exampleSets() {
  const sets: { dir: string; es: string[]; stores: string[]; objects: string[] }[] = [];
  for (const d of await readdir(join(repo, 'examples'), { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = join(repo, 'examples', d.name);
    const set = { dir, es: [] as string[], stores: [] as string[], objects: [] as string[] };
    for (const f of (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      const kinds = parseAllDocuments(await readFile(join(dir, f), 'utf8')).map((doc) => (doc.toJS() as { kind?: string } | null)?.kind);
      if (kinds.includes('ExternalSecret')) set.es.push(join(dir, f));
      if (kinds.some((k) => k === 'SecretStore' || k === 'ClusterSecretStore')) set.stores.push(join(dir, f));
      else if (kinds.some((k) => k === 'Namespace' || k === 'ConfigMap' || k === 'Secret')) set.objects.push(join(dir, f));
    }
    if (set.es.length > 0) sets.push(set);
  }
  return sets;
}

describe('esi render on every example in examples/', async () => {
  const sets = await exampleSets();
  it('finds the examples', () => expect(sets.map((s) => s.dir.split('/').pop())).toEqual(expect.arrayContaining(['demo', 'render'])));
  for (const set of sets) {
    for (const esFile of set.es) {
      const name = esFile.slice(repo.length + 1);
      // Examples meant to fail say so in their name (broken/invalid/error) or with a `# esi render: exit 1` line.
      const broken = /broken|invalid|error/.test(esFile.split('/').pop()!) || /^# esi render: exit 1/m.test(await readFile(esFile, 'utf8'));
      it(`${name}`, async () => {
        const argv = ['--external-secret', esFile, ...set.stores.flatMap((s) => ['--store', s]), ...set.objects.flatMap((o) => ['-f', o])];
        const r = await run(argv);
        if (broken) {
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(r.stderr).toMatch(/: spec[.:]/);
          return;
        }
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const secret = parse(r.stdout) as { apiVersion: string; kind: string; metadata: { labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> };
        expect(secret.apiVersion).toBe('v1');
        expect(secret.kind).toBe('Secret');
        expect(secret.metadata.labels['reconcile.external-secrets.io/managed']).toBe('true');
        expect(secret.metadata.annotations['reconcile.external-secrets.io/data-hash']).toBe(dataHashOf(secret.data));
      });
    }
  }
});

describe('esi render', () => {
  const dir = mkdtemp(join(tmpdir(), 'esi-render-'));
  const file = async (name: string, text: string) => {
    const p = join(await dir, name);
    await writeFile(p, text);
    return p;
  };
  const storeYaml = `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ns}
spec:
  provider:
    fake:
      data:
        - {key: db, value: '{"user":"u","password":"CANARY-pw-5d1c"}'}
        - {key: text, value: 'CANARY-text-77ab'}
`;
  const es = (spec: string, meta = 'name: app, namespace: ns') => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {${meta}}
spec:
  secretStoreRef: {name: fake}
${spec}`;

  it('--help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: esi render');
  });
  it('requires --external-secret', async () => {
    const r = await run(['--store', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--external-secret FILE is required');
  });
  it('rejects unknown flags', async () => {
    await expect(run(['--nope'])).rejects.toThrow(/esi render: .*--nope/);
  });
  it('prints JSON with -o json, keys in order', async () => {
    const r = await run(['--external-secret', await file('a.yaml', es('  dataFrom: [{extract: {key: db}}]')), '--store', await file('s.yaml', storeYaml), '-o', 'json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { data: Record<string, string>; type: string };
    expect(Object.keys(s)).toEqual(['apiVersion', 'kind', 'metadata', 'type', 'data']);
    expect(Buffer.from(s.data['user']!, 'base64').toString()).toBe('u');
    expect(s.type).toBe('Opaque');
  });
  it('gives templates the clock and randomness ESO gives them (randAlphaNum, now)', async () => {
    const tpl = es(`  target:
    template:
      data:
        token: '{{ randAlphaNum 16 }}'
        year: '{{ now | date "2006" }}'
  data: [{secretKey: t, remoteRef: {key: text}}]`);
    const args = ['--external-secret', await file('rand.yaml', tpl), '--store', await file('s2.yaml', storeYaml), '-o', 'json'];
    const tokens = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const r = await run(args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const data = (JSON.parse(r.stdout) as { data: Record<string, string> }).data;
      const token = Buffer.from(data['token']!, 'base64').toString();
      expect(token).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(Buffer.from(data['year']!, 'base64').toString()).toBe(String(new Date().getUTCFullYear()));
      tokens.add(token);
    }
    expect(tokens.size).toBe(2);
  });
  it('accepts the ExternalSecret and its store in one multi-document file', async () => {
    const f = await file('both.yaml', `${storeYaml}---\n${es('  data: [{secretKey: t, remoteRef: {key: text}}]')}`);
    const r = await run(['--external-secret', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('t: Q0FOQVJZLXRleHQtNzdhYg==');
  });
  it('an error is one line naming the field with ESO\'s text, and no value', async () => {
    const r = await run(['--external-secret', await file('b.yaml', es('  dataFrom: [{extract: {key: text}}]')), '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'esi render: ExternalSecret ns/app: spec.dataFrom[0].extract (key "text"): error processing spec.dataFrom[0].extract, err: unable to unmarshal secret: invalid character \'C\' looking for beginning of value\n',
    );
    expect(r.stderr).not.toContain('CANARY');
  });
  it('missing property names key and property', async () => {
    const r = await run(['--external-secret', await file('c.yaml', es('  data: [{secretKey: x, remoteRef: {key: db, property: nope}}]')), '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.data[0].remoteRef (key "db", property "nope"): error processing spec.data[0] (key: db), err: Secret does not exist');
  });
  it('admission errors name spec and join several messages on one line', async () => {
    const r = await run(['--external-secret', await file('d.yaml', es('  target: {deletionPolicy: Merge, creationPolicy: None}')), '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'esi render: ExternalSecret ns/app: spec: deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with; either data or dataFrom should be specified\n',
    );
  });
  it('no Secret: prints nothing, says why, exit 0', async () => {
    const r = await run(['--external-secret', await file('e.yaml', es('  target: {creationPolicy: Merge}\n  data: [{secretKey: t, remoteRef: {key: text}}]')), '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('secret will not be created due to CreationPolicy=Merge');
  });
  it('an existing Secret left untouched is printed', async () => {
    const existing = await file('x.yaml', `apiVersion: v1
kind: Secret
metadata: {name: app, namespace: ns, labels: {reconcile.external-secrets.io/managed: "true"}}
data: {old: b2xk}
`);
    const r = await run(['--external-secret', await file('f.yaml', es('  target: {creationPolicy: None}\n  data: [{secretKey: t, remoteRef: {key: text}}]')), '--store', await file('s.yaml', storeYaml), '-f', existing]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('old: b2xk');
    expect(r.stderr).toContain('left untouched: secret creation skipped due to CreationPolicy=None');
  });
  it('merges into an existing Secret given with -f', async () => {
    const existing = await file('y.yaml', `apiVersion: v1
kind: Secret
metadata: {name: app, namespace: ns, uid: u1}
type: example.com/custom
data: {old: b2xk}
`);
    const r = await run(['--external-secret', await file('g.yaml', es('  target: {creationPolicy: Merge}\n  data: [{secretKey: t, remoteRef: {key: text}}]')), '--store', await file('s.yaml', storeYaml), '-f', existing]);
    expect(r.code).toBe(0);
    const s = parse(r.stdout) as { type: string; data: Record<string, string> };
    expect(Object.keys(s.data)).toEqual(['old', 't']);
    expect(s.type).toBe('example.com/custom');
  });
  it('ClusterSecretStore conditions use the Namespace given with -f', async () => {
    const css = await file('css.yaml', `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  conditions: [{namespaceSelector: {matchLabels: {team: a}}}]
  provider: {fake: {data: [{key: k, value: v}]}}
`);
    const esFile = await file('h.yaml', `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: ns}
spec:
  secretStoreRef: {name: shared, kind: ClusterSecretStore}
  data: [{secretKey: k, remoteRef: {key: k}}]
`);
    const denied = await run(['--external-secret', esFile, '--store', css]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('using cluster store "shared" is not allowed from namespace "ns": denied by spec.condition');
    const ns = await file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {team: a}}\n');
    expect((await run(['--external-secret', esFile, '--store', css, '-f', ns])).code).toBe(0);
  });
  it('an invalid fake store is refused with ESO\'s ValidateStore message', async () => {
    const bad = await file('bad-store.yaml', 'apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: fake}\nspec: {provider: {fake: {data: [{key: k, value: ""}]}}}\n');
    const r = await run(['--external-secret', await file('i.yaml', es('  data: [{secretKey: t, remoteRef: {key: k}}]')), '--store', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SecretStore fake: at least one value must be set in data 0');
  });
  it('exactly one ExternalSecret per --external-secret file', async () => {
    const two = await file('two.yaml', `${es('  data: [{secretKey: t, remoteRef: {key: text}}]')}\n---\n${es('  data: [{secretKey: t, remoteRef: {key: text}}]', 'name: b, namespace: ns')}`);
    const r = await run(['--external-secret', two, '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expected exactly one ExternalSecret, found 2');
  });
  it('a parse error names the field path', async () => {
    const r = await run(['--external-secret', await file('j.yaml', es('  data: [{secretKey: "a/b", remoteRef: {key: text}}]')), '--store', await file('s.yaml', storeYaml)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.data[0].secretKey: invalid key');
  });
  it('a missing file is a clear error', async () => {
    const r = await run(['--external-secret', '/nonexistent/es.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read /nonexistent/es.yaml');
  });
});

describe('esi render against a Vault KV v2 API on 127.0.0.1 (wiring of the network clients)', () => {
  it('reads with VAULT_TOKEN, applies ESO semantics, and reports a 404 as ESO does', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-vault-token'] ?? ''}`);
      if (req.url?.startsWith('/v1/secret/data/app')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { data: { user: 'vault-user', password: 'CANARY-vault-91', n: 1.5 }, metadata: { version: 3 } } }));
        return;
      }
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end('{"errors":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const tmp = await mkdtemp(join(tmpdir(), 'esi-render-vault-'));
      const store = join(tmp, 'store.yaml');
      await writeFile(store, `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: vault, namespace: ns}
spec:
  provider:
    vault: {server: "http://127.0.0.1:${port}", path: secret, version: v2}
`);
      const esFile = join(tmp, 'es.yaml');
      const write = (spec: string) => writeFile(esFile, `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: ns}
spec:
  secretStoreRef: {name: vault}
${spec}`);
      const runEnv = async (argv: string[]) => {
        let stdout = '';
        let stderr = '';
        const code = await renderCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { VAULT_TOKEN: 'test-token' } });
        return { code, stdout, stderr };
      };
      await write('  data: [{secretKey: u, remoteRef: {key: app, property: user}}]\n  dataFrom: [{extract: {key: app}}]\n');
      const ok = await runEnv(['--external-secret', esFile, '--store', store]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const s = parse(ok.stdout) as { data: Record<string, string> };
      const d = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      expect(d).toEqual({ u: 'vault-user', user: 'vault-user', password: 'CANARY-vault-91', n: '1.5' });
      expect(seen.some((l) => l.startsWith('GET /v1/secret/data/app') && l.endsWith('test-token'))).toBe(true);

      await write('  data: [{secretKey: u, remoteRef: {key: missing}}]\n');
      const missing = await runEnv(['--external-secret', esFile, '--store', store]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('error processing spec.data[0] (key: missing), err: Secret does not exist');
      expect(missing.stderr).not.toContain('CANARY');

      // A store's tokenSecretRef is read from a Secret given with -f (as the injector would deliver it).
      const refStore = join(tmp, 'ref-store.yaml');
      await writeFile(refStore, `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: vault, namespace: ns}
spec:
  provider:
    vault:
      server: "http://127.0.0.1:${port}"
      path: secret
      auth: {tokenSecretRef: {name: vault-token, key: token}}
`);
      const tokenSecret = join(tmp, 'token.yaml');
      await writeFile(tokenSecret, `apiVersion: v1\nkind: Secret\nmetadata: {name: vault-token, namespace: ns}\ndata: {token: ${Buffer.from('token-from-secret').toString('base64')}}\n`);
      await write('  data: [{secretKey: u, remoteRef: {key: app, property: user}}]\n');
      let stderr = '';
      const code = await renderCommand(['--external-secret', esFile, '--store', refStore, '-f', tokenSecret], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(seen.some((l) => l.endsWith('token-from-secret'))).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
