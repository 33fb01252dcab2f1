/**
 * `templateFrom` objects read from the cluster by the agent, with the pod's own service account: the
 * ConfigMaps and Secrets an ExternalSecret's `spec.target.template.templateFrom` names, in its namespace,
 * fetched by name (RBAC `get` with `resourceNames`, no list or watch). ESO reads them through its
 * informer cache on every reconcile (pkg/controllers/externalsecret/externalsecret_controller_template.go,
 * `MergeTemplateFrom`); the agent reads them once per sync of that ExternalSecret.
 *
 * A missing object is left out, so eso/ reports it with ESO's own text (`configmaps "x" not found`);
 * any other refusal carries the API server's message under ESO's prefixes, as ESO would show it.
 */
import type { KubeObject } from '../core/index.ts';
import { wrapError, type ExternalSecret } from '../eso/index.ts';
import { EsiError } from '../core/index.ts';
import type { KubeClient } from '../kube/index.ts';

export interface TemplateObjectRef {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** Index in spec.target.template.templateFrom, for error context. */
  index: number;
}

/** The ConfigMaps and Secrets a sync of `es` reads (each once). Pure. */
export function templateObjectRefs(es: ExternalSecret): TemplateObjectRef[] {
  const out: TemplateObjectRef[] = [];
  const seen = new Set<string>();
  for (const [index, tf] of (es.spec.target.template?.templateFrom ?? []).entries()) {
    for (const [kind, ref] of [['ConfigMap', tf.configMap], ['Secret', tf.secret]] as const) {
      if (!ref?.name || seen.has(`${kind}/${ref.name}`)) continue;
      seen.add(`${kind}/${ref.name}`);
      out.push({ kind, name: ref.name, index });
    }
  }
  return out;
}

const PLURAL = { ConfigMap: 'configmaps', Secret: 'secrets' } as const;

/** Reads the objects; a 404 is left out (eso/ says "not found" as ESO does). Secret material: never logged. */
export async function fetchTemplateObjects(kube: KubeClient | undefined, namespace: string, refs: TemplateObjectRef[]): Promise<KubeObject[]> {
  if (refs.length === 0) return [];
  const first = refs[0]!;
  if (!kube) {
    throw templateFromError(first, `esi agent: no Kubernetes API access to read ${first.kind} ${JSON.stringify(first.name)} for templateFrom (not in a cluster and ESI_KUBECONFIG unset)`);
  }
  const got = await Promise.all(
    refs.map(async (ref) => {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${PLURAL[ref.kind]}/${encodeURIComponent(ref.name)}`;
      const r = await kube.send<KubeObject>('GET', path);
      if (r.status === 200) return { ...r.body, kind: ref.kind } as KubeObject;
      if (r.status === 404) return undefined;
      const message = (r.body as { message?: unknown } | undefined)?.message;
      throw templateFromError(ref, typeof message === 'string' ? message : `${PLURAL[ref.kind]} ${JSON.stringify(ref.name)}: HTTP ${r.status}`);
    }),
  );
  return got.filter((o): o is KubeObject => o !== undefined);
}

/** ESO's text for a templateFrom object it could not get: `could not apply template: error fetching templateFrom data: <API error>`. */
function templateFromError(ref: TemplateObjectRef, message: string): EsiError {
  const field = `spec.target.template.templateFrom[${ref.index}]`;
  return wrapError('could not apply template: ', wrapError('error fetching templateFrom data: ', new EsiError('template-object', message), field), field);
}
