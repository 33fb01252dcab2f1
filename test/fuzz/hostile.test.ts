/**
 * The fuzz suite of issue 18: hostile pods, annotations, ESO objects and backend values through the
 * injector (100,000 cases) and hostile file sets and planted links through the agent's file writer
 * (10,000 cases). Properties: nothing but a typed error is thrown; every patch is RFC 6902 and applies
 * to the pod; nothing is written outside the mount; a canary value is never in any output. Counts, wall
 * time and the slowest case are printed (speed is measured, never asserted).
 */
import fc from 'fast-check';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsiError, type Container, type Pod } from '../../core/index.ts';
import { applyPatch, injectPod, InjectionDenied, lookupFrom, type InjectContext, type PatchOp } from '../../injector/index.ts';
import { externalSecret, NS, store, TEST_CA_PEM } from '../helpers/injector-fixtures.ts';
import { AtomicDirWriter } from '../../agent/index.ts';

const CANARY = 'CANARY-fuzz-7d1e0b';
const INJECTOR_RUNS = 100_000;
const WRITER_RUNS = 10_000;

/** Strings written to break parsers: path tricks, quoting, huge, unicode, control characters. */
const hostileString = fc.oneof(
  fc.constantFrom('', '/', '//', '/.', '/..', '/../../..', '..', '.', '..data', '/proc', '/etc/esi/x', '/var/run/secrets', 'a/b', 'x:y', '\0', ' ', '\n', '1e400', '-1', '0', '1ns',
    '0777', '0200', 'signal:SIGKILL:app', 'http://169.254.169.254/', 'http://127.0.0.1:1/x', 'true', 'yes', '{"a":1}', '["app"]', '%00', 'é', '\u202e', 'x'.repeat(5000)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

const ESI_KEYS = ['esi.dev/external-secrets', 'esi.dev/store', 'esi.dev/store-kind', 'esi.dev/secret-f', 'esi.dev/secret-..x', 'esi.dev/mount-path', 'esi.dev/containers', 'esi.dev/mode',
  'esi.dev/refresh-interval', 'esi.dev/sync-secret', 'esi.dev/on-change', 'esi.dev/file-mode', 'esi.dev/agent-cpu-request', 'esi.dev/agent-memory-limit', 'esi.dev/injected', 'esi.dev/agent-config', 'esi.dev/typo'];
const NAMES = ['app', 'web', 'esi-agent', 'esi-agent-init', 'esi-agent-2', 'Bad_Name', ''];
const VOLUMES = ['data', 'esi-secrets', 'esi-config', 'esi-vault-token', 'host'];

const esKeys = fc.constantFrom('password', '..data', '.', '..', 'a/b', 'ok.key', 'x'.repeat(300));
const caSecret = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(TEST_CA_PEM, `${CANARY}\n${TEST_CA_PEM}`) },
  { weight: 1, arbitrary: fc.constantFrom(CANARY, `-----BEGIN PRIVATE KEY-----\n${Buffer.from(CANARY).toString('base64')}\n-----END PRIVATE KEY-----\n`) },
);
const esoObjects = fc.record({ key: fc.oneof({ weight: 4, arbitrary: fc.constant('password') }, { weight: 1, arbitrary: esKeys }), caSecret });

