import { mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLogger, silentLogger } from '../core/log.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../contract/index.ts';
import { AtomicDirWriter, createMetrics, READY_FILE_NAME, runAgent, VERSION_FILE_NAME, type AgentEvent, type RunAgentOptions } from './index.ts';
import { fakeConfig } from '../test/helpers/agent-fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-agent-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const silent = silentLogger;
const fast = { baseMs: 5, capMs: 20 };

async function writeConfig(path: string, c: AgentConfig | string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, typeof c === 'string' ? c : JSON.stringify(c));
  await rename(`${path}.tmp`, path);
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const read = (p: string) => readFile(p, 'utf8');

/** Starts a sidecar on a config file; returns helpers. */
function sidecar(configPath: string, extra: Partial<RunAgentOptions> = {}) {
  const ac = new AbortController();
  const events: AgentEvent[] = [];
  const done = runAgent({
    configPath,
    root: join(dir, 'root'),
    mode: 'sidecar',
    env: {},
    logger: silent,
    health: false,
    signal: ac.signal,
    configPollSeconds: 0,
    backoff: fast,
    hooks: { event: (e) => void events.push(e) },
    ...extra,
  });
  return { ac, done, events };
}

describe('runAgent: first sync and modes', () => {
  it('init mode writes the complete set, the ready and version files, and exits 0', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] });
    const code = await runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false, hooks: {} });
    expect(code).toBe(0);
    const mount = join(dir, config.mountPath);
    expect(await read(join(mount, 'app', 'username'))).toBe('alice');
    expect(await read(join(mount, 'app', 'password'))).toBe('pw-1');
    expect(await readlink(join(mount, 'app', 'password'))).toBe('..data/password');
    expect((await stat(join(mount, 'app', '..data', 'password'))).mode & 0o777).toBe(0o440);
    expect((await stat(join(mount, READY_FILE_NAME))).isFile()).toBe(true);
    expect(await read(join(mount, VERSION_FILE_NAME))).toBe('1\n');
  });

  it('init mode fails with the ExternalSecret and ESO\'s reason after bounded retries, writing nothing', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }] });
    const events: AgentEvent[] = [];
    const run = runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false, backoff: fast, initAttempts: 3, hooks: { event: (e) => void events.push(e) } });
    await expect(run).rejects.toThrow(/first sync failed after 3 attempt\(s\): app: error processing spec\.data\[1\] \(key: db-pass\), err: Secret does not exist/);
    await expect(stat(join(dir, config.mountPath, 'app', '..data'))).rejects.toThrow(/ENOENT/);
    expect(events.map((e) => e.reason)).toEqual(['SecretSyncFailed']);
  });

  it('--once in sidecar mode syncs once and exits 0', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw' }] });
    expect(await runAgent({ config, root: dir, mode: 'sidecar', once: true, env: {}, logger: silent, health: false, hooks: {} })).toBe(0);
    expect(await read(join(dir, config.mountPath, 'app', 'password'))).toBe('pw');
  });

  it('writes a shell-sourceable env file on request, inside the same atomic set', async () => {
    const config = fakeConfig({
      data: [{ key: 'u', value: "it's" }, { key: 'p', value: 'a$b\nc' }],
      externalSecrets: [{ name: 'db', keys: { 'db-user': 'u', password: 'p' }, envFile: '.env' }],
    });
    expect(await runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false, hooks: {} })).toBe(0);
    expect(await read(join(dir, config.mountPath, 'db', '.env'))).toBe("db_user='it'\\''s'\npassword='a$b\nc'\n");
    expect(await readlink(join(dir, config.mountPath, 'db', '.env'))).toBe('..data/.env');
  });

  it('files carry what ESO would put in the Secret: templates rendered, same code path as esi render', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw' }] });
    (config.externalSecrets[0]!.externalSecret.spec.target as unknown as Record<string, unknown>)['template'] = {
      data: { dsn: 'postgres://{{ .username }}:{{ .password | upper }}@db:5432/app' },
    };
    expect(await runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false, hooks: {} })).toBe(0);
    const esDir = join(dir, config.mountPath, 'app');
    expect(await read(join(esDir, 'dsn'))).toBe('postgres://alice:PW@db:5432/app');
    // mergePolicy Replace: only the template's keys.
    await expect(stat(join(esDir, 'password'))).rejects.toThrow(/ENOENT/);
  });

  it('a dataFrom rewrite transform renders with the Go template engine too', async () => {
    const config = fakeConfig({ data: [{ key: 'db', value: '{"user":"alice","pass":"pw"}' }] });
    const spec = config.externalSecrets[0]!.externalSecret.spec;
    spec.data = [];
    spec.dataFrom = [{ extract: { key: 'db' }, rewrite: [{ transform: { template: 'db_{{ .value | upper }}' } }] }];
    expect(await runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false, hooks: {} })).toBe(0);
    const esDir = join(dir, config.mountPath, 'app');
    expect(await read(join(esDir, 'db_USER'))).toBe('alice');
    expect(await read(join(esDir, 'db_PASS'))).toBe('pw');
  });

  it('SIGTERM (abort) ends a sidecar promptly with exit code 0', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'a' }, { key: 'db-pass', value: 'b' }] }));
    const { ac, done } = sidecar(configPath);
    await waitFor(() => read(join(dir, 'root', '/var/run/secrets/esi', 'app', 'password')), 'first sync');
    ac.abort();
    expect(await done).toBe(0);
  });
});

