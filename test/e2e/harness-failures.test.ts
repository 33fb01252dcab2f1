// The harness fails loudly and precisely: a component that cannot start, or that dies mid-run, is
// reported by name with its log file; leaked sentinels are found in esi's logs. Everything that is
// broken on purpose here runs in its own temp dir, so the shared components of other files are untouched.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { componentPaths } from '../harness/components.mjs';
import { startEtcd } from '../harness/controlplane.ts';
import { assertComponentsHealthy } from '../harness/index.ts';
import { startMoto } from '../harness/moto.ts';
import { ComponentError, healthOf, spawnLogged, stopProcess } from '../harness/processes.ts';
import { describeHits, newSentinel, readSentinels, scanForSentinels } from '../harness/sentinels.ts';
import { startHarness } from '../harness/stack.ts';

const dirs: string[] = [];
function isolatedDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'esi-e2e-isolated-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('harness failure reporting', () => {
  test('the shared components are all running', async () => {
    await expect(assertComponentsHealthy()).resolves.toBeUndefined();
  });

  test('a component that exits during start fails with its name and log file', async () => {
    const d = isolatedDir();
    const bogus = join(d, 'bogus-etcd');
    writeFileSync(bogus, '#!/bin/sh\necho "bogus etcd refusing to start" >&2\nexit 3\n');
    chmodSync(bogus, 0o755);
    const err = await startEtcd({ bin: bogus, runDir: d, logDir: d, timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentError);
    const e = err as ComponentError;
    expect(e.component).toBe('etcd');
    expect(e.message).toMatch(/^e2e component etcd: exited with code 3 while waiting for GET http:\/\/127\.0\.0\.1:\d+\/health; log: /);
    expect(e.logPath).toBe(join(d, 'etcd.log'));
    expect(readFileSync(e.logPath!, 'utf8')).toContain('bogus etcd refusing to start');
    expect(e.message).not.toContain('bogus etcd refusing to start'); // paths, never log contents
  });

  test('a missing binary fails the whole start with the prepare command, naming the component', async () => {
    const lines: string[] = [];
    const saved = process.env['TEST_ASSET_KUBE_APISERVER'];
    process.env['TEST_ASSET_KUBE_APISERVER'] = join(isolatedDir(), 'no-such-kube-apiserver');
    try {
      const err = await startHarness((l) => lines.push(l)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ComponentError);
      expect((err as Error).message).toMatch(/^e2e component kube-apiserver: binary not found at .*no-such-kube-apiserver \(from TEST_ASSET_KUBE_APISERVER\); run 'npm run e2e:prepare' first$/);
    } finally {
      if (saved === undefined) delete process.env['TEST_ASSET_KUBE_APISERVER'];
      else process.env['TEST_ASSET_KUBE_APISERVER'] = saved;
      const runDir = /^run dir (\S+)/.exec(lines[0] ?? '')?.[1];
      if (runDir) dirs.push(runDir);
    }
  });

  test('a component that dies mid-run is reported by name with its log; a stopped one as stopped', async () => {
    const d = isolatedDir();
    const python = componentPaths().motoPython.path;
    const doomed = await startMoto({ python, runDir: d, logDir: d, name: 'moto-doomed' });
    const stopped = await startMoto({ python, runDir: d, logDir: d, name: 'moto-stopped' });
    expect(healthOf([doomed.proc, stopped.proc])).toEqual([]);

    const exited = new Promise((r) => doomed.proc.child.once('exit', r));
    process.kill(doomed.proc.pid, 'SIGKILL');
    await exited;
    await stopProcess(stopped.proc);
    expect(healthOf([doomed.proc, stopped.proc])).toEqual([
      `moto-doomed died unexpectedly (exited on signal SIGKILL, pid ${doomed.proc.pid}); log: ${join(d, 'moto-doomed.log')}`,
      expect.stringMatching(new RegExp(`^moto-stopped was stopped \\(.*pid ${stopped.proc.pid}\\); log: ${join(d, 'moto-stopped.log')}$`)),
    ]);
    await expect(fetch(`${doomed.url}/moto-api/data.json`)).rejects.toThrow();
  });

  test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
    const d = isolatedDir();
    const p = await spawnLogged({
      name: 'term-ignorer', command: '/bin/sh', args: ['-c', "trap '' TERM; echo ready; while :; do sleep 1; done"],
      env: { PATH: '/usr/bin:/bin' }, cwd: d, logPath: join(d, 'term-ignorer.log'),
    });
    await new Promise((r) => setTimeout(r, 300)); // let the shell install its trap
    await stopProcess(p, 500);
    expect(p.exit).toEqual({ code: null, signal: 'SIGKILL', expected: true });
  });
});

describe('sentinel scan of esi logs', () => {
  test('finds sentinels, raw or base64, in esi-*.log files only, and reports no values', () => {
    const d = isolatedDir();
    const a = newSentinel(d, 'db-password');
    const b = newSentinel(d, 'api-key');
    const clean = newSentinel(d, 'never-logged');
    expect(readSentinels(d).map((s) => s.value).sort()).toEqual([a, b, clean].sort());
    writeFileSync(join(d, 'esi-agent-1.log'), `{"msg":"fetched"}\n{"msg":"oops","value":"${a}"}\n`);
    writeFileSync(join(d, 'esi-webhook.log'), `{"msg":"x","v":"${Buffer.from(b).toString('base64')}"}\n`);
    writeFileSync(join(d, 'moto.log'), `${clean}\n`); // not esi's log: not scanned

    const hits = scanForSentinels(d, readSentinels(d));
    expect(hits.map((h) => [h.file, h.line, h.label.replace(/\.[0-9a-f]{8}$/, ''), h.form]).sort()).toEqual([
      [join(d, 'esi-agent-1.log'), 2, 'db-password', 'raw'],
      [join(d, 'esi-webhook.log'), 1, 'api-key', 'base64'],
    ]);
    const report = describeHits(hits);
    for (const v of [a, b, clean]) {
      expect(report).not.toContain(v);
      expect(report).not.toContain(v.slice(-16)); // not even the random part
    }
    expect(existsSync(join(d, 'moto.log'))).toBe(true);
  });

  test('clean esi logs give no hits', () => {
    const d = isolatedDir();
    newSentinel(d, 'quiet');
    writeFileSync(join(d, 'esi-agent-2.log'), '{"msg":"wrote 3 files"}\n');
    expect(scanForSentinels(d, readSentinels(d))).toEqual([]);
  });
});