const arbCase = fc
  .record({
    annotations: fc.option(fc.dictionary(fc.constantFrom(...ESI_KEYS), hostileString, { maxKeys: 4 }), { freq: 2, nil: {} }),
    es: fc.subarray(['db', 'v', 's'], { minLength: 1 }),
    containers: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
    initCount: fc.nat(2),
    volumes: fc.uniqueArray(fc.constantFrom(...VOLUMES), { maxLength: 3 }),
    hostPath: fc.boolean(),
    mounts: fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.constantFrom('/data', '/rw', '/var/run/secrets/esi', '/host'), fc.boolean()), { maxLength: 4 }),
    forged: fc.option(fc.record({ initContainers: fc.subarray(NAMES), containers: fc.subarray(NAMES), volumes: fc.subarray(VOLUMES) })),
    command: fc.boolean(),
    eso: esoObjects,
    native: fc.boolean(),
  })
  .map((r): { pod: Pod; ctx: InjectContext } => {
    const names = r.containers;
    const init = names.slice(0, Math.min(r.initCount, names.length - 1));
    const app = names.slice(init.length);
    const mk = (name: string, i: number): Container => {
      const c: Container = { name, image: 'img', env: [{ name: 'DB_PASSWORD', value: CANARY }] };
      if (r.command) c.command = ['sh', '-c', `echo ${CANARY}`];
      const mounts = r.mounts.filter(([ci]) => ci === i).map(([, vi, path, ro]) => ({ name: r.volumes[vi % Math.max(1, r.volumes.length)] ?? 'data', mountPath: path, ...(ro ? { readOnly: true } : {}) }));
      if (mounts.length) c.volumeMounts = mounts;
      return c;
    };
    const annotations: Record<string, string> = { 'esi.dev/external-secrets': r.es.join(','), ...r.annotations };
    if (r.forged) annotations['esi.dev/injected'] = JSON.stringify(r.forged);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: NS, labels: { 'esi.dev/inject': 'true' }, annotations },
      spec: {
        containers: app.map((n, i) => mk(n, i + init.length)),
        ...(init.length ? { initContainers: init.map((n, i) => mk(n, i)) } : {}),
        ...(r.volumes.length ? { volumes: r.volumes.map((v) => (r.hostPath && v !== 'data' ? { name: v, hostPath: { path: '/' } } : { name: v, emptyDir: {} })) } : {}),
      },
    };
    const db = externalSecret('db', 'vault');
    (db['spec'] as { data: { secretKey: string }[] }).data[0]!.secretKey = r.eso.key;
    const objects = [
      store('vault', { vault: { server: 'https://vault:8200', caProvider: { type: 'Secret', name: 'ca', key: 'ca.crt' }, auth: { tokenSecretRef: { name: 't', key: 'token' } } } }),
      store('aws', { aws: { service: 'SecretsManager', region: 'eu-west-1' } }),
      db,
      externalSecret('v', 'vault'),
      externalSecret('s', 'aws'),
    ];
    return { pod, ctx: { eso: lookupFrom(objects), cluster: { nativeSidecars: r.native }, caLookup: () => r.eso.caSecret } };
  });

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
function assertRfc6902(patch: PatchOp[]): void {
  for (const op of patch) {
    expect(OPS.has(op.op)).toBe(true);
    expect(typeof op.path === 'string' && (op.path === '' || op.path.startsWith('/'))).toBe(true);
    // RFC 6901: "~" only as ~0 or ~1
    expect(/~(?![01])/.test(op.path)).toBe(false);
    if (op.op === 'add' || op.op === 'replace' || op.op === 'test') expect('value' in op).toBe(true);
  }
}

function report(what: string, runs: number, ms: number, slowest: { ms: number; label: string }): void {
  console.log(`[fuzz] ${what}: ${runs} cases in ${(ms / 1000).toFixed(1)} s; slowest ${slowest.ms.toFixed(1)} ms (${slowest.label})`);
}

describe('fuzz: the injector under hostile input', () => {
  it(`${INJECTOR_RUNS} cases: a patch that applies, or a typed denial; never the canary`, () => {
    let injected = 0;
    let denied = 0;
    const slowest = { ms: 0, label: '' };
    const start = performance.now();
    fc.assert(
      fc.property(arbCase, ({ pod, ctx }) => {
        const t0 = performance.now();
        const before = JSON.stringify(pod);
        try {
          const r = injectPod(pod, ctx);
          injected++;
          assertRfc6902(r.patch);
          expect(applyPatch(pod, r.patch)).toEqual(r.pod);
          // the user's own env holds the canary; esi's additions never do
          expect(JSON.stringify(r.patch)).not.toContain(CANARY);
          for (const w of r.warnings) expect(w).not.toContain(CANARY);
        } catch (e) {
          if (!(e instanceof InjectionDenied)) throw e;
          denied++;
          expect(e.message).not.toContain(CANARY);
          expect(e.message.length).toBeLessThan(4000);
        }
        expect(JSON.stringify(pod)).toBe(before);
        const ms = performance.now() - t0;
        if (ms > slowest.ms) Object.assign(slowest, { ms, label: JSON.stringify(pod.metadata.annotations).slice(0, 160) });
      }),
      { numRuns: INJECTOR_RUNS, seed: 18 },
    );
    report('injector', INJECTOR_RUNS, performance.now() - start, slowest);
    console.log(`[fuzz] injector: ${injected} injected, ${denied} denied`);
    expect(injected).toBeGreaterThan(1000);
    expect(denied).toBeGreaterThan(1000);
  }, 600_000);
});

