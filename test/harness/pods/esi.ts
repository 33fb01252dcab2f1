// esi installed into the real-pod cluster as a user installs it: `kubectl apply -f deploy/manifests/esi.yaml`,
// unchanged (the chart's image is already on the node, imported by the harness), then wait until the
// webhook pods are available and have written their CA into the MutatingWebhookConfiguration.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
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

/**
 * A second esi from the same manifests, for one namespace only: its own namespace (`<name>`), cluster-
 * scoped objects and webhook configuration named `<name>`, one replica, `--controller-class=<class>`, its
 * webhook and controller limited to `forNamespace` by name. Pick a namespace the main install's
 * namespaceSelector excludes (e.g. kube-public), so exactly one esi injects each pod. Returns its removal.
 */
export async function installEsiVariant(info: PodClusterInfo, o: { name: string; controllerClass: string; forNamespace: string }): Promise<{ ms: number; uninstall: () => Promise<void> }> {
  const t0 = Date.now();
  const docs = parseAllDocuments(await readFile(MANIFESTS, 'utf8')).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
  const ns = o.name;
  for (const d of docs) {
    if (d['kind'] === 'Namespace') d['metadata'].name = ns;
    if (d['metadata'].namespace === 'esi-system') d['metadata'].namespace = ns;
    if (['ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(d['kind'])) d['metadata'].name = o.name;
    if (d['kind'] === 'ClusterRoleBinding') d['roleRef'].name = o.name;
    for (const s of d['subjects'] ?? []) s.namespace = ns;
    if (d['kind'] === 'ClusterRole') {
      for (const r of d['rules']) if (r.resourceNames?.includes('esi')) r.resourceNames = [o.name];
    }
    if (d['kind'] === 'Deployment') {
      d['spec'].replicas = 1;
      const c = d['spec'].template.spec.containers[0];
      c.args = (c.args as string[]).map((a) => a
        .replace(/^--namespace=.*/, `--namespace=${ns}`)
        .replace(/^--webhook-config=.*/, `--webhook-config=${o.name}`)
        .replace(/^--controller-class=.*/, `--controller-class=${o.controllerClass}`));
      c.args.push(`--namespace-selector=kubernetes.io/metadata.name=${o.forNamespace}`);
    }
    if (d['kind'] === 'MutatingWebhookConfiguration') {
      for (const w of d['webhooks']) {
        w.clientConfig.service.namespace = ns;
        w.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': o.forNamespace } };
      }
    }
  }
  await kubectl(info, ['apply', '-f', '-'], { input: docs.map((d) => JSON.stringify(d)).join('\n') });
  const deadline = Date.now() + 240_000;
  for (;;) {
    const d = (await podApi<{ status: { availableReplicas?: number } }>(info, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/esi`)).body;
    const w = (await podApi<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(info, 'GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${o.name}`)).body;
    if ((d.status.availableReplicas ?? 0) >= 1 && w.webhooks.every((x) => (x.clientConfig.caBundle ?? '') !== '')) break;
    const pods = (await podApi<{ items: { status: { containerStatuses?: { restartCount: number }[] } }[] }>(info, 'GET', `/api/v1/namespaces/${ns}/pods`)).body.items;
    const crashing = pods.some((p) => (p.status.containerStatuses ?? []).some((c) => c.restartCount >= 2));
    if (crashing || Date.now() > deadline) {
      throw new Error(`esi variant ${o.name} not serving (${crashing ? 'its container keeps restarting' : 'after 240 s'})\n${await diagnose(info, ns)}`);
    }
    await sleep(1000);
  }
  return {
    ms: Date.now() - t0,
    uninstall: async () => {
      await podApi(info, 'DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${o.name}`, undefined, { allow: [404] });
      for (const k of ['clusterrolebindings', 'clusterroles']) {
        await podApi(info, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/${k}/${o.name}`, undefined, { allow: [404] });
      }
      await podApi(info, 'DELETE', `/api/v1/namespaces/${ns}`, undefined, { allow: [404] });
    },
  };
}
