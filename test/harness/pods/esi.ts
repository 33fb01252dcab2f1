// esi installed into the real-pod cluster as a user installs it: the commands of the README's "Install into
// a cluster" section, read from the README at run time and run as they are written (a shell, kubectl and
// helm on PATH, KUBECONFIG pointing at this cluster), the Helm route. The only substitution is the
// placeholder for ESO's CRD bundle (the directory the harness installed them from). The chart's image is
// already on the node (imported by the harness under the chart's name). Then it waits until the webhook
// pods are available and have written their CA into the MutatingWebhookConfiguration.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { podClusterPaths } from '../components.mjs';
import { harness } from '../index.ts';
import { takeLock } from './host.ts';
import { CRD_PLACEHOLDER, readmeInstallCommands } from './readme-install.ts';
import { kubectl, podApi, type PodClusterInfo } from './index.ts';

const repo = resolve(import.meta.dirname, '..', '..', '..');
export const MANIFESTS = join(repo, 'deploy', 'manifests', 'esi.yaml');
export const README = join(repo, 'README.md');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

/** A shell as a user's: kubectl and helm of the harness first on PATH, KUBECONFIG the pod cluster's. */
function userShellEnv(info: PodClusterInfo): NodeJS.ProcessEnv {
  const home = join(harness().runDir, 'pods-user-home');
  return {
    PATH: `${dirname(info.kubectl)}:${dirname(podClusterPaths().helm)}:/usr/bin:/bin`,
    KUBECONFIG: info.kubeconfigPath,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
  };
}

/** Runs one README command line in `sh -c` from the repository root; rejects with its stderr. */
export async function runAsUser(info: PodClusterInfo, line: string): Promise<string> {
  await mkdir(join(harness().runDir, 'pods-user-home'), { recursive: true });
  try {
    return (await run('sh', ['-c', line], { cwd: repo, env: userShellEnv(info), timeout: 120_000, maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${line}: ${(err.stderr || err.message).trim().slice(0, 600)}`);
  }
}

let installed: Promise<{ ms: number; commands: string[]; here: boolean }> | undefined;

/**
 * Installs esi the README's Helm way, once per cluster: suites in other workers wait on a lock in the run
 * directory and find the release there. Resolves when two webhook pods serve with their own CA, with the
 * commands the install ran — whichever suite ran them (recorded in the run directory), so a check on them
 * holds in every file, not only in the one that happened to take the lock first.
 */
export function installEsi(info: PodClusterInfo): Promise<{ ms: number; commands: string[]; here: boolean }> {
  installed ??= (async () => {
    const t0 = Date.now();
    const record = join(harness().runDir, 'pods-esi-install.json');
    const lock = await takeLock(join(harness().runDir, 'pods-esi-install.lock'), 600, () => undefined);
    let commands: string[] = [];
    let here = false;
    try {
      const present = await runAsUser(info, 'helm status esi --namespace esi-system').then(() => true, () => false);
      if (present) {
        commands = JSON.parse(await readFile(record, 'utf8').catch(() => '[]')) as string[];
      } else {
        here = true;
        for (const line of readmeInstallCommands(await readFile(README, 'utf8')).helm) {
          const cmd = line.replace(CRD_PLACEHOLDER, info.crds.dir);
          await runAsUser(info, cmd);
          commands.push(cmd);
        }
        await writeFile(record, JSON.stringify(commands));
      }
      await untilServing(info);
    } finally {
      lock.release();
    }
    return { ms: Date.now() - t0, commands, here };
  })();
  installed.catch(() => (installed = undefined));
  return installed;
}

/** Waits for the webhook Deployment `name` in `ns` to be available and its caBundle written. */
export async function untilServing(info: PodClusterInfo, ns = 'esi-system', name = 'esi'): Promise<void> {
  // Available replicas, failing early (with the evidence) once a webhook container keeps crashing.
  const rolloutDeadline = Date.now() + 240_000;
  for (;;) {
    const d = (await podApi<{ spec: { replicas: number }; status: { availableReplicas?: number; updatedReplicas?: number } }>(
      info, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body;
    if ((d.status.availableReplicas ?? 0) >= d.spec.replicas && (d.status.updatedReplicas ?? 0) >= d.spec.replicas) break;
    const pods = (await podApi<{ items: { status: { containerStatuses?: { restartCount: number }[] } }[] }>(
      info, 'GET', `/api/v1/namespaces/${ns}/pods`)).body.items;
    const crashing = pods.some((p) => (p.status.containerStatuses ?? []).some((c) => c.restartCount >= 2));
    if (crashing || Date.now() > rolloutDeadline) {
      throw new Error(`esi webhook Deployment ${ns}/${name} not available (${crashing ? 'a container keeps restarting' : 'after 240 s'})\n${await diagnose(info, ns)}`);
    }
    await sleep(1000);
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await podApi<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(info, 'GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`);
    if (r.body.webhooks.every((w) => (w.clientConfig.caBundle ?? '') !== '')) break;
    if (Date.now() > deadline) throw new Error(`esi webhook pods ${ns}/${name} are available but the MutatingWebhookConfiguration has no caBundle after 60 s`);
    await sleep(500);
  }
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
