/**
 * Resolve: the pod's ExternalSecrets and the stores they use, looked up in the pod's namespace only
 * (ClusterSecretStores cluster-wide), validated as ESO would, and turned into what the agent needs:
 * value-free config, static-credential env refs, and the Vault token audience.
 */
import { isObject, storeKey, type AgentExternalSecret, type EnvVar, type KubeObject } from '../core/index.ts';
import { credentialEnvName } from '../core/credential-env.ts';
import {
  conditionDeniedMessage,
  externalSecretErrors,
  parseExternalSecret,
  parseSecretStore,
  providerOf,
  secretStoreErrors,
  storeAllowsNamespace,
  type ExternalSecret,
  type SecretStore,
  type SecretStoreRef,
} from '../eso/index.ts';
import { InjectionDenied } from './errors.ts';
import { A, type PodSettings } from './settings.ts';

/** Where the injector finds ESO objects: the webhook's watch cache, or the files given to `esi inject`. */
export interface EsoLookup {
  externalSecret(namespace: string, name: string): KubeObject | undefined;
  secretStore(namespace: string, name: string): KubeObject | undefined;
  clusterSecretStore(name: string): KubeObject | undefined;
}

/** An EsoLookup over a list of objects (offline use and tests). Objects without a namespace match any. */
export function lookupFrom(objects: readonly KubeObject[]): EsoLookup {
  const find = (kind: string, namespace: string | undefined, name: string) =>
    objects.find(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (namespace === undefined || o.metadata.namespace === undefined || o.metadata.namespace === namespace),
    );
  return {
    externalSecret: (ns, name) => find('ExternalSecret', ns, name),
    secretStore: (ns, name) => find('SecretStore', ns, name),
    clusterSecretStore: (name) => find('ClusterSecretStore', undefined, name),
  };
}

export interface ResolveInput {
  namespace: string;
  namespaceLabels: Record<string, string>;
  serviceAccountName: string;
  lookup: EsoLookup;
  controllerClass: string;
}

export interface Resolved {
  externalSecrets: AgentExternalSecret[];
  stores: Record<string, SecretStore>;
  /** `secretKeyRef`/`configMapKeyRef` env for static credentials named by the stores. */
  credentialEnv: EnvVar[];
  /** Set when a Vault store authenticates with the pod's service-account token. */
  vaultToken?: { audience?: string };
  warnings: string[];
}

export const INLINE_EXTERNAL_SECRET = 'esi-inline';

/** Keeps what the agent needs from an object; drops status and churn (resourceVersion, managedFields). */
function slim<T extends KubeObject>(obj: T): T {
  const md = obj.metadata;
  const annotations = { ...(md.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const metadata: KubeObject['metadata'] = { name: md.name };
  if (md.namespace) metadata.namespace = md.namespace;
  if (md.uid) metadata.uid = md.uid;
  if (md.labels && Object.keys(md.labels).length > 0) metadata.labels = md.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const out: KubeObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status') out[k] = v;
  }
  return out as T;
}

function storeRefs(es: ExternalSecret): Required<SecretStoreRef>[] {
  const refs: SecretStoreRef[] = [];
  if (es.spec.secretStoreRef) refs.push(es.spec.secretStoreRef);
  for (const d of es.spec.data ?? []) if (d.sourceRef?.storeRef) refs.push(d.sourceRef.storeRef);
  for (const d of es.spec.dataFrom ?? []) if (d.sourceRef?.storeRef) refs.push(d.sourceRef.storeRef);
  const seen = new Map<string, Required<SecretStoreRef>>();
  for (const r of refs) {
    const kind = r.kind || 'SecretStore';
    seen.set(storeKey(kind, r.name), { name: r.name, kind });
  }
  return [...seen.values()];
}

function denyObject(annotation: string, what: string, e: unknown): InjectionDenied {
  const msg = e instanceof Error ? e.message : String(e);
  return new InjectionDenied('invalid-object', `${annotation}: ${what} is not valid: ${msg}`, annotation);
}

/** Every `{name, key}` selector under spec.provider: static credentials the kubelet must resolve. */
function credentialRefs(store: SecretStore): { path: string; name: string; key: string; namespace?: string; configMap: boolean }[] {
  const out: { path: string; name: string; key: string; namespace?: string; configMap: boolean }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return;
    if (!isObject(v)) return;
    if (typeof v['name'] === 'string' && typeof v['key'] === 'string' && path !== '') {
      const ns = typeof v['namespace'] === 'string' ? v['namespace'] : undefined;
      out.push({ path, name: v['name'], key: v['key'], ...(ns ? { namespace: ns } : {}), configMap: v['type'] === 'ConfigMap' });
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      // fake provider data entries are {key, value}: values, not references.
      if (path === '' && k === 'fake') continue;
      walk(child, path === '' ? k : `${path}.${k}`);
    }
  };
  walk(store.spec.provider, '');
  return out;
}

