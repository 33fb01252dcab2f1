/**
 * Patch: the plan as RFC 6902 operations against the pod as the apiserver sent it. Only `add` for
 * what is new; `replace` only for esi's own containers, volumes and mounts when they differ; `remove`
 * only for esi's own leftovers. What other webhooks added to esi's containers is kept (merge), so a
 * reinvocation converges instead of fighting them.
 */
import { isObject, type Container, type Pod, type Volume, type VolumeMount } from '../core/index.ts';
import { applyOp, cloneJson, deepEqual, pointer, type PatchOp } from './json-patch.ts';
import type { Plan } from './plan.ts';

/**
 * `desired` over `existing`: desired wins, keys and keyed list entries only in `existing` are kept. Lists
 * are keyed by `name` (containers, env, volumes) or `path` (downward-API and projection items), so what
 * the apiserver defaulted inside an entry (e.g. `fieldRef.apiVersion`) is kept, not fought over.
 */
export function overlay(existing: unknown, desired: unknown): unknown {
  const key = Array.isArray(existing) && Array.isArray(desired) ? listKey(existing, desired) : undefined;
  if (key) {
    const ex = existing as Record<string, unknown>[];
    const de = desired as Record<string, unknown>[];
    const out = ex.map((e) => {
      const d = de.find((x) => x[key] === e[key]);
      return d === undefined ? e : overlay(e, d);
    });
    for (const d of de) if (!ex.some((e) => e[key] === d[key])) out.push(d);
    return out;
  }
  if (isObject(existing) && isObject(desired)) {
    const out: Record<string, unknown> = { ...existing };
    for (const [k, v] of Object.entries(desired)) out[k] = k in existing ? overlay(existing[k], v) : v;
    return out;
  }
  return desired;
}

function listKey(a: unknown[], b: unknown[]): 'name' | 'path' | undefined {
  for (const k of ['name', 'path'] as const) if ([...a, ...b].every((x) => isObject(x) && typeof x[k] === 'string')) return k;
  return undefined;
}

