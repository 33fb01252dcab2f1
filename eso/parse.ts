/**
 * The boundary where untrusted YAML/JSON becomes ESO types. Errors name the field path
 * (`spec.data[2].remoteRef.key: required`). CRD defaults (ESO's apis/externalsecrets kubebuilder markers) are applied here, so a file
 * rendered offline behaves as it would after the API server defaulted it.
 */
import { isObject, ValidationError, type KubeObject } from '../core/index.ts';
import { parseGoDuration } from './duration.ts';
import {
  ESO_GROUP,
  ESO_VERSIONS,
  type ExternalSecret,
  type ExternalSecretData,
  type ExternalSecretDataFrom,
  type RemoteRef,
  type SecretStore,
  type StoreKind,
} from './types.ts';

function fail(where: string, path: string, msg: string): never {
  throw new ValidationError(`${where}: ${path}: ${msg}`, path);
}

function checkApiVersion(obj: KubeObject, where: string): void {
  const [group, version] = obj.apiVersion.split('/');
  if (group !== ESO_GROUP || !ESO_VERSIONS.includes(version as (typeof ESO_VERSIONS)[number])) {
    fail(where, 'apiVersion', `expected ${ESO_GROUP}/v1 or ${ESO_GROUP}/v1beta1, got ${JSON.stringify(obj.apiVersion)}`);
  }
}

function objectName(obj: KubeObject, where: string): string {
  const name = obj.metadata.name;
  if (typeof name !== 'string' || name === '') fail(where, 'metadata.name', 'required');
  return name;
}

function optString(v: unknown, where: string, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(where, path, 'expected a string');
  return v;
}

function reqString(v: unknown, where: string, path: string): string {
  const s = optString(v, where, path);
  if (s === undefined || s === '') fail(where, path, 'required');
  return s;
}

function optEnum<T extends string>(v: unknown, allowed: readonly T[], where: string, path: string): T | undefined {
  const s = optString(v, where, path);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) {
    fail(where, path, `unsupported value ${JSON.stringify(s)}: supported values: ${allowed.filter(Boolean).map((a) => `"${a}"`).join(', ')}`);
  }
  return s as T;
}

function optArray(v: unknown, where: string, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(where, path, 'expected a list');
  return v;
}

function optObject(v: unknown, where: string, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(where, path, 'expected a mapping');
  return v;
}

const SECRET_KEY_RE = /^[-._a-zA-Z0-9]+$/;

function parseRemoteRef(v: unknown, where: string, path: string): RemoteRef {
  const o = optObject(v, where, path);
  if (!o) fail(where, path, 'required');
  const ref: RemoteRef = { ...o, key: reqString(o['key'], where, `${path}.key`) } as RemoteRef;
  optString(o['property'], where, `${path}.property`);
  optString(o['version'], where, `${path}.version`);
  optEnum(o['metadataPolicy'], ['None', 'Fetch', ''], where, `${path}.metadataPolicy`);
  optEnum(o['conversionStrategy'], ['Default', 'Unicode', ''], where, `${path}.conversionStrategy`);
  optEnum(o['decodingStrategy'], ['None', 'Base64', 'Base64URL', 'Auto', ''], where, `${path}.decodingStrategy`);
  optEnum(o['nullBytePolicy'], ['Ignore', 'Fail', ''], where, `${path}.nullBytePolicy`);
  return ref;
}

function parseStoreRef(v: unknown, where: string, path: string): { name: string; kind?: StoreKind | '' } | undefined {
  const o = optObject(v, where, path);
  if (!o) return undefined;
  const kind = optEnum(o['kind'], ['SecretStore', 'ClusterSecretStore', ''], where, `${path}.kind`);
  return { name: reqString(o['name'], where, `${path}.name`), ...(kind !== undefined ? { kind } : {}) };
}

