// The Go peer of `esi webhook`: amazon-eks-pod-identity-webhook, the mutating webhook EKS users run to
// inject AWS credentials into pods. Built from the Go module proxy into the e2e cache, for benchmarks
// only (it never ships). A warm run costs one stat.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from '../../test/harness/components.mjs';

const run = promisify(execFile);
export const POD_IDENTITY_WEBHOOK = { module: 'github.com/aws/amazon-eks-pod-identity-webhook', version: 'v0.6.17' };

export async function podIdentityWebhookBinary(log = console.log) {
  const dir = join(cacheRoot(), `bench-amazon-eks-pod-identity-webhook-${POD_IDENTITY_WEBHOOK.version}`);
  const bin = join(dir, 'amazon-eks-pod-identity-webhook');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'esi-bench-piw-'));
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const go = (...args) => run('go', args, { cwd: work, env, timeout: 20 * 60_000, maxBuffer: 64 << 20 });
  const t0 = Date.now();
  log(`building ${POD_IDENTITY_WEBHOOK.module}@${POD_IDENTITY_WEBHOOK.version} (first run only, a few minutes)`);
  try {
    await go('mod', 'init', 'local.test/piw');
    await go('get', `${POD_IDENTITY_WEBHOOK.module}@${POD_IDENTITY_WEBHOOK.version}`);
    await go('build', '-trimpath', '-ldflags', '-s -w', '-o', `${bin}.tmp`, POD_IDENTITY_WEBHOOK.module);
  } catch (e) {
    throw new Error(`building ${POD_IDENTITY_WEBHOOK.module}@${POD_IDENTITY_WEBHOOK.version} failed (needs go and the Go module proxy): ${(e.stderr || e.message).slice(0, 2000)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  renameSync(`${bin}.tmp`, bin);
  log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${bin}`);
  return bin;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await podIdentityWebhookBinary());
