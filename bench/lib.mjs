// What the benchmarks share: free loopback ports, children with their output in a log file, a
// local moto from the e2e cache (`npm run e2e:prepare`), the agent config and RSS probe. Everything binds 127.0.0.1.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { componentPaths } from '../test/harness/components.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `url` until `ok(status)`; fails when `proc` exits or after 60 s, naming the log dir. */
export async function waitHttp(url, ok, what, proc, work) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if (ok((await fetch(url, { signal: AbortSignal.timeout(2000) })).status)) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`${what} did not start; run npm run e2e:prepare (logs in ${work})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Spawns a component with a minimal env, its output in `<work>/<name>.log`. */
export function startComponent(work, name, cmd, args) {
  const log = openSync(join(work, `${name}.log`), 'w');
  const proc = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, PYTHONUNBUFFERED: '1' }, cwd: work, stdio: ['ignore', log, log] });
  closeSync(log);
  return proc;
}

/** A moto server on a free port; resolves once it answers. */
export async function startMoto(work) {
  const port = await freePort();
  const proc = startComponent(work, 'moto', componentPaths().motoPython.path, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/moto-api/data.json`, (s) => s === 200, 'moto', proc, work);
  return { proc, url };
}

/**
 * Bundles a TypeScript bench driver (`bench/<name>-run.ts`) into `work` with esbuild and imports it: the
 * drivers use the project's sources (SDKs included), which plain Node cannot load as TypeScript.
 */
export async function importBenchDriver(root, work, entry) {
  const outfile = join(work, entry.replace(/^.*\//, '').replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

/** The env var the injector fills from a store's secretKeyRef: the rule of contract/pod.ts storeEnvName (test/unit/bench-peers.test.ts keeps the two equal). */
export function storeEnvName(what, kind, name) {
  const k = kind === 'ClusterSecretStore' ? 'CSS' : 'SS';
  const hash = createHash('sha256').update(`${k}/${name}`).digest('hex').slice(0, 8);
  return `ESI_${what}_${k}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${hash}`;
}

/** The agent config the webhook would write for one ExternalSecret reading `refs` ([file, key, property]). */
export function agentConfig(store, refs, mountPath) {
  return {
    version: 1,
    pod: { namespace: 'bench', name: 'bench-0', serviceAccountName: 'app' },
    mountPath,
    fileMode: 0o440,
    externalSecrets: [
      {
        dir: 'app',
        syncSecret: false,
        externalSecret: {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: 'app', namespace: 'bench' },
          spec: {
            secretStoreRef: { name: store.metadata.name, kind: 'SecretStore' },
            refreshInterval: '1h',
            target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
            data: refs.map(([secretKey, key, property]) => ({ secretKey, remoteRef: { key, property } })),
          },
        },
      },
    ],
    stores: { [`SecretStore/${store.metadata.name}`]: store },
  };
}

/** Resident set size of a live process, KiB (Linux /proc). */
export const rssKiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