function resolveStore(ref: Required<SecretStoreRef>, where: string, annotation: string, inp: ResolveInput): SecretStore {
  const raw = ref.kind === 'ClusterSecretStore' ? inp.lookup.clusterSecretStore(ref.name) : inp.lookup.secretStore(inp.namespace, ref.name);
  if (!raw) {
    const hint =
      ref.kind === 'ClusterSecretStore'
        ? 'create the ClusterSecretStore or fix the name'
        : `create it in namespace ${JSON.stringify(inp.namespace)} (a SecretStore is only visible in its own namespace) or use a ClusterSecretStore`;
    throw new InjectionDenied('store-not-found', `${annotation}: ${where}: could not get ${ref.kind} ${JSON.stringify(ref.name)}: not found; ${hint}`, annotation);
  }
  let store: SecretStore;
  try {
    store = parseSecretStore(raw, ref.kind);
  } catch (e) {
    throw denyObject(annotation, `${ref.kind} ${JSON.stringify(ref.name)}`, e);
  }
  const errs = secretStoreErrors(store);
  if (errs.length > 0) throw denyObject(annotation, `${ref.kind} ${JSON.stringify(ref.name)}`, new Error(errs.join('; ')));
  let allowed: boolean;
  try {
    allowed = storeAllowsNamespace(store, inp.namespace, inp.namespaceLabels);
  } catch (e) {
    throw denyObject(annotation, `${ref.kind} ${JSON.stringify(ref.name)}`, e);
  }
  if (!allowed) {
    throw new InjectionDenied('store-condition-denied', `${annotation}: ${where}: ${conditionDeniedMessage(ref.name, inp.namespace)}`, annotation);
  }
  return store;
}

function inlineExternalSecret(settings: NonNullable<PodSettings['inline']>, namespace: string): ExternalSecret {
  return parseExternalSecret(
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: INLINE_EXTERNAL_SECRET, namespace },
      spec: {
        secretStoreRef: { name: settings.store, kind: settings.storeKind },
        target: { creationPolicy: 'None' },
        data: settings.secrets.map((s) => ({
          secretKey: s.file,
          remoteRef: { key: s.key, ...(s.property !== undefined ? { property: s.property } : {}) },
        })),
      },
    },
    'inline annotations',
  );
}

