// On running pods: esi installed by the README's commands into the real-pod cluster, a Deployment
// labelled for injection with IRSA (a projected token with audience sts.amazonaws.com, moto's STS), the app
// container starts only after the first sync, reads the file, and sees a rotation made in moto without a
// restart (same container ID, restartCount 0); the values are in no log, Event, annotation or env.
// Figures (pod creation → app start, rotation lag inside the app) are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { installEsi } from '../harness/pods/esi.ts';
import { podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, awsFixture, containerLog, eventually, exec, expectNoLeak, fmtMs, podNamespace, readyPod, status } from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  const { ms } = await installEsi(info);
  console.log(`[pods] cluster up in ${fmtMs(info.startMs)}; esi installed by the README's commands in ${fmtMs(ms)}`);
}, 900_000);

describe('AWS Secrets Manager with IRSA on a running pod', () => {
  it('starts the app after the first sync and shows it a rotation without a restart', async () => {
    const ns = await podNamespace(info, 'pods-aws');
    const v1 = sentinel('pods-aws-v1');
    const v2 = sentinel('pods-aws-v2');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const app = appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts });
    const created = Date.now();
    await podApi(info, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: {
            labels: { app: 'app', 'esi.dev/inject': 'true' },
            annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s' },
          },
          spec: { ...f.podSpec, containers: [app] },
        },
      },
    });

    const pod = await readyPod(info, ns, 'app=app', 90_000);
    const name = pod.metadata.name;
    const agent = status(pod, 'esi-agent');
    expect(agent, 'esi injected its agent as a native sidecar').toBeDefined();
    expect(pod.spec.initContainers?.map((c) => c.name)).toContain('esi-agent');
    const appStatus = status(pod, 'app')!;
    expect(appStatus.restartCount).toBe(0);

    // The app's first look at the file already finds the first value: the startup probe held it back.
    const started = await eventually('the app to log what it sees', 30_000, async () => {
      const lines = await containerLog(info, ns, name, 'app');
      const start = lines.find((l) => l.text === 'app started');
      const seen = lines.find((l) => l.text.startsWith('app sees '));
      return start && seen ? { start, seen } : undefined;
    });
    expect(started.seen.text).toBe(`app sees ${sha256(v1)}`);
    expect(Date.parse(agent!.state.running!.startedAt)).toBeLessThanOrEqual(Date.parse(appStatus.state.running!.startedAt));
    expect((await exec(info, ns, name, 'app', ['sha256sum', `${MOUNT}/db/password`])).slice(0, 64)).toBe(sha256(v1));

    // Rotate in moto; the running app sees the new value in place.
    const rotated = Date.now();
    await putAwsSecret(f.secretName, v2);
    const seenNew = await eventually('the app to see the rotated value', 60_000, async () =>
      (await containerLog(info, ns, name, 'app')).find((l) => l.text === `app sees ${sha256(v2)}`));
    expect((await exec(info, ns, name, 'app', ['sha256sum', `${MOUNT}/db/password`])).slice(0, 64)).toBe(sha256(v2));

    const after = (await podApi<typeof pod>(info, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
    expect(status(after, 'app')!.containerID).toBe(appStatus.containerID);
    expect(status(after, 'app')!.restartCount).toBe(0);
    expect(status(after, 'esi-agent')!.restartCount).toBe(0);

    // The values appear nowhere but in the files: not in any container's log, the namespace's Events, the
    // pod's annotations and spec, or the env of the app container (raw or base64).
    const places = await expectNoLeak(info, ns, name, [v1, v2], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    expect(places['esi-agent log']!.length).toBeGreaterThan(0);

    console.log(`[pods] aws-irsa: pod creation → app start ${fmtMs(started.start.at - created)}; ` +
      `rotation in moto → seen inside the app ${fmtMs(seenNew.at - rotated)} (refresh-interval 2s)`);
  }, 300_000);
});