describe('runAgent: refresh in place', () => {
  it('a config change picked up by the watcher rotates the files in place, and tells the app', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    const v1 = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] });
    await writeConfig(configPath, v1);
    const notified: { changed: string[]; version: number }[] = [];
    const { ac, done, events } = sidecar(configPath, {
      hooks: { event: (e) => void events.push(e), notify: async (_c, changed, version) => void notified.push({ changed, version }) },
    });
    const esDir = join(dir, 'root', v1.mountPath, 'app');
    await waitFor(async () => (await read(join(esDir, 'password'))) === 'pw-1', 'first sync');
    const firstData = await readlink(join(esDir, '..data'));
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-2' }] }));
    await waitFor(async () => (await read(join(esDir, 'password'))) === 'pw-2', 'rotation');
    expect(await readlink(join(esDir, '..data'))).not.toBe(firstData);
    await waitFor(() => notified.length === 1, 'notification');
    expect(notified[0]).toEqual({ changed: ['app'], version: 2 });
    expect(events.map((e) => e.reason)).toContain('SecretRotated');
    expect(await read(join(dir, 'root', v1.mountPath, VERSION_FILE_NAME))).toBe('2\n');
    ac.abort();
    expect(await done).toBe(0);
  });

  it('keeps the last good files when a refresh cannot fetch every key (never a partial set)', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] }));
    const metrics = createMetrics({ defaultMetrics: false });
    const { ac, done, events } = sidecar(configPath, { metrics });
    const esDir = join(dir, 'root', '/var/run/secrets/esi', 'app');
    await waitFor(async () => (await read(join(esDir, 'password'))) === 'pw-1', 'first sync');
    const good = await readlink(join(esDir, '..data'));
    // The user changes, the password disappears: ESO fails the sync (deletionPolicy Retain).
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'bob' }] }));
    await waitFor(() => events.some((e) => e.reason === 'SecretSyncFailed'), 'failure event');
    await waitFor(async () => ((await metrics.registry.getSingleMetric('esi_agent_sync_errors_total')!.get()).values[0]?.value ?? 0) >= 2, 'retries');
    expect(await readlink(join(esDir, '..data'))).toBe(good);
    expect(await read(join(esDir, 'username'))).toBe('alice');
    expect(await read(join(esDir, 'password'))).toBe('pw-1');
    expect(events.filter((e) => e.reason === 'SecretSyncFailed')).toHaveLength(1);
    expect(events[0]!.message).toContain('Secret does not exist');
    // Recovery.
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'bob' }, { key: 'db-pass', value: 'pw-2' }] }));
    await waitFor(async () => (await read(join(esDir, 'password'))) === 'pw-2', 'recovery');
    expect(await read(join(esDir, 'username'))).toBe('bob');
    ac.abort();
    await done;
  });

  it('follows a downward-API volume: the kubelet swaps the ..data symlink, the file path stays a link', async () => {
    const podinfo = join(dir, 'podinfo');
    const volume = new AtomicDirWriter(podinfo, { mode: 0o644 });
    const cfg = (pw: string) => ({ 'agent-config': Buffer.from(JSON.stringify(fakeConfig({ data: [{ key: 'db-user', value: 'u' }, { key: 'db-pass', value: pw }] }))) });
    await volume.write(cfg('pw-1'));
    const { ac, done } = sidecar(join(podinfo, 'agent-config'));
    const pw = join(dir, 'root', '/var/run/secrets/esi', 'app', 'password');
    await waitFor(async () => (await read(pw)) === 'pw-1', 'first sync');
    for (const next of ['pw-2', 'pw-3']) {
      await volume.write(cfg(next));
      await waitFor(async () => (await read(pw)) === next, `rotation to ${next}`);
    }
    ac.abort();
    expect(await done).toBe(0);
  });

  it('a rejected config keeps the current one in force', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] }));
    const metrics = createMetrics({ defaultMetrics: false });
    const { ac, done } = sidecar(configPath, { metrics });
    const pw = join(dir, 'root', '/var/run/secrets/esi', 'app', 'password');
    await waitFor(async () => (await read(pw)) === 'pw-1', 'first sync');
    await writeConfig(configPath, '{"version": 1, "pod": ');
    await waitFor(async () => (await metrics.registry.getSingleMetric('esi_agent_config_reloads_total')!.get()).values.find((v) => v.labels['result'] === 'error'), 'rejection');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-3' }] }));
    await waitFor(async () => (await read(pw)) === 'pw-3', 'later valid config');
    ac.abort();
    expect(await done).toBe(0);
  });

  it('refreshes periodically on refreshInterval, one backend call per distinct ref per round', async () => {
    const config = fakeConfig({
      data: [{ key: 'k', value: '{"a":"1","b":"2"}' }],
      externalSecrets: [
        { name: 'one', keys: { v: 'k' }, refreshInterval: '30ms' },
        { name: 'two', keys: { w: 'k' }, refreshInterval: '30ms' },
      ],
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const ac = new AbortController();
    const done = runAgent({ config, root: dir, mode: 'sidecar', env: {}, logger: silent, health: false, signal: ac.signal, hooks: {}, metrics, random: () => 0 });
    const count = async (name: string, label: string, value: string) =>
      (await metrics.registry.getSingleMetric(name)!.get()).values.filter((v) => v.labels[label] === value).reduce((a, v) => a + v.value, 0);
    await waitFor(async () => (await count('esi_agent_syncs_total', 'external_secret', 'one')) >= 3, 'three refreshes');
    ac.abort();
    await done;
    const syncs = (await count('esi_agent_syncs_total', 'external_secret', 'one')) + (await count('esi_agent_syncs_total', 'external_secret', 'two'));
    const calls = await count('esi_agent_backend_calls_total', 'operation', 'getSecret');
    // Both ExternalSecrets read the same remote ref and refresh together: one call per round.
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls * 2).toBe(syncs);
  });
});

