// On running pods, the workload shapes besides a long-running Deployment: `esi.dev/mode: init` (the agent
// runs once as an init container; the app starts with its files and no sidecar stays), and a Job whose app
// exits while esi's native sidecar runs — the Job still completes. Figures are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { diagnose, installEsi } from '../harness/pods/esi.ts';
import { podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, awsFixture, containerLog, eventually, fmtMs, podNamespace, podsWithLabel, readyPod, status } from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  await installEsi(info);
}, 900_000);

describe('workload shapes on running pods', () => {
  it('esi.dev/mode: init — the app starts with its files, the agent ran once and is gone', async () => {
    const ns = await podNamespace(info, 'pods-init');
    const v1 = sentinel('pods-init');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const created = Date.now();
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'init', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'init' } },
      spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })] },
    });
    const pod = await readyPod(info, ns, 'app=init', 90_000);
    expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(['esi-agent-init']);
    expect(status(pod, 'esi-agent-init')!.state.terminated?.exitCode).toBe(0);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app']);
    const seen = await eventually('the app to log what it sees', 30_000, async () =>
      (await containerLog(info, ns, 'app', 'app')).find((l) => l.text.startsWith('app sees ')));
    expect(seen.text).toBe(`app sees ${sha256(v1)}`);
    console.log(`[pods] mode-init: pod creation → app sees its file ${fmtMs(seen.at - created)}`);
  }, 180_000);

  it('a Job completes while esi\'s native sidecar runs beside its app', async () => {
    const ns = await podNamespace(info, 'pods-job');
    const v1 = sentinel('pods-job');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const job = appContainer(info.images.busybox, `${MOUNT}/db/password`, {
      name: 'main', env: f.env, volumeMounts: f.volumeMounts,
      command: ['/bin/sh', '-c', `echo "job sees $(sha256sum ${MOUNT}/db/password | cut -c1-64)"`],
    });
    const created = Date.now();
    await podApi(info, 'POST', `/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { app: 'job', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
          spec: { ...f.podSpec, restartPolicy: 'Never', containers: [job] },
        },
      },
    });
    let complete: number;
    try {
      complete = await eventually('Job Complete', 90_000, async () => {
        const j = (await podApi<{ status: { conditions?: { type: string; status: string }[] } }>(info, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs/once`)).body;
        if ((j.status.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True')) throw new Error('Job Failed');
        return (j.status.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True') ? Date.now() : undefined;
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await diagnose(info, ns)}`);
    }
    const [pod] = await podsWithLabel(info, ns, 'app=job');
    expect(pod!.spec.initContainers?.find((c) => c.name === 'esi-agent')).toBeDefined();
    expect(status(pod!, 'main')!.state.terminated?.exitCode).toBe(0);
    const lines = await containerLog(info, ns, pod!.metadata.name, 'main');
    expect(lines.map((l) => l.text)).toContain(`job sees ${sha256(v1)}`);
    console.log(`[pods] job-native-sidecar: Job creation → Complete ${fmtMs(complete - created)}`);
  }, 180_000);
});
