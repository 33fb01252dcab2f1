/**
 * The Kubernetes API client shared by the agent, the webhook and the e2e harness (see client.ts for why
 * not @kubernetes/client-node). This file is the part's whole public surface. Nothing here imports
 * `yaml` at top level: only kubeconfigAccess loads it, so an agent in a pod never does.
 */
import { delimiter } from 'node:path';
import { ENV_KUBECONFIG, inClusterAccess, kubeconfigAccess } from './access.ts';
import { KubeClient, type KubeClientOptions } from './client.ts';

export { ENV_KUBECONFIG, SERVICE_ACCOUNT_DIR, inClusterAccess, kubeconfigAccess, type KubeAccess } from './access.ts';
export { LeaderElector, DEFAULT_LEADER_TIMING, checkTiming, mayAcquire, microTime, nextRecord, type LeaderElectionTiming, type LeaderElectorOptions, type LeaseSpec } from './leader-election.ts';
export { KubeClient, KubeError, kubeError, type KubeClientOptions, type KubeResponse, type SendOptions, type WatchEvent } from './client.ts';

/**
 * In a cluster: the pod's service account. Else the kubeconfig in ESI_KUBECONFIG, else the first entry
 * of KUBECONFIG. Else undefined (no API access).
 */
export async function kubeClientFromEnv(env: Record<string, string | undefined>, opts: KubeClientOptions & { saDir?: string } = {}): Promise<KubeClient | undefined> {
  const { saDir, ...clientOpts } = opts;
  const inCluster = inClusterAccess(env, saDir);
  if (inCluster) return new KubeClient(inCluster, clientOpts);
  const path = env[ENV_KUBECONFIG] || env['KUBECONFIG']?.split(delimiter).find((p) => p !== '');
  if (path) return new KubeClient(await kubeconfigAccess(path), clientOpts);
  return undefined;
}
