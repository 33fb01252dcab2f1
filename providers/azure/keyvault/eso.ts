/**
 * ESO's Azure Key Vault semantics (ESO v2.9.0 providers/v1/azure/keyvault/keyvault.go, the default legacy
 * client: `useAzureSDK` unset), with the Key Vault REST API injected: no network here. rest.ts speaks the
 * API; tests pass an in-memory one.
 *
 *   `secret/<name>` or `<name>` → the secret's value; `property` through gjson (azurePropertyOf)
 *   `cert/<name>`               → the certificate's `cer` (DER bytes), property ignored
 *   `key/<name>`                → the key as JWK JSON (Go's field order of keyvault.JSONWebKey); property via gjson
 *   metadataPolicy Fetch        → tags plus `attribute.{expires,created,updated,notBefore}` as JSON, or one of them
 *   dataFrom.extract            → the secret's JSON object; cert/ and key/ refused
 *   find (name regexp, tags)    → every enabled secret's latest value, by name
 * A 404 is NoSecretErr; every other failure keeps go-autorest's error text, as ESO prints it.
 */
import { EsiError, NoSecretError } from '../../../core/index.ts';
import {
  awsExtractMap,
  azurePropertyOf,
  compileGoRegexp,
  goMatchString,
  GoJsonError,
  marshal,
  newDataMap,
  unmarshalAny,
  type ExternalSecretFind,
  type GoValue,
  type RemoteRef,
  type SecretDataMap,
  type SecretsClient,
} from '../../../eso/index.ts';

/** Key Vault's attributes object (times are Unix seconds). */
export interface KvAttributes {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  created?: number;
  updated?: number;
}
export type KvTags = Record<string, string | null>;

export interface SecretBundle {
  id?: string;
  value?: string;
  contentType?: string;
  attributes?: KvAttributes;
  tags?: KvTags;
}
export interface CertificateBundle {
  id?: string;
  /** base64 of the DER certificate. */
  cer?: string;
  attributes?: KvAttributes;
  tags?: KvTags;
}
export interface KeyBundle {
  key?: Record<string, unknown>;
  attributes?: KvAttributes;
  tags?: KvTags;
}
export interface SecretItem {
  id?: string;
  attributes?: KvAttributes;
  tags?: KvTags;
}

/** A failed Key Vault call: the HTTP status and the `error` body ({code, message, innererror}). */
export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serviceMessage: string,
    readonly innerError?: unknown,
  ) {
    super(`Status=${status} Code=${JSON.stringify(code)} Message=${JSON.stringify(serviceMessage)}`);
    this.name = 'KeyVaultError';
  }
}

/** The Key Vault calls ESO makes. `version` '' = the latest. Errors: KeyVaultError, or any Error (no response). */
export interface KeyVaultApi {
  getSecret(name: string, version: string): Promise<SecretBundle>;
  getCertificate(name: string, version: string): Promise<CertificateBundle>;
  getKey(name: string, version: string): Promise<KeyBundle>;
  /** One page of GET /secrets; `nextLink` from the previous page. */
  listSecrets(nextLink?: string): Promise<{ value?: SecretItem[]; nextLink?: string | null }>;
}

// ---- pure helpers -------------------------------------------------------------------------------------

/** ESO's getObjType: `<type>/<name>` (later segments ignored), else a secret. */
export function objectType(key: string): { type: string; name: string } {
  const parts = key.split('/');
  return parts.length > 1 ? { type: parts[0]!, name: parts[1]! } : { type: 'secret', name: key };
}