export function emitPatch(pod: Pod, plan: Plan): { patch: PatchOp[]; pod: Pod } {
  let work = cloneJson(pod) as Pod;
  const patch: PatchOp[] = [];
  const emit = (op: PatchOp) => {
    work = applyOp(work, op) as Pod;
    patch.push(op);
  };

  // Annotations.
  const annotations = work.metadata.annotations;
  if (!annotations) emit({ op: 'add', path: '/metadata/annotations', value: { ...plan.annotations } });
  else {
    for (const [k, v] of Object.entries(plan.annotations)) {
      if (annotations[k] === v) continue;
      emit({ op: k in annotations ? 'replace' : 'add', path: pointer('metadata', 'annotations', k), value: v });
    }
  }

  // esi's leftovers from an earlier injection that this plan no longer has.
  const prev = plan.previouslyOwned;
  const goneVolumes = new Set(prev.volumes.filter((v) => !plan.owned.volumes.includes(v)));
  for (const [field, names] of [
    ['initContainers', prev.initContainers.filter((n) => !plan.owned.initContainers.includes(n))],
    ['containers', prev.containers.filter((n) => !plan.owned.containers.includes(n))],
  ] as const) {
    for (const name of names) {
      const i = (work.spec[field] ?? []).findIndex((c) => c.name === name);
      if (i >= 0) emit({ op: 'remove', path: pointer('spec', field, i) });
    }
  }

  // esi's init containers, before the user's.
  let insertAt = 0;
  for (const c of plan.initContainers) {
    const list = work.spec.initContainers;
    const i = (list ?? []).findIndex((x) => x.name === c.name);
    if (i >= 0) {
      const merged = overlay(list![i], c) as Container;
      if (!deepEqual(merged, list![i])) emit({ op: 'replace', path: pointer('spec', 'initContainers', i), value: merged });
      insertAt = i + 1;
    } else if (!list) {
      emit({ op: 'add', path: '/spec/initContainers', value: [c] });
      insertAt = 1;
    } else {
      emit({ op: 'add', path: pointer('spec', 'initContainers', insertAt), value: c });
      insertAt += 1;
    }
  }
  // esi's classic sidecar, after the user's containers.
  for (const c of plan.containers) {
    const i = work.spec.containers.findIndex((x) => x.name === c.name);
    if (i >= 0) {
      const merged = overlay(work.spec.containers[i], c) as Container;
      if (!deepEqual(merged, work.spec.containers[i])) emit({ op: 'replace', path: pointer('spec', 'containers', i), value: merged });
    } else emit({ op: 'add', path: '/spec/containers/-', value: c });
  }

  // Mounts in the user's containers: esi's volumes where the plan wants them, nowhere else.
  const ours = new Set([...plan.owned.initContainers, ...plan.owned.containers]);
  const ownVolumes = new Set(plan.owned.volumes);
  for (const field of ['initContainers', 'containers'] as const) {
    for (let i = 0; i < (work.spec[field] ?? []).length; i++) {
      const c = work.spec[field]![i]!;
      if (ours.has(c.name)) continue;
      const wants = plan.mounts.filter((m) => m.container === c.name).map((m) => m.mount);
      // Remove stale esi mounts (from highest index, so indices stay valid).
      const mounts = c.volumeMounts ?? [];
      for (let j = mounts.length - 1; j >= 0; j--) {
        const m = mounts[j]!;
        const stale = goneVolumes.has(m.name) || (ownVolumes.has(m.name) && !wants.some((w) => w.name === m.name));
        if (stale) emit({ op: 'remove', path: pointer('spec', field, i, 'volumeMounts', j) });
      }
      for (const want of wants) {
        const current = work.spec[field]![i]!.volumeMounts;
        const j = (current ?? []).findIndex((m) => m.name === want.name);
        if (j >= 0) {
          const merged = overlay(current![j], want) as VolumeMount;
          if (!deepEqual(merged, current![j])) emit({ op: 'replace', path: pointer('spec', field, i, 'volumeMounts', j), value: merged });
        } else if (!current) emit({ op: 'add', path: pointer('spec', field, i, 'volumeMounts'), value: [want] });
        else emit({ op: 'add', path: pointer('spec', field, i, 'volumeMounts', '-'), value: want });
        // Every other mount of a read-only esi volume in an app container is read-only too: only the agent writes there.
        if (want.readOnly !== true) continue;
        const all = work.spec[field]![i]!.volumeMounts!;
        for (let k = 0; k < all.length; k++) {
          const m = all[k]!;
          if (m.name === want.name && m.readOnly !== true) emit({ op: 'replace', path: pointer('spec', field, i, 'volumeMounts', k), value: { ...m, readOnly: true } });
        }
      }
    }
  }

  // Volumes.
  for (const name of goneVolumes) {
    const i = (work.spec.volumes ?? []).findIndex((v) => v.name === name);
    if (i >= 0) emit({ op: 'remove', path: pointer('spec', 'volumes', i) });
  }
  for (const v of plan.volumes) {
    const list = work.spec.volumes;
    const i = (list ?? []).findIndex((x) => x.name === v.name);
    if (i >= 0) {
      const merged = overlay(list![i], v) as Volume;
      if (!deepEqual(merged, list![i])) emit({ op: 'replace', path: pointer('spec', 'volumes', i), value: merged });
    } else if (!list) emit({ op: 'add', path: '/spec/volumes', value: [v] });
    else emit({ op: 'add', path: '/spec/volumes/-', value: v });
  }

  if (plan.shareProcessNamespace && work.spec.shareProcessNamespace !== true) {
    emit({ op: 'add', path: '/spec/shareProcessNamespace', value: true });
  }
  return { patch, pod: work };
}
