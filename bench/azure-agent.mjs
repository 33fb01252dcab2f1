#!/usr/bin/env node
// The esi agent (dist/esi.mjs) with an Azure Key Vault store against the same agent with an AWS Secrets
// Manager store: time from process start to the first complete file set (sidecar mode, 2 keys) and idle
// RSS after it. Azure: the harness's Key Vault + Entra ID double (test/harness/azure-keyvault.ts, a double
// written from Azure's REST reference) over HTTPS with a throwaway CA, service-principal login (one token
// POST, as Workload Identity's). AWS: moto from the e2e cache (`npm run e2e:prepare`), static keys.
// Runs alternate so a busy machine slows both alike. Usage: node bench/azure-agent.mjs [--runs N] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfig, importBenchDriver, rssKiB, startMoto, storeEnvName } from './lib.mjs';

// The pinned AWS SDK warns on Node 20 about its future releases; keep it out of the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = new URL('..', import.meta.url).pathname;
const esiEntry = join(root, 'dist/esi.mjs');
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : d;
};
const runs = Number(arg('--runs', '7'));
const idleMs = Number(arg('--idle-ms', '3000'));
const asJson = process.argv.includes('--json');
const work = mkdtempSync(join(tmpdir(), 'esi-bench-azure-'));
const children = new Set();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  // The double, bundled from the harness's TypeScript.
  const { startKeyVaultDouble } = await importBenchDriver(root, work, 'test/harness/azure-keyvault.ts');
  const key = join(work, 'kv.key');
  const cert = join(work, 'kv.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  // Service-principal logins never reach the apiserver (only federated assertions are reviewed).
  const kv = await startKeyVaultDouble({ kube: { server: 'https://127.0.0.1:1' }, cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') });
  kv.addServicePrincipal('bench-sp', 'bench-sp-credential');
  kv.grant('bench-sp');
  kv.setSecret('bench-db', JSON.stringify({ username: 'app', password: 'bench-password' }));

  const moto = await startMoto(work);
  children.add(moto.proc);
  const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await sm.send(new CreateSecretCommand({ Name: 'bench-db', SecretString: JSON.stringify({ username: 'app', password: 'bench-password' }) }));
  sm.destroy();

  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ESI_AGENT_HEALTH_ADDR: 'off' };
  const stores = {
    aws: {
      store: { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws', namespace: 'bench' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } } },
      env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none') },
    },
    azure: {
      store: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'kv', namespace: 'bench' },
        spec: { provider: { azurekv: { vaultUrl: kv.url, authType: 'ServicePrincipal', environmentType: 'PublicCloud', tenantId: kv.tenantId, authSecretRef: { clientId: { name: 'sp', key: 'id' }, clientSecret: { name: 'sp', key: 'secret' } } } } },
      },
      env: { [storeEnvName('AZURE_CLIENT_ID', 'SecretStore', 'kv')]: 'bench-sp', [storeEnvName('AZURE_CLIENT_SECRET', 'SecretStore', 'kv')]: 'bench-sp-credential', AZURE_AUTHORITY_HOST: kv.url, NODE_EXTRA_CA_CERTS: cert },
    },
  };

  const results = { aws: { firstFileMs: [], idleRssMiB: [] }, azure: { firstFileMs: [], idleRssMiB: [] } };
  for (let i = 0; i < runs; i++) {
    for (const which of i % 2 ? ['azure', 'aws'] : ['aws', 'azure']) {
      const dir = join(work, `${which}-${i}`);
      mkdirSync(dir, { recursive: true });
      const cfg = join(dir, 'config.json');
      const mnt = join(dir, 'mnt');
      writeFileSync(cfg, JSON.stringify(agentConfig(stores[which].store, ['username', 'password'].map((k) => [k, 'bench-db', k]), mnt)));
      const t0 = performance.now();
      const proc = spawn(process.execPath, [esiEntry, 'agent', '--config', cfg, '--mode', 'sidecar', '--listen', 'off'], { env: { ...baseEnv, ...stores[which].env }, stdio: ['ignore', 'ignore', 'pipe'] });
      children.add(proc);
      let stderr = '';
      proc.stderr.on('data', (c) => (stderr += c));
      const file = join(mnt, 'app', 'password');
      while (!existsSync(file)) {
        if (proc.exitCode !== null) throw new Error(`${which} agent exited ${proc.exitCode}: ${stderr.slice(0, 500)}`);
        if (performance.now() - t0 > 60_000) throw new Error(`${which} agent: no file after 60 s: ${stderr.slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      results[which].firstFileMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, idleMs));
      results[which].idleRssMiB.push(rssKiB(proc.pid) / 1024);
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      children.delete(proc);
    }
  }
  await kv.close();
  const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { firstFileMsMedian: Math.round(median(v.firstFileMs)), idleRssMiBMedian: +median(v.idleRssMiB).toFixed(1), runs: v.firstFileMs.length }]));
  if (asJson) console.log(JSON.stringify({ bench: 'azure-agent', node: process.version, summary, results }));
  else {
    console.log(`esi agent, sidecar, 2 keys, ${runs} runs each (alternating), Node ${process.version}; RSS read ${idleMs} ms after the first file set`);
    console.log('store   first file set (median ms)   idle RSS (median MiB)');
    for (const [k, v] of Object.entries(summary)) console.log(`${k.padEnd(6)}  ${String(v.firstFileMsMedian).padStart(26)}   ${String(v.idleRssMiBMedian).padStart(20)}`);
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