/** go-autorest's DetailedError text for a failed call of keyvault.BaseClient (what ESO's messages carry). */
export function autorestError(method: string, err: unknown): EsiError {
  if (err instanceof EsiError) return err;
  if (err instanceof KeyVaultError) {
    // azure.ServiceError.Error(): Code, Message, then InnerError as Go's json.Marshal of the decoded map.
    let service = `Code=${goQuote(err.code)} Message=${goQuote(err.serviceMessage)}`;
    if (err.innerError !== undefined && err.innerError !== null) service += ` InnerError=${goJson(err.innerError)}`;
    return new EsiError(
      'azure-api',
      `keyvault.BaseClient#${method}: Failure responding to request: StatusCode=${err.status} -- Original Error: autorest/azure: Service returned an error. Status=${err.status} ${service}`,
    );
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new EsiError('azure-api', `keyvault.BaseClient#${method}: Failure sending request: StatusCode=0 -- Original Error: ${msg}`);
}

/** Go's %q of a string: JSON quoting without HTML escaping is close enough for service messages (ASCII). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function goJson(v: unknown): string {
  try {
    return marshal(unmarshalAny(JSON.stringify(v)));
  } catch {
    return JSON.stringify(v);
  }
}

/** ESO's parseError: a 404 is NoSecretErr. */
function isNotFound(err: unknown): boolean {
  return err instanceof KeyVaultError && err.status === 404;
}

/** RFC 3339 in UTC, seconds precision, as Go's time.Format(time.RFC3339) prints it. */
function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ATTRIBUTES: readonly (readonly [string, keyof KvAttributes])[] = [
  ['attribute.expires', 'exp'],
  ['attribute.created', 'created'],
  ['attribute.updated', 'updated'],
  ['attribute.notBefore', 'nbf'],
];

/** ESO's getSecretAllMetadata: the tags plus the attribute times (null tag values kept as null). */
export function allMetadata(bundle: { tags?: KvTags; attributes?: KvAttributes }): Map<string, string | null> {
  const m = new Map<string, string | null>(Object.entries(bundle.tags ?? {}));
  for (const [k, a] of ATTRIBUTES) {
    const v = bundle.attributes?.[a];
    if (typeof v === 'number') m.set(k, rfc3339(v));
  }
  return m;
}

/** ESO's getProperty: the whole value, or gjson's property (then the literal dotted key). */
export function propertyOf(value: string, property: string | undefined, key: string): Uint8Array {
  if (!property) return Buffer.from(value, 'utf8');
  const v = azurePropertyOf(value, property);
  if (v === undefined) throw new EsiError('property-not-found', `property ${property} does not exist in key ${key}`);
  return v;
}

/** ESO's getSecretTag: every tag as JSON, one tag, or a gjson property of a tag (`<tag>.<path>`). */
export function tagValue(tags: Map<string, string | null>, property: string | undefined): Uint8Array {
  if (!property) {
    const m = new Map<string, GoValue>();
    for (const [k, v] of tags) if (v !== null) m.set(k, v);
    return Buffer.from(marshal(m), 'utf8');
  }
  if (tags.has(property)) return Buffer.from(tags.get(property) ?? '', 'utf8');
  const idx = property.indexOf('.');
  if (idx > 0) {
    const tagName = property.slice(0, idx);
    if (tags.has(tagName)) {
      const v = tags.get(tagName);
      if (v === null || v === undefined) return new Uint8Array();
      return propertyOf(v, property.replace(`${tagName}.`, ''), property);
    }
  }
  throw new EsiError('tag-not-found', `tag ${property} does not exist`);
}

/**
 * The key as ESO prints it: json.Marshal of keyvault.JSONWebKey (v7.0), fields in the struct's order,
 * empty ones omitted, fields the struct does not know dropped.
 */
const JWK_FIELDS = ['kid', 'kty', 'key_ops', 'n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q', 'k', 'key_hsm', 'crv', 'x', 'y'] as const;
export function jwkJson(key: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const f of JWK_FIELDS) {
    const v = key?.[f];
    if (v === undefined || v === null || v === '') continue;
    if (f === 'key_ops') {
      if (!Array.isArray(v)) continue;
      parts.push(`"key_ops":${marshal(v.map((x) => String(x)))}`);
    } else if (typeof v === 'string') {
      parts.push(`${JSON.stringify(f)}:${marshal(v)}`);
    }
  }
  return `{${parts.join(',')}}`;
}

