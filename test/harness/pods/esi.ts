// esi installed into the real-pod cluster as a user installs it: `kubectl apply -f deploy/manifests/esi.yaml`,
// unchanged (the chart's image is already on the node, imported by the harness), then wait until the
// webhook pods are available and have written their CA into the MutatingWebhookConfiguration.
import { join, resolve } from 'node:path';
import { kubectl, podApi, type PodClusterInfo } from './index.ts';

const repo = resolve(import.meta.dirname, '..', '..', '..');
export const MANIFESTS = join(repo, 'deploy', 'manifests', 'esi.yaml');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies the manifests (idempotent: every pod suite may call it) and waits for a working webhook. */
export async function installEsi(info: PodClusterInfo): Promise<{ ms: number }> {
  const t0 = Date.now();
  await kubectl(info, ['apply', '-f', MANIFESTS]);
  // Available replicas, failing early (with the evidence) once a webhook container keeps crashing.
  const rolloutDeadline = Date.now() + 240_000;
  for (;;) {
    const d = (await podApi<{ spec: { replicas: number }; status: { availableReplicas?: number; updatedReplicas?: number } }>(
      info, 'GET', '/apis/apps/v1/namespaces/esi-system/deployments/esi')).body;
    if ((d.status.availableReplicas ?? 0) >= d.spec.replicas && (d.status.updatedReplicas ?? 0) >= d.spec.replicas) break;
    const pods = (await podApi<{ items: { status: { containerStatuses?: { restartCount: number }[] } }[] }>(
      info, 'GET', '/api/v1/namespaces/esi-system/pods')).body.items;
    const crashing = pods.some((p) => (p.status.containerStatuses ?? []).some((c) => c.restartCount >= 2));
    if (crashing || Date.now() > rolloutDeadline) {
      throw new Error(`esi webhook Deployment not available (${crashing ? 'a container keeps restarting' : 'after 240 s'})\n${await diagnose(info, 'esi-system')}`);
    }
    await sleep(1000);
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await podApi<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(info, 'GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/esi');
    if (r.body.webhooks.every((w) => (w.clientConfig.caBundle ?? '') !== '')) break;
    if (Date.now() > deadline) throw new Error('esi webhook pods are available but the MutatingWebhookConfiguration has no caBundle after 60 s');
    await sleep(500);
  }
  return { ms: Date.now() - t0 };
}

/** What a stuck namespace looks like: pods with their container states, and the latest Events. */
export async function diagnose(info: PodClusterInfo, ns: string): Promise<string> {
  const pods = await kubectl(info, ['-n', ns, 'get', 'pods', '-o', 'wide']).catch((e: Error) => e.message);
  const states = await kubectl(info, ['-n', ns, 'get', 'pods', '-o',
    'jsonpath={range .items[*]}{.metadata.name}{range .status.initContainerStatuses[*]}{" init "}{.name}{" "}{.state}{end}{range .status.containerStatuses[*]}{" "}{.name}{" "}{.state}{end}{"\\n"}{end}']).catch((e: Error) => e.message);
  const events = await kubectl(info, ['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp']).catch((e: Error) => e.message);
  const names = (await kubectl(info, ['-n', ns, 'get', 'pods', '-o', 'name']).catch(() => '')).split('\n').filter(Boolean).slice(0, 2);
  const logs: string[] = [];
  for (const n of names) {
    for (const prev of ['--previous', '']) {
      const l = await kubectl(info, ['-n', ns, 'logs', n, '--all-containers', '--tail=8', ...(prev ? [prev] : [])]).catch((e: Error) => e.message);
      logs.push(`logs ${n} ${prev}:\n${l.trim()}`);
    }
  }
  return `pods in ${ns}:\n${pods}\n${states}\n${logs.join('\n')}\nevents in ${ns} (latest last):\n${events.split('\n').slice(-15).join('\n')}`;
}
