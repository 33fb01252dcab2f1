// moto_server for Secrets Manager + STS on one port (moto's server mode, docs.getmoto.org). All state is in memory.
import { join } from 'node:path';
import { freePort, spawnLogged, stopProcess, waitReady, ComponentError, type ManagedProcess } from './processes.ts';

export interface Moto {
  proc: ManagedProcess;
  url: string;
}

export async function startMoto(o: { python: string; runDir: string; logDir: string; name?: string; timeoutMs?: number }): Promise<Moto> {
  const name = o.name ?? 'moto';
  let lastError: unknown;
  // One retry on a new port covers the small free-port race (§7.3).
  for (let attempt = 0; attempt < 2; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = await spawnLogged({
      name,
      command: o.python,
      args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
      // Only what Python needs: no AWS_* from the developer's shell, no proxies.
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: o.runDir, PYTHONUNBUFFERED: '1' },
      cwd: o.runDir,
      logPath: join(o.logDir, `${name}.log`),
    });
    try {
      await waitReady(proc, `GET ${url}/moto-api/data.json`, o.timeoutMs ?? 60_000, async () =>
        (await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) })).status === 200);
      return { proc, url };
    } catch (e) {
      lastError = e;
      await stopProcess(proc, 2000);
    }
  }
  throw lastError instanceof ComponentError ? lastError : new ComponentError(name, String(lastError));
}
