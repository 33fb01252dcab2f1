import { mkdtemp, readFile, readlink, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runAgent } from './index.ts';
import { fakeConfig } from './test-fixtures.ts';
import type { AgentConfig } from '../core/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-agent-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const silent = pino({ level: 'silent' });

async function writeConfig(path: string, c: AgentConfig): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(c));
  await rename(`${path}.tmp`, path);
}

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runAgent against the fake provider', () => {
  it('init mode writes the complete set and exits 0', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'CANARY-pw-1' }] });
    const code = await runAgent({ config, root: dir, mode: 'init', env: {}, logger: silent, health: false });
    expect(code).toBe(0);
    const esDir = join(dir, config.mountPath, 'app');
    expect(await readFile(join(esDir, 'username'), 'utf8')).toBe('alice');
    expect(await readFile(join(esDir, 'password'), 'utf8')).toBe('CANARY-pw-1');
    expect(await readlink(join(esDir, 'password'))).toBe('..data/password');
  });

  it('sidecar picks up a config change through the watcher and rotates the files in place', async () => {
    const configPath = join(dir, 'podinfo', 'agent-config');
    const v1 = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] });
    await writeConfig(configPath, v1);
    const ac = new AbortController();
    const done = runAgent({ configPath, root: join(dir, 'root'), mode: 'sidecar', env: {}, logger: silent, health: false, signal: ac.signal, configPollSeconds: 0 });
    const pw = join(dir, 'root', v1.mountPath, 'app', 'password');
    await waitFor(async () => ((await readFile(pw, 'utf8')) === 'pw-1' ? true : undefined), 'first sync');
    const firstData = await readlink(join(dir, 'root', v1.mountPath, 'app', '..data'));
    const v2 = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-2' }] });
    await writeConfig(configPath, v2);
    await waitFor(async () => ((await readFile(pw, 'utf8')) === 'pw-2' ? true : undefined), 'rotation');
    expect(await readlink(join(dir, 'root', v1.mountPath, 'app', '..data'))).not.toBe(firstData);
    ac.abort();
    expect(await done).toBe(0);
  });
});
