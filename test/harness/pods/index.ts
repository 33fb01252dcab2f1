// The real-pod cluster for test files: `podCluster()` starts it on first use (in the global-setup process,
// shared by every pod suite of the run) and returns where it is; kubectl and API helpers act on it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeClient } from '../../../kube/index.ts';
import { control, harness } from '../index.ts';
import { kubeApi, kubeClientFor, kubeRaw, type KubeAccess, type KubeResponse } from '../kube-http.ts';
import type { PodClusterInfo } from './cluster.ts';

export type { PodClusterInfo } from './cluster.ts';

const exec = promisify(execFile);
let cached: PodClusterInfo | undefined;

/** Starts (once per run) and returns the real-pod cluster; fails with the reason when it cannot run here. */
export async function podCluster(): Promise<PodClusterInfo> {
  cached ??= (await control('POST', '/_esi/pods/up', undefined, 20 * 60_000)) as PodClusterInfo;
  return cached;
}

/** Admin access to the pod cluster's apiserver (the run's admin certificate; same CA). */
export function podAccess(info: PodClusterInfo): KubeAccess {
  const h = harness();
  return { server: info.apiserverUrl, caPath: h.caPath, certPath: h.adminCertPath, keyPath: h.adminKeyPath };
}

export function podClient(info: PodClusterInfo): KubeClient {
  return kubeClientFor(podAccess(info));
}

export function podApi<T = unknown>(info: PodClusterInfo, method: string, path: string, body?: unknown, opts: { allow?: number[]; contentType?: string } = {}): Promise<KubeResponse<T>> {
  return kubeApi<T>(podAccess(info), method, path, body, opts);
}

export function podRaw<T = unknown>(info: PodClusterInfo, method: string, path: string, body?: unknown): Promise<KubeResponse<T>> {
  return kubeRaw<T>(podAccess(info), method, path, body);
}

/** Runs the kubectl built at the cluster's version against it; rejects with kubectl's stderr. */
export async function kubectl(info: PodClusterInfo, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const p = exec(info.kubectl, ['--kubeconfig', info.kubeconfigPath, ...args], { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 });
  if (opts.input !== undefined) {
    p.child.stdin!.end(opts.input);
  }
  try {
    return (await p).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.slice(0, 3).join(' ')}: ${(err.stderr || err.message).trim().slice(0, 600)}`);
  }
}