describe('runAgent: refreshPolicy in a pod', () => {
  /**
   * Syncs v1, then changes the store's value to v2 and returns what `app` (with `policy`) shows once the
   * round the change made due has finished. A Periodic `witness` ExternalSecret reads the same key, so that
   * round always writes files and bumps the version file (after every sync of the round): waiting on the
   * version, not on a sleep, makes "did not sync" as certain as "synced".
   */
  async function policyRun(policy: Record<string, string>) {
    const configPath = join(dir, 'podinfo', 'agent-config');
    const es = (pw: string) =>
      fakeConfig({ data: [{ key: 'p', value: pw }], externalSecrets: [{ name: 'app', keys: { password: 'p' }, ...policy }, { name: 'witness', keys: { password: 'p' } }] });
    await writeConfig(configPath, es('v1'));
    const { ac, done } = sidecar(configPath);
    const mount = join(dir, 'root', '/var/run/secrets/esi');
    const password = (name: string) => read(join(mount, name, 'password'));
    const version = async () => Number(await read(join(mount, VERSION_FILE_NAME)));
    // The version file is written after every file of the round: the first round is over.
    await waitFor(async () => (await version()) >= 1 && (await password('app')) === 'v1' && (await password('witness')) === 'v1', 'first sync');
    const before = await version();
    await writeConfig(configPath, es('v2'));
    await waitFor(async () => (await version()) > before, 'the round after the change');
    expect(await password('witness')).toBe('v2');
    const value = await password('app');
    ac.abort();
    await done;
    return value;
  }

  it('Periodic (default) syncs again when the ExternalSecret or its store changes', async () => {
    expect(await policyRun({})).toBe('v2');
  });
  it('OnChange syncs again on a change', async () => {
    expect(await policyRun({ refreshPolicy: 'OnChange' })).toBe('v2');
  });
  it('CreatedOnce never syncs again once synced', async () => {
    expect(await policyRun({ refreshPolicy: 'CreatedOnce' })).toBe('v1');
  });
  it('Periodic with refreshInterval 0 never syncs again, not even after edits (ESO)', async () => {
    expect(await policyRun({ refreshInterval: '0' })).toBe('v1');
  });
});