describe('fuzz: the agent file writer under hostile names, contents and planted links', () => {
  let sandbox: string;
  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'esi-fuzz-'));
  });
  afterAll(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  const fileName = fc.oneof(fc.constantFrom('..data', '..', '.', 'a/b', '..x', 'k', 'password', 'tls.crt', '..data_tmp', 'x'.repeat(256), '\0', 'é'), fc.stringMatching(/^[-._a-zA-Z0-9]{1,12}$/));
  const fileSet = fc.dictionary(fileName, fc.oneof(fc.constant(CANARY), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1'))), { maxKeys: 4 });
  const plant = fc.option(fc.record({ at: fc.constantFrom('es', 'es/..data', 'es/k', 'es/password', 'es/..data_tmp'), dir: fc.boolean() }), { freq: 3 });

  it(`${WRITER_RUNS} cases: files land in the mount or a typed error; nothing outside changes`, async () => {
    const outside = join(sandbox, 'outside');
    const victim = join(sandbox, 'victim');
    await mkdir(outside);
    await writeFile(victim, 'precious');
    const mount = join(sandbox, 'mount');
    await mkdir(mount);
    let written = 0;
    let refused = 0;
    const slowest = { ms: 0, label: '' };
    const start = performance.now();
    await fc.assert(
      fc.asyncProperty(fileSet, plant, async (files, planted) => {
        const t0 = performance.now();
        if (planted) {
          const p = join(mount, planted.at);
          await rm(p, { recursive: true, force: true });
          await mkdir(join(p, '..'), { recursive: true }).catch(() => undefined);
          await symlink(planted.dir ? outside : victim, p).catch(() => undefined);
        }
        const writer = new AtomicDirWriter(join(mount, 'es'), { mode: 0o440 });
        const bytes = Object.assign(Object.create(null) as Record<string, Buffer>, Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v, 'latin1')])));
        try {
          await writer.write(bytes);
          written++;
          const back = (await writer.read())!;
          expect(Object.keys(back).sort()).toEqual(Object.keys(bytes).sort());
          for (const k of Object.keys(bytes)) expect(Buffer.compare(Buffer.from(back[k]!), bytes[k]!)).toBe(0);
        } catch (e) {
          if (!(e instanceof EsiError)) throw e;
          refused++;
          expect(e.message).not.toContain(CANARY);
        }
        expect(await readdir(outside)).toEqual([]);
        expect(await readFile(victim, 'utf8')).toBe('precious');
        if (planted) await rm(join(mount, planted.at), { recursive: true, force: true }).catch(() => undefined);
        if ((await lstat(join(mount, 'es')).catch(() => undefined))?.isSymbolicLink()) await rm(join(mount, 'es'));
        const ms = performance.now() - t0;
        if (ms > slowest.ms) Object.assign(slowest, { ms, label: `${Object.keys(files).join(',').slice(0, 80)} planted=${planted?.at ?? '-'}` });
      }),
      { numRuns: WRITER_RUNS, seed: 18 },
    );
    report('writer', WRITER_RUNS, performance.now() - start, slowest);
    console.log(`[fuzz] writer: ${written} written, ${refused} refused`);
    expect(written).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(100);
  }, 600_000);
});