/** Parses and defaults an ExternalSecret (v1 or v1beta1). Returns a deep copy; the input is not changed. */
export function parseExternalSecret(input: KubeObject, source = '<input>'): ExternalSecret {
  const obj = structuredClone(input);
  const where = `${source}: ExternalSecret ${obj.metadata?.name ?? '<unnamed>'}`;
  if (obj.kind !== 'ExternalSecret') fail(where, 'kind', `expected ExternalSecret, got ${JSON.stringify(obj.kind)}`);
  checkApiVersion(obj, where);
  objectName(obj, where);
  const spec = optObject(obj['spec'], where, 'spec') ?? {};
  spec['secretStoreRef'] = parseStoreRef(spec['secretStoreRef'], where, 'spec.secretStoreRef');
  if (spec['secretStoreRef'] === undefined) delete spec['secretStoreRef'];
  if (spec['refreshInterval'] === undefined) spec['refreshInterval'] = '1h0m0s';
  const interval = optString(spec['refreshInterval'], where, 'spec.refreshInterval');
  if (interval !== undefined) {
    try {
      parseGoDuration(interval);
    } catch (e) {
      fail(where, 'spec.refreshInterval', (e as Error).message);
    }
  }
  // v1beta1's CRD injects the strategy defaults (ESO's apis/externalsecrets/v1beta1 kubebuilder markers), which show up in ESO's error texts.
  const beta = obj.apiVersion.endsWith('/v1beta1');
  const betaRef = (r: unknown, find = false): void => {
    if (!beta || !isObject(r)) return;
    r['conversionStrategy'] ??= 'Default';
    r['decodingStrategy'] ??= 'None';
    if (!find) r['metadataPolicy'] ??= 'None';
  };
  optEnum(spec['refreshPolicy'], ['CreatedOnce', 'Periodic', 'OnChange'], where, 'spec.refreshPolicy');

  const target = optObject(spec['target'], where, 'spec.target') ?? {};
  target['creationPolicy'] =
    optEnum(target['creationPolicy'], beta ? ['Owner', 'Orphan', 'Merge', 'None'] : ['Owner', 'Orphan', 'Merge', 'None', 'CreateOrMerge'], where, 'spec.target.creationPolicy') ?? 'Owner';
  target['deletionPolicy'] =
    optEnum(target['deletionPolicy'], ['Retain', 'Delete', 'Merge'], where, 'spec.target.deletionPolicy') ?? 'Retain';
  optString(target['name'], where, 'spec.target.name');
  const template = optObject(target['template'], where, 'spec.target.template');
  if (template) {
    template['engineVersion'] ??= 'v2';
    template['mergePolicy'] ??= 'Replace';
    optEnum(template['mergePolicy'], ['Replace', 'Merge'], where, 'spec.target.template.mergePolicy');
    const tfs = optArray(template['templateFrom'], where, 'spec.target.template.templateFrom') ?? [];
    tfs.forEach((tf, i) => {
      const t = optObject(tf, where, `spec.target.template.templateFrom[${i}]`) ?? {};
      t['target'] ??= 'Data';
      if (beta) optEnum(t['target'], ['Data', 'Annotations', 'Labels'], where, `spec.target.template.templateFrom[${i}].target`);
      for (const src of ['configMap', 'secret'] as const) {
        const s = optObject(t[src], where, `spec.target.template.templateFrom[${i}].${src}`);
        const items = optArray(s?.['items'], where, `spec.target.template.templateFrom[${i}].${src}.items`) ?? [];
        for (const item of items) if (isObject(item)) item['templateAs'] ??= 'Values';
      }
    });
  }
  spec['target'] = target;

  const data = optArray(spec['data'], where, 'spec.data') ?? [];
  spec['data'] = data.map((d, i): ExternalSecretData => {
    const path = `spec.data[${i}]`;
    const o = optObject(d, where, path) ?? fail(where, path, 'expected a mapping');
    const secretKey = reqString(o['secretKey'], where, `${path}.secretKey`);
    if (!SECRET_KEY_RE.test(secretKey) || secretKey.length > 253) {
      fail(where, `${path}.secretKey`, `invalid key ${JSON.stringify(secretKey)}: must match ^[-._a-zA-Z0-9]+$ and be at most 253 characters`);
    }
    const sourceRef = optObject(o['sourceRef'], where, `${path}.sourceRef`);
    if (sourceRef) sourceRef['storeRef'] = parseStoreRef(sourceRef['storeRef'], where, `${path}.sourceRef.storeRef`);
    betaRef(o['remoteRef']);
    return { ...o, secretKey, remoteRef: parseRemoteRef(o['remoteRef'], where, `${path}.remoteRef`) } as ExternalSecretData;
  });
  const dataFrom = optArray(spec['dataFrom'], where, 'spec.dataFrom') ?? [];
  spec['dataFrom'] = dataFrom.map((d, i): ExternalSecretDataFrom => {
    const path = `spec.dataFrom[${i}]`;
    const o = optObject(d, where, path) ?? fail(where, path, 'expected a mapping');
    betaRef(o['extract']);
    betaRef(o['find'], true);
    if (o['extract'] !== undefined) o['extract'] = parseRemoteRef(o['extract'], where, `${path}.extract`);
    const find = optObject(o['find'], where, `${path}.find`);
    if (find) {
      const name = optObject(find['name'], where, `${path}.find.name`);
      if (name) reqString(name['regexp'], where, `${path}.find.name.regexp`);
      optObject(find['tags'], where, `${path}.find.tags`);
    }
    const sourceRef = optObject(o['sourceRef'], where, `${path}.sourceRef`);
    if (sourceRef) sourceRef['storeRef'] = parseStoreRef(sourceRef['storeRef'], where, `${path}.sourceRef.storeRef`);
    for (const [j, rw] of (optArray(o['rewrite'], where, `${path}.rewrite`) ?? []).entries()) {
      const r = optObject(rw, where, `${path}.rewrite[${j}]`) ?? {};
      const merge = optObject(r['merge'], where, `${path}.rewrite[${j}].merge`);
      if (merge) {
        merge['into'] ??= '';
        merge['priorityPolicy'] ??= 'Strict';
        merge['conflictPolicy'] ??= 'Error';
        merge['strategy'] ??= 'Extract';
      }
    }
    return o as ExternalSecretDataFrom;
  });
  obj['spec'] = spec;
  return obj as ExternalSecret;
}