describe('runAgent: force-sync', () => {
  it('a new force-sync value refetches before the refresh interval, after a bounded random spread', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    const base = fakeConfig({ data: [{ key: 'p', value: 'v1' }], externalSecrets: [{ name: 'app', keys: { password: 'p' }, refreshInterval: '1h' }] });
    const forced = (value: string): AgentConfig => {
      const c = structuredClone(base);
      c.externalSecrets[0]!.externalSecret.metadata.annotations = { 'force-sync': value };
      return c;
    };
    await writeConfig(configPath, base);
    const metrics = createMetrics({ defaultMetrics: false });
    const lines: Record<string, unknown>[] = [];
    const logger = jsonLogger({ level: 'info', base: {}, write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const { ac, done } = sidecar(configPath, { metrics, logger, random: () => 0.5 });
    const calls = async () => (await metrics.registry.getSingleMetric('esi_agent_backend_calls_total')!.get()).values.reduce((a, v) => a + v.value, 0);
    await waitFor(async () => (await calls()) === 1, 'first sync');
    await writeConfig(configPath, forced('1733612345'));
    await waitFor(async () => (await calls()) === 2, 'the forced refetch');
    const change = lines.find((l) => l['msg'] === 'ExternalSecret changed in config');
    expect(change).toMatchObject({ externalSecret: 'app', forceSync: true, syncInMs: 1000 });
    // The same value again is no change: no further fetch.
    await writeConfig(configPath, forced('1733612345'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await calls()).toBe(2);
    ac.abort();
    await done;
  });
});

describe('runAgent: clean-up', () => {
  it('removes the directory of an ExternalSecret dropped from the config, as a whole, and keeps the others', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    const two: { name: string; keys: Record<string, string> }[] = [
      { name: 'one', keys: { a: 'k' } },
      { name: 'two', keys: { b: 'k' } },
    ];
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'k', value: 'v' }], externalSecrets: two }));
    const { ac, done } = sidecar(configPath);
    const root = join(dir, 'root', '/var/run/secrets/esi');
    await waitFor(async () => (await read(join(root, 'two', 'b'))) === 'v', 'first sync');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'k', value: 'v' }], externalSecrets: [two[0]!] }));
    await waitFor(async () => (await stat(join(root, 'two')).then(() => false, () => true)) || undefined, 'directory two removed');
    expect(await read(join(root, 'one', 'a'))).toBe('v');
    // No hidden leftovers of the removal beside the remaining directory.
    // (the rename hides the directory first; its contents go right after)
    await waitFor(async () => (await readdir(root)).every((n) => !n.startsWith('..removed')) || undefined, 'no ..removed leftovers');
    ac.abort();
    await done;
  });
});