/** ESO's getSecretTags (the extract of metadataPolicy Fetch): `<name>_<tag>`, JSON-object tags spread, attribute times. */
export function secretTagsMap(name: string, bundle: SecretBundle): Map<string, string> {
  const out = new Map<string, string>();
  for (const [tag, val] of Object.entries(bundle.tags ?? {})) {
    if (val === null) continue;
    const key = `${name}_${tag}`;
    const obj = stringMap(val);
    if (!obj) out.set(key, val);
    else for (const [k, v] of obj) out.set(`${key}_${k}`, v);
  }
  for (const [k, a] of ATTRIBUTES) {
    const v = bundle.attributes?.[a];
    if (typeof v === 'number') out.set(`${name}_${k}`, rfc3339(v));
  }
  return out;
}

/** json.Unmarshal into map[string]string: undefined when that fails (not an object of strings). */
function stringMap(text: string): Map<string, string> | undefined {
  try {
    const v = unmarshalAny(text);
    if (!(v instanceof Map)) return v === null ? new Map() : undefined;
    const out = new Map<string, string>();
    for (const [k, x] of v) {
      if (typeof x === 'string') out.set(k, x);
      else if (x === null) out.set(k, '');
      else return undefined;
    }
    return out;
  } catch {
    return undefined;
  }
}

// ---- the client ------------------------------------------------------------------------------------------

export interface KeyVaultClientOptions {
  onCall?: (op: string, outcome: 'ok' | 'error', seconds: number) => void;
  /** Monotonic seconds for onCall durations. */
  now?: () => number;
}

export class KeyVaultClient implements SecretsClient {
  readonly #api: KeyVaultApi;
  readonly #opts: KeyVaultClientOptions;
  /** `<type> <name> <version>` → the bundle (successes only; failures are re-read, as ESO does). */
  readonly #cache = new Map<string, Promise<unknown>>();

  constructor(api: KeyVaultApi, opts: KeyVaultClientOptions = {}) {
    this.#api = api;
    this.#opts = opts;
  }

