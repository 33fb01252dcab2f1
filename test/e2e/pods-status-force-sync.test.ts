// On a running pod (issue 14): an ExternalSecret of an esi-class store (`spec.controller: esi`) shows
// ESO's status in `kubectl get es` from what the pod's agent reports (the pod's service account may only
// create Events), and `kubectl annotate es db force-sync=$(date +%s) --overwrite` (ESO's documented
// forced refresh) brings a value changed in the backend into the running app's file long before the
// ExternalSecret's 1h refreshInterval: the webhook's controller carries the annotation into the pod's
// config, the kubelet refreshes the downward-API file, the agent refetches within its 0–2 s spread.
// Figures (annotate → the app sees the new value) are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { installEsi } from '../harness/pods/esi.ts';
import { kubectl, podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, awsFixture, eventually, expectNoLeak, fmtMs, podNamespace, rotationSeen, startApp } from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  const { ms } = await installEsi(info);
  console.log(`[pods] cluster up in ${fmtMs(info.startMs)}; esi installed by the README's Helm commands in ${fmtMs(ms)}`);
}, 900_000);

interface EsView {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; refreshTime?: string; syncedResourceVersion?: string };
}

describe('status and force-sync of an esi-managed ExternalSecret on a running pod', () => {
  it('kubectl get es shows the agent\'s sync; force-sync reaches the app\'s file within seconds and is reported', async () => {
    const ns = await podNamespace(info, 'pods-status');
    const values = [1, 2, 3, 4].map((i) => sentinel(`pods-status-v${i}`));
    const f = await awsFixture(info, ns, harness(), putAwsSecret, values[0]!);
    // Hand the store to esi, and give the pod's service account the documented minimum: create Events.
    await podApi(info, 'PATCH', `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores/aws`, { spec: { controller: 'esi' } }, { contentType: 'application/merge-patch+json' });
    await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'esi-agent' },
      rules: [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }],
    });
    await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'esi-agent' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'esi-agent' },
      subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: ns }],
    });
    const app = appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts });
    // No esi.dev/refresh-interval: the ExternalSecret's own 1h applies, so only force-sync can bring a change.
    const started = await startApp(info, ns, 'app', { annotations: { 'esi.dev/external-secrets': 'db' }, spec: f.podSpec, containers: [app] });
    expect(started.firstSeen.text).toBe(`app sees ${sha256(values[0]!)}`);

    const getEs = async () => (await podApi<EsView>(info, 'GET', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets/db`)).body;
    const synced = await eventually('the ExternalSecret status from the pod\'s report', 60_000, async () => {
      const es = await getEs();
      return es.status?.refreshTime && es.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? es : undefined;
    });
    expect(synced.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'SecretSynced', message: 'secret synced' });
    expect(synced.status!.syncedResourceVersion).toMatch(/^1-[0-9a-f]{56}$/);
    // What a user sees: ESO's printer columns, filled.
    const table = await kubectl(info, ['-n', ns, 'get', 'es', 'db']);
    expect(table.split('\n')[0]).toMatch(/STATUS\s+READY\s+LAST SYNC/);
    expect(table.split('\n')[1]).toMatch(/^db\s+SecretStore\s+aws\s+1h\s+SecretSynced\s+True\s+\d+s\b/);
    const stores = await kubectl(info, ['-n', ns, 'get', 'ss', 'aws']);
    expect(stores.split('\n')[1]).toMatch(/^aws\s+\S+\s+Valid\s+ReadWrite\s+True\b/);

    // force-sync, three times: each time the backend changed first, then the documented annotate.
    const lags: number[] = [];
    let pod = started.pod;
    for (const [i, v] of values.slice(1).entries()) {
      const r = await rotationSeen(info, ns, pod, 'app', sha256(v), async () => {
        await putAwsSecret(f.secretName, v);
        await kubectl(info, ['-n', ns, 'annotate', 'es', 'db', `force-sync=${Date.now()}-${i}`, '--overwrite']);
      });
      lags.push(r.lagMs);
      pod = r.after;
    }
    // The files changed, so each forced sync is ESO's `Updated` Event on the ExternalSecret, and the status moved on.
    const updated = await eventually('Updated Events on the ExternalSecret', 30_000, async () => {
      const evs = JSON.parse(await kubectl(info, ['-n', ns, 'get', 'events', '-o', 'json', '--field-selector', 'involvedObject.kind=ExternalSecret,involvedObject.name=db'])) as { items: { reason: string; message: string; type: string }[] };
      const u = evs.items.filter((e) => e.reason === 'Updated');
      return u.length >= 3 ? u : undefined;
    });
    expect(updated.every((e) => e.type === 'Normal' && e.message === 'secret updated')).toBe(true);
    const after = await eventually('refreshTime after the forced syncs', 30_000, async () => {
      const es = await getEs();
      return es.status!.refreshTime! > synced.status!.refreshTime! && es.status!.syncedResourceVersion !== synced.status!.syncedResourceVersion ? es : undefined;
    });
    expect(after.status!.syncedResourceVersion).toMatch(/^1-[0-9a-f]{56}$/); // annotations change the hash, not the generation

    await expectNoLeak(info, ns, pod.metadata.name, values, { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] force-sync: kubectl annotate → the app sees the new value ${lags.map(fmtMs).join(', ')} (refreshInterval 1h; agent spread 0–2 s)`);
  }, 300_000);
});