/** Field checks for one provider block, with paths relative to `spec.provider.<name>`; they throw ValidationError. */
export interface ProviderFields {
  reqString(v: unknown, path: string): string;
  optString(v: unknown, path: string): string | undefined;
  optEnum<T extends string>(v: unknown, allowed: readonly T[], path: string): T | undefined;
  optObject(v: unknown, path: string): Record<string, unknown> | undefined;
  optArray(v: unknown, path: string): unknown[] | undefined;
  fail(path: string, msg: string): never;
}

/**
 * What the store parser needs from a provider: its key under `spec.provider`, and its CRD shape checks and
 * defaults. The provider table (providers/) supplies one per provider esi supports.
 */
export interface StoreProviderSpec {
  name: string;
  /** Checks the block and applies the CRD defaults in place, so an offline file behaves as the apiserver's copy. */
  parseBlock(block: Record<string, unknown>, fields: ProviderFields): void;
}

/** Parses and defaults a SecretStore or ClusterSecretStore (v1 or v1beta1) whose provider is one of `providers`. */
export function parseSecretStoreWith(input: KubeObject, source: string, providers: readonly StoreProviderSpec[]): SecretStore {
  const obj = structuredClone(input);
  const where = `${source}: ${obj.kind} ${obj.metadata?.name ?? '<unnamed>'}`;
  if (obj.kind !== 'SecretStore' && obj.kind !== 'ClusterSecretStore') {
    fail(where, 'kind', `expected SecretStore or ClusterSecretStore, got ${JSON.stringify(obj.kind)}`);
  }
  checkApiVersion(obj, where);
  objectName(obj, where);
  const spec = optObject(obj['spec'], where, 'spec') ?? fail(where, 'spec', 'required');
  optString(spec['controller'], where, 'spec.controller');
  const provider = optObject(spec['provider'], where, 'spec.provider') ?? fail(where, 'spec.provider', 'required');
  for (const p of providers) {
    const at = `spec.provider.${p.name}`;
    const block = optObject(provider[p.name], where, at);
    if (!block) continue;
    const rel = (path: string) => (path ? `${at}.${path}` : at);
    p.parseBlock(block, {
      reqString: (v, path) => reqString(v, where, rel(path)),
      optString: (v, path) => optString(v, where, rel(path)),
      optEnum: (v, allowed, path) => optEnum(v, allowed, where, rel(path)),
      optObject: (v, path) => optObject(v, where, rel(path)),
      optArray: (v, path) => optArray(v, where, rel(path)),
      fail: (path, msg) => fail(where, rel(path), msg),
    });
  }
  const known = providers.map((p) => p.name).filter((p) => provider[p] !== undefined);
  if (known.length === 0) {
    const names = Object.keys(provider);
    const supported = providers.map((p) => p.name);
    const list = supported.length > 1 ? `${supported.slice(0, -1).join(', ')} and ${supported.at(-1)}` : supported.join('');
    fail(where, 'spec.provider', `esi supports the ${list} providers; got ${names.length ? names.join(', ') : 'none'}`);
  }
  if (known.length > 1) fail(where, 'spec.provider', `exactly one provider may be set; got ${known.join(', ')}`);
  optArray(spec['conditions'], where, 'spec.conditions');
  obj['spec'] = spec;
  return obj as SecretStore;
}
