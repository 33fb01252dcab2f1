// The webhook's reflector against the real apiserver: a paginated first list (continue tokens), then
// watch events applied to the cache, with the stripping transform on every object received.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/index.ts';
import { Reflector, type WatchVerb } from '../../webhook/index.ts';
import { adminClient, freshNamespace } from '../harness/index.ts';

async function until(what: string, f: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Reflector', () => {
  it('lists in pages, then follows the watch; objects are stripped on receipt', async () => {
    const ns = await freshNamespace('reflector');
    const kube = adminClient();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 7; i++) await kube.request('POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { i: String(i) } }, data: { big: 'x'.repeat(1000) } });
    const events: [WatchVerb, string][] = [];
    const r = new Reflector(kube, path, 'ConfigMap', 'v1', {
      pageSize: 2,
      transform: (o) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion } }),
    });
    r.on((verb, o) => events.push([verb, o.metadata.name!]));
    try {
      await r.start();
      expect(r.size).toBe(7); // four pages of at most 2
      expect(r.lists).toBe(1);
      expect(r.keys(ns).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `${ns}/cm-${i}`).sort());
      expect(r.get('cm-3', ns)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-3', namespace: ns, resourceVersion: expect.any(String) } });
      expect(events).toEqual([]); // the first list reports nothing

      await kube.request('POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-new' } });
      const cur = await kube.request<KubeObject>('GET', `${path}/cm-1`);
      await kube.request('PUT', `${path}/cm-1`, { ...cur, data: { big: 'y' } });
      await kube.request('DELETE', `${path}/cm-2`);
      await until('three watch events', () => events.length >= 3);
      expect(events).toEqual([['add', 'cm-new'], ['update', 'cm-1'], ['delete', 'cm-2']]);
      expect(r.size).toBe(7);
      expect(r.get('cm-2', ns)).toBeUndefined();
      expect(r.lists).toBe(1);
    } finally {
      await r.stop();
    }
  });
});