describe('runAgent: visibility', () => {
  it('serves /healthz, /startupz only after the first complete sync, /readyz and /metrics', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    // First config cannot sync (missing key), so startup must not pass.
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'a' }] }));
    let address = '';
    const { ac, done } = sidecar(configPath, { health: { host: '127.0.0.1', port: 0 }, onListening: (a) => (address = a), backoff: { baseMs: 20, capMs: 50 } });
    await waitFor(() => address !== '', 'listening');
    const get = async (p: string) => {
      const r = await fetch(`http://${address}${p}`);
      return { status: r.status, text: await r.text() };
    };
    expect((await get('/healthz')).status).toBe(200);
    await waitFor(async () => (await get('/metrics')).text.includes('esi_agent_sync_errors_total{external_secret="app",reason="no-secret"}'), 'error metric');
    expect((await get('/startupz')).status).toBe(503);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.text).toContain('app: not synced yet');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'a' }, { key: 'db-pass', value: 'b' }] }));
    await waitFor(async () => (await get('/startupz')).status === 200, 'startup');
    expect((await get('/readyz')).status).toBe(200);
    const metrics = (await get('/metrics')).text;
    expect(metrics).toMatch(/esi_agent_last_success_timestamp_seconds\{external_secret="app"\} \d/);
    expect(metrics).toContain('esi_agent_backend_calls_total{store="SecretStore/fake",provider="fake",operation="getSecret",result="ok"}');
    expect(metrics).toContain('esi_agent_backend_call_duration_seconds_bucket');
    expect((await get('/nope')).status).toBe(404);
    ac.abort();
    await done;
  });

  it('readiness fails and SecretStale is recorded once files outlive the staleness bound', async () => {
    // The agent's clock is the test's: staleness starts exactly when the test moves time past the bound,
    // however slowly this machine runs (a real 500 ms bound could pass before the first /readyz check).
    let clock = Date.now();
    const configPath = join(dir, 'podinfo', 'agent-config');
    const c1 = { ...fakeConfig({ data: [{ key: 'db-user', value: 'a' }, { key: 'db-pass', value: 'b' }] }), staleAfter: '500ms' };
    await writeConfig(configPath, c1);
    let address = '';
    const metrics = createMetrics({ defaultMetrics: false });
    const { ac, done, events } = sidecar(configPath, { metrics, health: { host: '127.0.0.1', port: 0 }, onListening: (a) => (address = a), now: () => clock });
    // Startup passes once the first round has recorded its success (the files appear a moment before that).
    await waitFor(async () => address !== '' && (await fetch(`http://${address}/startupz`)).status === 200, 'first complete sync');
    expect(await read(join(dir, 'root', '/var/run/secrets/esi', 'app', 'password'))).toBe('b');
    expect((await fetch(`http://${address}/readyz`)).status).toBe(200);
    await writeConfig(configPath, { ...fakeConfig({ data: [{ key: 'db-user', value: 'a' }] }), staleAfter: '500ms' });
    await waitFor(() => events.some((e) => e.reason === 'SecretSyncFailed'), 'a failing sync');
    // Failing, but within the bound (inclusive): still ready, nothing stale.
    clock += 500;
    expect((await fetch(`http://${address}/readyz`)).status).toBe(200);
    expect(events.filter((e) => e.reason === 'SecretStale')).toHaveLength(0);
    clock += 1;
    await waitFor(() => events.some((e) => e.reason === 'SecretStale'), 'stale event');
    const r = await fetch(`http://${address}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/app: stale, last successful sync 1s ago: .*Secret does not exist/);
    expect((await metrics.registry.getSingleMetric('esi_agent_stale')!.get()).values[0]!.value).toBe(1);
    // Reported once, however many failing rounds run after it.
    const failures = async () => (await metrics.registry.getSingleMetric('esi_agent_syncs_total')!.get()).values.find((v) => v.labels['result'] !== 'success')?.value ?? 0;
    const afterStale = await failures();
    await waitFor(async () => (await failures()) >= afterStale + 2 || undefined, 'two more failing rounds');
    expect(events.filter((e) => e.reason === 'SecretStale')).toHaveLength(1);
    expect(await read(join(dir, 'root', '/var/run/secrets/esi', 'app', 'password'))).toBe('b');
    ac.abort();
    await done;
  });

  it('logs JSON lines with ExternalSecret names and keys, never a value', async () => {
    const CANARY = 'CANARY-7f3a9e-never-log-me';
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (chunk) => void lines.push(...chunk.split('\n').filter(Boolean)) });
    const configPath = join(dir, 'podinfo', 'agent-config');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: `${CANARY}-u` }, { key: 'db-pass', value: `${CANARY}-1` }] }));
    const { ac, done } = sidecar(configPath, { logger });
    const pw = join(dir, 'root', '/var/run/secrets/esi', 'app', 'password');
    await waitFor(async () => (await read(pw)) === `${CANARY}-1`, 'first sync');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: `${CANARY}-u` }, { key: 'db-pass', value: `${CANARY}-2` }] }));
    await waitFor(async () => (await read(pw)) === `${CANARY}-2`, 'rotation');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: `${CANARY}-u` }] }));
    await waitFor(() => lines.some((l) => l.includes('sync failed')), 'failure log');
    ac.abort();
    await done;
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(typeof o['msg']).toBe('string');
      expect(typeof o['level']).toBe('number');
    }
    const text = lines.join('\n');
    expect(text).toContain('"externalSecret":"app"');
    expect(text).toContain('password');
    expect(text).not.toContain(CANARY);
  });

  it('a sidecar adopts what the init agent just synced instead of fetching again', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    await writeConfig(configPath, fakeConfig({ data: [{ key: 'db-user', value: 'a' }, { key: 'db-pass', value: 'b' }] }));
    expect(await runAgent({ configPath, root: join(dir, 'root'), mode: 'init', env: {}, logger: silent, health: false, hooks: {} })).toBe(0);
    const metrics = createMetrics({ defaultMetrics: false });
    let address = '';
    const { ac, done } = sidecar(configPath, { metrics, health: { host: '127.0.0.1', port: 0 }, onListening: (a) => (address = a) });
    await waitFor(() => address !== '', 'listening');
    await waitFor(async () => (await fetch(`http://${address}/startupz`)).status === 200, 'startup');
    expect((await metrics.registry.getSingleMetric('esi_agent_backend_calls_total')!.get()).values).toEqual([]);
    ac.abort();
    await done;
  });
});
