/**
 * Resolve: the pod's ExternalSecrets and the stores they use, looked up in the pod's namespace only
 * (ClusterSecretStores cluster-wide), validated as ESO would, and turned into what the agent needs:
 * value-free config, static-credential env refs, and the service-account tokens providers log in with.
 */
import { isObject, type EnvVar, type KubeObject } from '../core/index.ts';
import { fileNameProblem, SERVICE_ACCOUNT_TOKEN, shownValue, storeKey, type AgentExternalSecret } from '../contract/index.ts';
import { parseSecretStore, providerFor, secretStoreErrors, storeEnvName, type Provider } from '../providers/index.ts';
import {
  conditionDeniedMessage,
  externalSecretErrors,
  externalSecretStoreRefs,
  parseExternalSecret,
  RegexpBudgetExceeded,
  storeAllowsNamespace,
  type ExternalSecret,
  type SecretStore,
  type SecretStoreRef,
} from '../eso/index.ts';
import { certificatesOnly } from './ca.ts';
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
  caLookup?: CaLookup;
  /** Without it (the pod-config controller) no service account is read and no annotation env is given. */
  serviceAccountLookup?: ServiceAccountLookup;
}

export interface Resolved {
  externalSecrets: AgentExternalSecret[];
  stores: Record<string, SecretStore>;
  /** `secretKeyRef`/`configMapKeyRef` env for static credentials named by the stores. */
  credentialEnv: EnvVar[];
  /** Plain env from the annotations of service accounts the stores name (Provider.serviceAccountAnnotations). */
  annotationEnv: EnvVar[];
  /** Projected service-account tokens to mount for the agent, by provider name (Provider.serviceAccountToken). */
  serviceAccountTokens: Record<string, ProjectedToken>;
  warnings: string[];
}

