import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ON_CHANGE_MARKER_DIR } from '../contract/index.ts';
import { findContainerProcess, mountPoints, notifyApp, signalNumber } from './notify.ts';

let proc: string;
beforeEach(async () => {
  proc = await mkdtemp(join(tmpdir(), 'esi-proc-'));
});
afterEach(async () => {
  await rm(proc, { recursive: true, force: true });
});

async function fakeProcess(pid: number, o: { ppid: number; cgroup: string; environ?: string[]; mounts?: string[] }) {
  const d = join(proc, String(pid));
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'stat'), `${pid} (my (odd) name) S ${o.ppid} 1 1 0`);
  await writeFile(join(d, 'cgroup'), o.cgroup);
  if (o.environ) await writeFile(join(d, 'environ'), `${o.environ.join('\0')}\0`);
  if (o.mounts) await writeFile(join(d, 'mountinfo'), o.mounts.map((m, i) => `${100 + i} 90 0:${50 + i} / ${m} ro,relatime - tmpfs tmpfs ro\n`).join(''));
}

describe('finding a container\'s process in a shared PID namespace', () => {
  it('prefers the ESI_CONTAINER_NAME marker, picking the top process of the container', async () => {
    await fakeProcess(1, { ppid: 0, cgroup: '0::/pause' });
    await fakeProcess(7, { ppid: 0, cgroup: '0::/agent' });
    await fakeProcess(20, { ppid: 0, cgroup: '0::/app', environ: ['PATH=/bin', 'ESI_CONTAINER_NAME=app'] });
    await fakeProcess(21, { ppid: 20, cgroup: '0::/app', environ: ['ESI_CONTAINER_NAME=app'] });
    await fakeProcess(30, { ppid: 0, cgroup: '0::/other', environ: ['ESI_CONTAINER_NAME=other'] });
    expect(await findContainerProcess('app', { procRoot: proc, selfPid: 7 })).toBe(20);
    expect(await findContainerProcess('other', { procRoot: proc, selfPid: 7 })).toBe(30);
  });

  it('finds the container by the marker mount the injector gives the signal target, without any env', async () => {
    await fakeProcess(1, { ppid: 0, cgroup: '0::/pause', mounts: ['/'] });
    await fakeProcess(7, { ppid: 0, cgroup: '0::/agent', mounts: ['/', '/var/run/secrets/esi'] });
    await fakeProcess(20, { ppid: 0, cgroup: '0::/app', mounts: ['/', '/var/run/secrets/esi', `${ON_CHANGE_MARKER_DIR}/app`] });
    await fakeProcess(21, { ppid: 20, cgroup: '0::/app', mounts: ['/', '/var/run/secrets/esi', `${ON_CHANGE_MARKER_DIR}/app`] });
    await fakeProcess(30, { ppid: 0, cgroup: '0::/other', mounts: ['/', '/var/run/secrets/esi'] });
    expect(await findContainerProcess('app', { procRoot: proc, selfPid: 7 })).toBe(20);
  });

  it('reads mount points with the kernel\'s octal escapes', () => {
    expect(mountPoints('36 35 98:0 / /a\\040b rw - ext4 /dev/x rw\n37 35 98:0 / /c rw - ext4 /dev/x rw\n')).toEqual(['/a b', '/c']);
  });

  it('falls back to the only other container\'s lowest pid, and refuses to guess among several', async () => {
    await fakeProcess(1, { ppid: 0, cgroup: '0::/pause' });
    await fakeProcess(7, { ppid: 0, cgroup: '0::/agent' });
    await fakeProcess(8, { ppid: 7, cgroup: '0::/agent' });
    await fakeProcess(12, { ppid: 0, cgroup: '0::/app' });
    await fakeProcess(13, { ppid: 12, cgroup: '0::/app' });
    expect(await findContainerProcess('app', { procRoot: proc, selfPid: 7 })).toBe(12);
    await fakeProcess(40, { ppid: 0, cgroup: '0::/second' });
    await expect(findContainerProcess('app', { procRoot: proc, selfPid: 7 })).rejects.toThrow(/2 containers' processes are visible and none has ESI_CONTAINER_NAME=app/);
  });

  it('says to set shareProcessNamespace when no other process is visible', async () => {
    await fakeProcess(1, { ppid: 0, cgroup: '0::/agent' });
    await expect(findContainerProcess('app', { procRoot: proc, selfPid: 1 })).rejects.toThrow(/shareProcessNamespace: true/);
  });

  it('sends the configured signal to that process', async () => {
    await fakeProcess(1, { ppid: 0, cgroup: '0::/pause' });
    await fakeProcess(7, { ppid: 0, cgroup: '0::/agent' });
    await fakeProcess(12, { ppid: 0, cgroup: '0::/app' });
    const sent: [number, string][] = [];
    // selfPid defaults to this process; give it the agent's cgroup.
    await fakeProcess(process.pid, { ppid: 0, cgroup: '0::/agent' });
    const r = await notifyApp({ signal: { signal: 'HUP', container: 'app' } }, ['db'], 3, { procRoot: proc, kill: (pid, sig) => void sent.push([pid, sig]) });
    expect(sent).toEqual([[12, 'SIGHUP']]);
    expect(r).toContain('SIGHUP to container app (pid 12)');
    // A container of another uid: kill(2) answers EPERM (the agent has no CAP_KILL); the error says what to change.
    const eperm = () => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    };
    await expect(notifyApp({ signal: { signal: 'HUP', container: 'app' } }, ['db'], 4, { procRoot: proc, kill: eperm }))
      .rejects.toThrow(/SIGHUP to container app \(pid 12\): kill EPERM; the agent \(uid \d+\) may signal only processes of its own uid: set runAsUser on container app \(esi then runs the agent as that uid\), or use a reload URL/);
    expect(signalNumber('sigusr1')).toBe('SIGUSR1');
    expect(() => signalNumber('NOPE')).toThrow(/unknown signal/);
  });
});

describe('on-change URL', () => {
  it('POSTs the changed ExternalSecrets and version, never values; non-2xx is an error', async () => {
    const bodies: string[] = [];
    let status = 204;
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${b}`);
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/-/reload`;
    try {
      await notifyApp({ url }, ['db', 'api'], 4);
      expect(bodies).toEqual(['POST /-/reload {"externalSecrets":["db","api"],"version":4}']);
      status = 500;
      await expect(notifyApp({ url }, ['db'], 5)).rejects.toThrow(/HTTP 500/);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