  async #call<T>(op: string, f: () => Promise<T>): Promise<T> {
    const now = this.#opts.now ?? (() => 0);
    const t0 = now();
    try {
      const r = await f();
      this.#opts.onCall?.(op, 'ok', now() - t0);
      return r;
    } catch (e) {
      this.#opts.onCall?.(op, 'error', now() - t0);
      throw e;
    }
  }

  /** One bundle per sync; a 404 becomes NoSecretErr, other failures go-autorest's text. */
  #get<T>(op: 'GetSecret' | 'GetCertificate' | 'GetKey', name: string, version: string, load: () => Promise<T>): Promise<T> {
    const k = `${op} ${name} ${version}`;
    const hit = this.#cache.get(k);
    if (hit) return hit as Promise<T>;
    const p = this.#call(op, load).catch((e: unknown) => {
      if (isNotFound(e)) throw new NoSecretError();
      throw autorestError(op, e);
    });
    this.#cache.set(k, p);
    p.catch(() => this.#cache.delete(k));
    return p;
  }

  #secret(name: string, version = ''): Promise<SecretBundle> {
    return this.#get('GetSecret', name, version, () => this.#api.getSecret(name, version));
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const { type, name } = objectType(ref.key);
    const version = ref.version ?? '';
    const fetchTags = ref.metadataPolicy === 'Fetch';
    switch (type) {
      case 'secret': {
        const s = await this.#secret(name, version);
        if (fetchTags) return tagValue(allMetadata(s), ref.property);
        return propertyOf(s.value ?? '', ref.property, ref.key);
      }
      case 'cert': {
        const c = await this.#get('GetCertificate', name, version, () => this.#api.getCertificate(name, version));
        if (fetchTags) return tagValue(allMetadata(c), ref.property);
        return new Uint8Array(Buffer.from(c.cer ?? '', 'base64'));
      }
      case 'key': {
        const k = await this.#get('GetKey', name, version, () => this.#api.getKey(name, version));
        if (fetchTags) return tagValue(allMetadata(k), ref.property);
        return propertyOf(jwkJson(k.key), ref.property, ref.key);
      }
      default:
        throw new EsiError('azure-object-type', `unknown Azure Keyvault object Type for ${name}`);
    }
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    const { type, name } = objectType(ref.key);
    switch (type) {
      case 'secret': {
        const data = await this.getSecret(ref);
        if (ref.metadataPolicy === 'Fetch') {
          // ESO ignores a failure of this second read (tags, _ := a.getSecretTags(...)).
          const tags = await this.#secret(name, ref.version ?? '').then((s) => secretTagsMap(name, s), () => new Map<string, string>());
          return metadataMap(tags, ref.key, ref.property);
        }
        try {
          return awsExtractMap(data);
        } catch (e) {
          if (e instanceof GoJsonError) throw new EsiError('unmarshal', `error unmarshalling json data: ${e.message}`);
          throw e;
        }
      }
      case 'cert':
        throw new EsiError('azure-object-type', 'cannot get use dataFrom to get certificate secret');
      case 'key':
        throw new EsiError('azure-object-type', 'cannot get use dataFrom to get key secret');
      default:
        throw new EsiError('azure-object-type', `unknown Azure Keyvault object Type for ${name}`);
    }
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    const tags = Object.entries(find.tags ?? {});
    const nameRe = find.name?.regexp ? compiledOrNone(find.name.regexp) : undefined;
    const out = newDataMap();
    let next: string | undefined;
    let first = true;
    do {
      const op = first ? 'GetSecrets' : 'getSecretsNextResults';
      const page = await this.#call('GetSecrets', () => this.#api.listSecrets(next)).catch((e: unknown) => {
        throw isNotFound(e) ? new NoSecretError() : autorestError(op, e);
      });
      first = false;
      for (const item of page.value ?? []) {
        // ESO's isValidSecret: an id, enabled, every tag equal, the name (path.Base of the id) matching.
        if (!item.id || item.attributes?.enabled !== true) continue;
        if (!tags.every(([k, v]) => item.tags?.[k] === v)) continue;
        const name = item.id.slice(item.id.lastIndexOf('/') + 1);
        if (nameRe && !nameRe(name)) continue;
        const s = await this.#secret(name);
        out[name] = Buffer.from(s.value ?? '', 'utf8');
      }
      next = page.nextLink ?? undefined;
    } while (next);
    return out;
  }

  /** Reads every ref of the sync once, concurrently (each GET is one call; Key Vault has no batch read). */
  async prefetch(refs: RemoteRef[]): Promise<void> {
    await Promise.all(
      refs.map(async (ref) => {
        const { type, name } = objectType(ref.key);
        if (type !== 'secret') return;
        await this.#secret(name, ref.version ?? '').catch(() => undefined);
      }),
    );
  }
}

/** ESO's okByName ignores a regexp that does not compile (regexp.MatchString's error): nothing matches. */
function compiledOrNone(source: string): (name: string) => boolean {
  try {
    const re = compileGoRegexp(source);
    return (name) => goMatchString(re, name);
  } catch {
    return () => false;
  }
}

/** ESO's getSecretMapProperties: one `<key>_<property>` entry, or every tag. */
function metadataMap(tags: Map<string, string>, key: string, property: string | undefined): SecretDataMap {
  const out = newDataMap();
  if (property) {
    const name = `${key}_${property}`;
    let v: Uint8Array;
    try {
      v = tagValue(new Map(tags), name);
    } catch {
      v = new Uint8Array();
    }
    out[name] = v;
    return out;
  }
  for (const [k, v] of tags) out[k] = Buffer.from(v, 'utf8');
  return out;
}