/** One provider's projected token, as the pod's stores of that provider need it. */
export interface ProjectedToken {
  audience?: string;
  expirationSeconds: number;
  /** File name in the projected volume. */
  path: string;
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

// Parsing and ESO's admission checks are pure functions of the object: remember them per cached object
// (the webhook's cache hands out the same object until it changes). Only successes are kept.
const parsedExternalSecrets = new WeakMap<KubeObject, ExternalSecret>();
const parsedStores = new WeakMap<KubeObject, SecretStore>();

function parseExternalSecretOnce(raw: KubeObject): ExternalSecret {
  let es = parsedExternalSecrets.get(raw);
  if (!es) {
    es = parseExternalSecret(raw, 'ExternalSecret');
    const errs = externalSecretErrors(es);
    if (errs.length > 0) throw new Error(errs.join('; '));
    parsedExternalSecrets.set(raw, es);
  }
  return es;
}

function parseStoreOnce(raw: KubeObject, kind: string): SecretStore {
  let store = parsedStores.get(raw);
  if (!store) {
    store = parseSecretStore(raw, kind);
    const errs = secretStoreErrors(store);
    if (errs.length > 0) throw new Error(errs.join('; '));
    parsedStores.set(raw, store);
  }
  return store;
}

function denyObject(annotation: string, what: string, e: unknown): InjectionDenied {
  if (e instanceof RegexpBudgetExceeded) return new InjectionDenied('regexp-budget', `${annotation}: ${what}: ${e.message}`, annotation);
  const msg = e instanceof Error ? e.message : String(e);
  return new InjectionDenied('invalid-object', `${annotation}: ${what} is not valid: ${msg}`, annotation);
}

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

/** Static credentials the kubelet must resolve for the agent: `secretKeyRef`s in the pod's namespace. */
function credentialRefs(store: SecretStore, provider: Provider): { path: string; what: string; name: string; key: string; namespace?: string }[] {
  const out: { path: string; what: string; name: string; key: string; namespace?: string }[] = [];
  for (const c of provider.credentials ?? []) {
    const sel = at(store.spec.provider[provider.name], c.path);
    if (!isObject(sel) || typeof sel['name'] !== 'string') continue;
    const key = typeof sel['key'] === 'string' && sel['key'] !== '' ? sel['key'] : c.defaultKey;
    if (key === undefined) continue;
    const ns = typeof sel['namespace'] === 'string' && sel['namespace'] !== '' ? sel['namespace'] : undefined;
    out.push({ path: `${provider.name}.${c.path}`, what: c.what, name: sel['name'], key, ...(ns ? { namespace: ns } : {}) });
  }
  return out;
}

/** A CA a Vault store names by caProvider; the webhook fetches it (a CA is not a secret) and retries. */
export interface CaRef {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  key: string;
}
export type CaLookup = (ref: CaRef) => string | undefined;

export class CaNotFound extends InjectionDenied {
  constructor(readonly ref: CaRef, annotation: string, where: string, provider = 'vault') {
    super(
      'ca-not-found',
      `${annotation}: ${where}: spec.provider.${provider}.caProvider: ${ref.kind} ${JSON.stringify(ref.name)} key ${JSON.stringify(ref.key)} in namespace ${JSON.stringify(ref.namespace)} not found; create it or fix caProvider`,
      annotation,
    );
  }
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
    store = parseStoreOnce(raw, ref.kind);
  } catch (e) {
    throw denyObject(annotation, `${ref.kind} ${JSON.stringify(ref.name)}`, e);
  }
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

function withInlineCa(store: SecretStore, provider: Provider, ref: Required<SecretStoreRef>, where: string, annotation: string, inp: ResolveInput): SecretStore {
  const ca = provider.caReference?.(store);
  if (!ca || !provider.inlineCa) return store;
  const namespace = ca.namespace || inp.namespace;
  if (namespace !== inp.namespace && store.kind === 'SecretStore') {
    throw new InjectionDenied('cross-namespace', `${annotation}: SecretStore ${JSON.stringify(ref.name)} spec.provider.${provider.name}.caProvider.namespace must be empty or the store's namespace`, annotation);
  }
  const caRef: CaRef = { kind: ca.kind, namespace, name: ca.name, key: ca.key };
  const pem = inp.caLookup?.(caRef);
  if (pem === undefined) throw new CaNotFound(caRef, annotation, where, provider.name);
  const certs = certificatesOnly(pem);
  if ('problem' in certs) {
    throw new InjectionDenied(
      'invalid-object',
      `${annotation}: ${where}: ${ref.kind} ${JSON.stringify(ref.name)} spec.provider.${provider.name}.caProvider: ${caRef.kind} ${JSON.stringify(caRef.name)} key ${JSON.stringify(caRef.key)} is not a CA certificate (${certs.problem}); esi copies only certificates into the pod's annotations: point caProvider at a key holding PEM certificates`,
      annotation,
    );
  }
  return provider.inlineCa(store, certs.pem);
}

/**
 * A ServiceAccount's annotations: `{}` when it has none, null when there is no such account, undefined
 * when the caller has not read it yet (the webhook then throws ServiceAccountNotLoaded, reads it, retries).
 */
export type ServiceAccountLookup = (namespace: string, name: string) => Record<string, string> | null | undefined;

export class ServiceAccountNotLoaded extends Error {
  constructor(readonly namespace: string, readonly account: string) {
    super(`ServiceAccount ${JSON.stringify(account)} in namespace ${JSON.stringify(namespace)} has not been read`);
  }
}

/** The annotation env a store's provider reads from the service account the store names. */
function annotationEnv(store: SecretStore, provider: Provider, ref: Required<SecretStoreRef>, inp: ResolveInput, warnings: string[]): EnvVar[] {
  const decl = provider.serviceAccountAnnotations;
  const account = decl?.account(store);
  if (!decl || !account || !inp.serviceAccountLookup) return [];
  // ESO: a SecretStore's account is in its namespace; a ClusterSecretStore's in serviceAccountRef.namespace,
  // else the ExternalSecret's (the pod's).
  const namespace = account.namespace || inp.namespace;
  const annotations = inp.serviceAccountLookup(namespace, account.name);
  if (annotations === undefined) throw new ServiceAccountNotLoaded(namespace, account.name);
  if (annotations === null) {
    warnings.push(`${ref.kind} ${ref.name}: spec.provider.${provider.name}.serviceAccountRef: ServiceAccount ${JSON.stringify(account.name)} not found in namespace ${JSON.stringify(namespace)}; its annotations (${decl.env.map((e) => e.annotation).join(', ')}) are not given to the agent`);
    return [];
  }
  return decl.env.flatMap((e) => (e.annotation in annotations ? [{ name: storeEnvName(e.what, ref.kind, ref.name), value: annotations[e.annotation]! }] : []));
}

export function resolve(settings: PodSettings, inp: ResolveInput): Resolved {
  const out: Resolved = { externalSecrets: [], stores: {}, credentialEnv: [], annotationEnv: [], serviceAccountTokens: {}, warnings: [] };
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
      es = parseExternalSecretOnce(raw);
    } catch (e) {
      throw denyObject(A.externalSecrets, `ExternalSecret ${JSON.stringify(name)}`, e);
    }
    for (const [i, d] of (es.spec.dataFrom ?? []).entries()) {
      if (d.sourceRef?.generatorRef) {
        throw new InjectionDenied(
          'unsupported',
          `${A.externalSecrets}: ExternalSecret ${JSON.stringify(name)} spec.dataFrom[${i}].sourceRef.generatorRef: generators are not supported by esi; let ESO's controller sync this ExternalSecret instead`,
          A.externalSecrets,
        );
      }
    }
    // Without a template, each data[].secretKey is a file name in the mount: refuse here what the agent cannot write.
    if (!es.spec.target?.template) {
      for (const [i, d] of (es.spec.data ?? []).entries()) {
        const problem = fileNameProblem(d.secretKey);
        if (problem) {
          throw new InjectionDenied(
            'invalid-object',
            `${A.externalSecrets}: ExternalSecret ${JSON.stringify(name)} spec.data[${i}].secretKey: ${shownValue(d.secretKey)} is not valid: ${problem}; choose another secretKey`,
            A.externalSecrets,
          );
        }
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

  for (const { es, annotation, dir, sync } of entries) {
    const where = annotation === A.store ? 'inline secrets' : `ExternalSecret ${JSON.stringify(es.metadata.name)}`;
    const refs = externalSecretStoreRefs(es);
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
      const provider = providerFor(store);
      out.stores[key] = slim(withInlineCa(store, provider, ref, where, annotation, inp));

      for (const c of credentialRefs(store, provider)) {
        if (c.namespace !== undefined && c.namespace !== inp.namespace) {
          throw new InjectionDenied(
            'cross-namespace',
            `${annotation}: ${ref.kind} ${JSON.stringify(ref.name)} spec.provider.${c.path} names Secret ${JSON.stringify(c.name)} in namespace ${JSON.stringify(c.namespace)}; a pod can only read Secrets of its own namespace ${JSON.stringify(inp.namespace)}: copy it there or use the pod's own identity`,
            annotation,
          );
        }
        const name = storeEnvName(c.what, ref.kind, ref.name);
        if (!out.credentialEnv.some((e) => e.name === name)) out.credentialEnv.push({ name, valueFrom: { secretKeyRef: { name: c.name, key: c.key } } });
      }
      out.annotationEnv.push(...annotationEnv(store, provider, ref, inp, out.warnings));
      const need = provider.serviceAccountToken?.(store);
      if (need) {
        const token: ProjectedToken = {
          ...(need.audience ? { audience: need.audience } : {}),
          expirationSeconds: need.expirationSeconds ?? SERVICE_ACCOUNT_TOKEN.expirationSeconds,
          path: need.path ?? SERVICE_ACCOUNT_TOKEN.file,
        };
        const first = out.serviceAccountTokens[provider.name];
        if (first && first.audience !== token.audience) {
          throw new InjectionDenied(
            'unsupported',
            `${annotation}: the pod's ${provider.name} stores ask for service-account tokens with different audiences (${JSON.stringify(first.audience ?? '')} and ${JSON.stringify(token.audience ?? '')}); esi mounts one ${provider.name} token per pod: use one audience`,
            annotation,
          );
        }
        out.serviceAccountTokens[provider.name] ??= token;
        if (need.serviceAccount && need.serviceAccount !== inp.serviceAccountName) {
          out.warnings.push(`${ref.kind} ${ref.name}: ${provider.name} login uses the pod's service account ${JSON.stringify(inp.serviceAccountName)}, not ${JSON.stringify(need.serviceAccount)}`);
        }
      }
    }
    out.externalSecrets.push({ externalSecret: dir === '' ? es : slim(es), dir, syncSecret: sync });
  }
  return out;
}

