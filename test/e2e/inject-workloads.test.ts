// `esi inject` output for every workload kind is accepted by the real kube-apiserver (its validation
// of native sidecars, init containers, volumes and probes), with and without native sidecars.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectCommand } from '../../cli/commands/inject.ts';
import { adminAccess, kubeRaw, scratchPath } from '../harness/index.ts';
import { namespace } from './webhook-helpers.ts';

let ns: string;
beforeAll(async () => {
  ns = await namespace('inject', {});
});

const template = (extra: Record<string, unknown> = {}) => ({
  metadata: { labels: { app: 'w', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/store': 'fake', 'esi.dev/secret-token': 'api#token' } },
  spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: 'example/app:1' }], ...extra },
});

function workloads(suffix: string) {
  const sel = { selector: { matchLabels: { app: 'w' } } };
  return [
    { apiVersion: 'v1', kind: 'Pod', ...template(), metadata: { ...template().metadata, name: `pod-${suffix}` } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `deploy-${suffix}` }, spec: { ...sel, template: template() } },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: `sts-${suffix}` }, spec: { ...sel, serviceName: 'w', template: template() } },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: `ds-${suffix}` }, spec: { ...sel, template: template() } },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `rs-${suffix}` }, spec: { ...sel, template: template() } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `job-${suffix}` }, spec: { template: template({ restartPolicy: 'Never' }) } },
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: `cron-${suffix}` }, spec: { schedule: '@daily', jobTemplate: { spec: { template: template({ restartPolicy: 'OnFailure' }) } } } },
  ];
}

const PLURAL: Record<string, string> = {
  Pod: '/api/v1/namespaces/NS/pods',
  Deployment: '/apis/apps/v1/namespaces/NS/deployments',
  StatefulSet: '/apis/apps/v1/namespaces/NS/statefulsets',
  DaemonSet: '/apis/apps/v1/namespaces/NS/daemonsets',
  ReplicaSet: '/apis/apps/v1/namespaces/NS/replicasets',
  Job: '/apis/batch/v1/namespaces/NS/jobs',
  CronJob: '/apis/batch/v1/namespaces/NS/cronjobs',
};

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
function podSpecOf(o: Obj): { initContainers?: { name: string; restartPolicy?: string }[]; containers: { name: string }[] } {
  const s = o.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (o.kind === 'Pod') return s as never;
  if (o.kind === 'CronJob') return s['jobTemplate'].spec.template.spec;
  return s['template'].spec;
}

describe('esi inject → kube-apiserver', () => {
  it.each([
    ['native sidecars', 'true', 'n'],
    ['classic sidecars', 'false', 'c'],
  ])('every workload kind is accepted (%s)', async (_label, native, suffix) => {
    const dir = await mkdtemp(scratchPath('inject-'));
    const eso = [
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: ns }, spec: { provider: { fake: { data: [{ key: 'k', value: 'CANARY-not-a-secret' }] } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: ns }, spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'password', remoteRef: { key: 'k' } }] } },
    ];
    await writeFile(join(dir, 'app.yaml'), workloads(suffix).map((o) => JSON.stringify(o)).join('\n---\n'));
    await writeFile(join(dir, 'eso.yaml'), eso.map((o) => JSON.stringify(o)).join('\n---\n'));
    let stdout = '';
    let stderr = '';
    const code = await injectCommand(['-f', join(dir, 'app.yaml'), '-f', join(dir, 'eso.yaml'), '-n', ns, '--native-sidecars', native], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: {},
    });
    expect(code).toBe(0);
    const out = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
    expect(out.map((o) => o.kind)).toEqual(Object.keys(PLURAL));
    for (const o of out) {
      const spec = podSpecOf(o);
      const jobLike = o.kind === 'Job' || o.kind === 'CronJob';
      if (native === 'true') expect(spec.initContainers![0]).toMatchObject({ name: 'esi-agent', restartPolicy: 'Always' });
      else {
        expect(spec.initContainers![0]!.name).toBe('esi-agent-init');
        expect(spec.containers.map((c) => c.name)).toEqual(jobLike ? ['app'] : ['app', 'esi-agent']);
      }
      const r = await kubeRaw<{ message?: string }>(adminAccess(), 'POST', PLURAL[o.kind]!.replace('NS', ns), o);
      expect({ kind: o.kind, status: r.status, message: r.body?.message }).toEqual({ kind: o.kind, status: 201, message: undefined });
    }
    if (native === 'false') expect(stderr).toMatch(/Job job-c: esi\.dev\/mode: a Job's pod gets no classic sidecar/);
  });
});