export function resolve(settings: PodSettings, inp: ResolveInput): Resolved {
  const out: Resolved = { externalSecrets: [], stores: {}, credentialEnv: [], warnings: [] };
  const entries: { es: ExternalSecret; annotation: string; dir: string; sync: boolean }[] = [];

  for (const name of settings.externalSecrets) {
    const raw = inp.lookup.externalSecret(inp.namespace, name);
    if (!raw) {
      throw new InjectionDenied(
        'external-secret-not-found',
        `${A.externalSecrets}: ExternalSecret ${JSON.stringify(name)} not found in namespace ${JSON.stringify(inp.namespace)}; create it there (esi reads ExternalSecrets from the pod's own namespace only) or fix the name`,
        A.externalSecrets,
      );
    }
    let es: ExternalSecret;
    try {
      es = parseExternalSecret(raw, 'ExternalSecret');
    } catch (e) {
      throw denyObject(A.externalSecrets, `ExternalSecret ${JSON.stringify(name)}`, e);
    }
    const esErrors = externalSecretErrors(es);
    if (esErrors.length > 0) throw denyObject(A.externalSecrets, `ExternalSecret ${JSON.stringify(name)}`, new Error(esErrors.join('; ')));
    for (const [i, d] of (es.spec.dataFrom ?? []).entries()) {
      if (d.sourceRef?.generatorRef) {
        throw new InjectionDenied(
          'unsupported',
          `${A.externalSecrets}: ExternalSecret ${JSON.stringify(name)} spec.dataFrom[${i}].sourceRef.generatorRef: generators are not supported by esi; let ESO's controller sync this ExternalSecret instead`,
          A.externalSecrets,
        );
      }
    }
    entries.push({ es, annotation: A.externalSecrets, dir: name, sync: settings.syncSecret });
  }
  if (settings.inline) {
    if (settings.externalSecrets.includes(INLINE_EXTERNAL_SECRET)) {
      throw new InjectionDenied('collision', `${A.externalSecrets}: the name ${JSON.stringify(INLINE_EXTERNAL_SECRET)} is reserved for the inline shorthand; rename the ExternalSecret`, A.externalSecrets);
    }
    for (const s of settings.inline.secrets) {
      if (settings.externalSecrets.includes(s.file)) {
        throw new InjectionDenied(
          'collision',
          `${A.secretPrefix}${s.file}: file ${JSON.stringify(s.file)} would collide with the directory of ExternalSecret ${JSON.stringify(s.file)} under the mount path; rename the file`,
          `${A.secretPrefix}${s.file}`,
        );
      }
    }
    entries.push({ es: inlineExternalSecret(settings.inline, inp.namespace), annotation: A.store, dir: '', sync: false });
  }

  let vaultAudience: string | undefined | null = null;
  for (const { es, annotation, dir, sync } of entries) {
    const where = annotation === A.store ? 'inline secrets' : `ExternalSecret ${JSON.stringify(es.metadata.name)}`;
    const refs = storeRefs(es);
    if (refs.length === 0) {
      throw new InjectionDenied('invalid-object', `${annotation}: ${where}: spec.secretStoreRef: required (no store to read from)`, annotation);
    }
    for (const ref of refs) {
      const key = storeKey(ref.kind, ref.name);
      const store = out.stores[key] ?? resolveStore(ref, where, annotation, inp);
      if (sync && (store.spec.controller ?? '') !== inp.controllerClass) {
        throw new InjectionDenied(
          'store-unmanaged',
          `${A.syncSecret}: "true" is denied for ${where}: its ${ref.kind} ${JSON.stringify(ref.name)} has spec.controller ${JSON.stringify(store.spec.controller ?? '')}, so External Secrets Operator manages it and writes the Secret itself; to hand the store to esi set spec.controller: ${JSON.stringify(inp.controllerClass)} on the store (ESO's controller then skips it), or remove ${A.syncSecret} and use the files`,
          A.syncSecret,
        );
      }
      if (out.stores[key]) continue;
      out.stores[key] = slim(store);

      for (const c of credentialRefs(store)) {
        if (c.namespace !== undefined && c.namespace !== inp.namespace) {
          throw new InjectionDenied(
            'cross-namespace',
            `${annotation}: ${ref.kind} ${JSON.stringify(ref.name)} spec.provider.${c.path} names ${c.configMap ? 'ConfigMap' : 'Secret'} ${JSON.stringify(c.name)} in namespace ${JSON.stringify(c.namespace)}; a pod can only read ${c.configMap ? 'ConfigMaps' : 'Secrets'} of its own namespace ${JSON.stringify(inp.namespace)}: copy it there or use the pod's own identity`,
            annotation,
          );
        }
        const name = credentialEnvName(key, c.path);
        out.credentialEnv.push(
          c.configMap
            ? { name, valueFrom: { configMapKeyRef: { name: c.name, key: c.key } } }
            : { name, valueFrom: { secretKeyRef: { name: c.name, key: c.key } } },
        );
      }
      const vault = providerOf(store) === 'vault' ? store.spec.provider.vault : undefined;
      const k8sAuth = vault?.auth?.kubernetes;
      if (k8sAuth && !k8sAuth.secretRef) {
        const audience = k8sAuth.serviceAccountRef?.audiences?.[0];
        if (vaultAudience !== null && vaultAudience !== audience) {
          throw new InjectionDenied(
            'unsupported',
            `${annotation}: the pod's Vault stores ask for service-account tokens with different audiences (${JSON.stringify(vaultAudience ?? '')} and ${JSON.stringify(audience ?? '')}); esi mounts one Vault token per pod: use one audience`,
            annotation,
          );
        }
        vaultAudience = audience;
        const saRef = k8sAuth.serviceAccountRef?.name;
        if (saRef && saRef !== inp.serviceAccountName) {
          out.warnings.push(`${ref.kind} ${ref.name}: Vault login uses the pod's service account ${JSON.stringify(inp.serviceAccountName)}, not ${JSON.stringify(saRef)}`);
        }
      }
    }
    out.externalSecrets.push({ externalSecret: dir === '' ? es : slim(es), dir, syncSecret: sync });
  }
  if (vaultAudience !== null) out.vaultToken = vaultAudience === undefined ? {} : { audience: vaultAudience };
  return out;
}

