/**
 * Hostile mounts and configs (issue 18): links planted where the agent writes, paths that leave the
 * mount, and an agent config edited after admission. Each case reproduces a defect a probe found.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../contract/index.ts';
import { AtomicDirWriter, READY_FILE_NAME, runAgent, STATE_FILE_NAME, validateAgentConfig, VERSION_FILE_NAME } from './index.ts';
import { fakeConfig } from '../test/helpers/agent-fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-hostile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const silent = silentLogger;
const config = () => fakeConfig({ data: [{ key: 'db-user', value: 'u' }, { key: 'db-pass', value: 'CANARY-p' }] });
const once = (c: AgentConfig, root: string) => runAgent({ config: c, root, mode: 'init', env: {}, logger: silent, health: false, hooks: {}, initAttempts: 1 });

describe('defect 3: the agent never writes through a link or outside the mount', () => {
  it("refuses an ExternalSecret directory that is a symlink, and the link's target stays untouched", async () => {
    const root = join(dir, 'root');
    const mount = join(root, 'var/run/secrets/esi');
    const outside = join(dir, 'outside');
    await mkdir(mount, { recursive: true });
    await mkdir(outside);
    await symlink(outside, join(mount, 'app'));
    await expect(once(config(), root)).rejects.toThrow(/app: writing .*\/app: it is a symbolic link; refusing to write through it/);
    expect(await readdir(outside)).toEqual([]);
  });

  it('AtomicDirWriter refuses a symlinked directory', async () => {
    await mkdir(join(dir, 'target'));
    await symlink(join(dir, 'target'), join(dir, 'es'));
    await expect(new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 }).write({ k: Buffer.from('v') })).rejects.toThrow(/it is a symbolic link/);
    expect(await readdir(join(dir, 'target'))).toEqual([]);
  });

  it.each([READY_FILE_NAME, `${VERSION_FILE_NAME}.tmp`, `${STATE_FILE_NAME}.tmp`, VERSION_FILE_NAME, STATE_FILE_NAME, `${READY_FILE_NAME}.tmp`])(
    'replaces a link planted at %s instead of writing through it',
    async (name) => {
      const root = join(dir, 'root');
      const mount = join(root, 'var/run/secrets/esi');
      await mkdir(mount, { recursive: true });
      const victim = join(dir, 'victim');
      await writeFile(victim, 'precious\n');
      await symlink(victim, join(mount, name));
      expect(await once(config(), root)).toBe(0);
      expect(await readFile(victim, 'utf8')).toBe('precious\n');
      expect(await readFile(join(mount, 'app', 'password'), 'utf8')).toBe('CANARY-p');
    },
  );

  it('ignores a planted ..data link to another directory', async () => {
    const es = join(dir, 'es');
    await mkdir(es);
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'passwd'), 'root:x:0:0');
    await symlink(join(dir, 'etc'), join(es, '..data'));
    const w = new AtomicDirWriter(es, { mode: 0o440 });
    expect(await w.current()).toBeUndefined();
    const r = await w.write({ k: Buffer.from('v') });
    expect(r.changed).toBe(true);
    expect(await readFile(join(dir, 'etc', 'passwd'), 'utf8')).toBe('root:x:0:0');
  });

  it.each(['/../../..', '/a/../../x', '/..'])('refuses mountPath %s, which would leave --root', async (mountPath) => {
    const root = join(dir, 'root');
    await expect(once({ ...config(), mountPath }, root)).rejects.toThrow(/agent config: mountPath: ".*" is not valid: .*no "\.\."/);
    expect((await readdir(dir)).sort()).toEqual([]);
  });

  it('refuses a symlink between --root and the mount', async () => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'var/run'), { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), join(root, 'var/run/secrets'));
    await expect(once(config(), root)).rejects.toThrow(/secrets: it is a symbolic link/);
    expect(await readdir(join(dir, 'elsewhere'))).toEqual([]);
    expect((await lstat(join(root, 'var/run/secrets'))).isSymbolicLink()).toBe(true);
  });
});

describe('defect 10: the agent validates its whole config with the injector rules', () => {
  const bad: [string, (c: AgentConfig) => void, RegExp][] = [
    ['an on-change URL off the pod', (c) => (c.onChange = { url: 'http://169.254.169.254/latest/meta-data' }), /onChange\.url: ".*" is not valid: use a reload URL inside the pod/],
    ['an on-change signal not in the list', (c) => (c.onChange = { signal: { signal: 'SIGKILL', container: 'app' } }), /onChange\.signal: .* is not valid: use "signal:<SIGNAL>:<container>"/],
    ['a mount path over /proc', (c) => (c.mountPath = '/proc/self'), /mountPath: "\/proc\/self" is not valid: \/proc belongs to the container runtime/],
    ['a mount path in the config volume', (c) => (c.mountPath = '/etc/esi/x'), /mountPath: "\/etc\/esi\/x" is not valid: it overlaps \/etc\/esi/],
    ['a refresh interval of 1ns', (c) => (c.refreshInterval = '1ns'), /refreshInterval: "1ns" is not valid: the shortest refresh interval is 1s/],
    ['a file mode without read bits', (c) => (c.fileMode = 0o200), /fileMode: 128 is not valid: the mode must let someone read/],
    ['a key reserved for the writer', (c) => ((c.externalSecrets[0]!.externalSecret.spec.data![0]! as { secretKey: string }).secretKey = '..data'), /spec\.data\[0\]\.secretKey: "\.\.data" is not valid: names starting with "\.\." are reserved/],
    ['a dir of ..', (c) => (c.externalSecrets[0]!.dir = '..'), /dir: "\.\." is not valid/],
  ];
  it.each(bad)('refuses %s', (_what, edit, message) => {
    const c = config();
    edit(c);
    expect(() => validateAgentConfig(c, 'agent-config.json')).toThrow(message);
  });

  it('accepts the config the injector writes', () => {
    expect(() => validateAgentConfig({ ...config(), onChange: { url: 'http://127.0.0.1:8080/-/reload' }, refreshInterval: '1s' }, 'x')).not.toThrow();
  });
});

describe('defect 10: the on-change POST follows no redirect', () => {
  it('reports a redirect and never reaches its target', async () => {
    const { createServer } = await import('node:http');
    const { notifyApp } = await import('./notify.ts');
    let reached = 0;
    const target = createServer((_req, res) => {
      reached += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/steal`;
    const reload = createServer((_req, res) => {
      res.writeHead(307, { location: targetUrl });
      res.end();
    });
    await new Promise<void>((r) => reload.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(reload.address() as { port: number }).port}/-/reload`;
    try {
      await expect(notifyApp({ url }, ['db'], 1)).rejects.toThrow(/^on-change: POST http:\/\/127\.0\.0\.1:\d+\/-\/reload: HTTP 307 redirect not followed/);
      expect(reached).toBe(0);
    } finally {
      for (const s of [target, reload]) {
        s.close();
        s.closeAllConnections();
      }
    }
  });
});

describe('found by the fuzz suite', () => {
  it('writes and reads back a key named __proto__ (a valid Kubernetes Secret key)', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    const files = Object.assign(Object.create(null) as Record<string, Buffer>, { ['__proto__']: Buffer.from('v1'), k: Buffer.from('v2') });
    await w.write(files);
    const back = (await w.read())!;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'k']);
    expect(Buffer.from(back['__proto__']!).toString()).toBe('v1');
    expect((await w.write(files)).changed).toBe(false);
  });
});
