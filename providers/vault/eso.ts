/**
 * ESO's Vault / OpenBao KV provider semantics (ESO providers/v1/vault/client_get.go, client_get_all_secrets.go),
 * with HTTP injected: this file
 * builds API paths, interprets Vault's responses the way `hashicorp/vault/api` does (UseNumber decoding,
 * 404 handling, ResponseError text) and applies ESO's GetSecret / GetSecretMap / GetAllSecrets rules.
 * `providers/` supplies the transport (auth, TLS, namespaces, timeouts). No network here.
 *
 * One `VaultKvClient` lives for one sync and reads each API path (with its query) at most once.
 */
import { EsiError, NoSecretError } from '../../core/index.ts';
import { goQuote } from '../../core/go/strconv.ts';
import {
  compareGoStrings,
  compileFindRegexp,
  GoJsonError,
  GoNumber,
  unmarshalAny,
  vaultExtractMap,
  vaultValueOf,
  type ExternalSecretFind,
  type GoValue,
  type RemoteRef,
  type SecretDataMap,
  type SecretsClient,
} from '../../eso/index.ts';

/** A decoded JSON object (`map[string]interface{}`). */
export type GoObject = Map<string, GoValue>;

/** Go's `%v` of a decoded value, as ESO's metadata reader prints it (`fmt.Sprintf("%v", v)`). */
export function goSprintV(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '<nil>';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoNumber) return v.text;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(goSprintV).join(' ')}]`;
  const keys = [...v.keys()].sort(compareGoStrings);
  return `map[${keys.map((k) => `${k}:${goSprintV(v.get(k)!)}`).join(' ')}]`;
}

export type KvVersion = 'v1' | 'v2';

/** The parts of a store's `provider.vault` that shape paths. `path` undefined ≠ '' (Go *string). */
export interface KvStore {
  path?: string;
  version: KvVersion;
}

// ---- paths ---------------------------------------------------------------------------------------------

/** ESO's buildPath (ESO providers/v1/vault/client.go buildPath): the API path of a secret's data for a remoteRef.key. */
export function buildPath(store: KvStore, key: string): string {
  let out = key;
  if (store.path !== undefined) {
    const cut = `${store.path}/`;
    if (out.startsWith(cut)) {
      out = out.slice(cut.length);
      if (store.version === 'v2' && out.startsWith('data/')) out = out.slice('data/'.length);
    }
    const mount = store.path.split('/');
    if (store.version === 'v2') mount.push('data');
    return [...mount, ...out.split('/')].join('/');
  }
  if (store.version === 'v2' && !out.includes('/data/')) {
    const parts = out.split('/');
    return [parts[0], 'data', ...parts.slice(1)].join('/');
  }
  return out;
}

/** ESO v2.9.0's buildMetadataPath: v2 `P/metadata/<key>` with no prefix stripping; v1 `P/<key>`. */
export function buildMetadataPath(store: KvStore, key: string): string {
  if (store.version === 'v1') return store.path === undefined ? key : `${store.path}/${key}`;
  if (store.path === undefined) {
    if (!key.includes('data')) throw new EsiError('vault-path', "provided Path isn't a valid kv v2 path");
    return key.replace('/data/', '/metadata/');
  }
  return `${store.path}/metadata/${key}`;
}

// ---- responses -----------------------------------------------------------------------------------------

/** One HTTP exchange with Vault, as the transport saw it (after auth retries). */
export interface VaultHttpResult {
  status: number;
  body: Uint8Array;
  method: string;
  /** Full request URL, as Vault's ResponseError prints it. */
  url: string;
  /** X-Vault-Namespace sent, if any. */
  namespace?: string;
}

/** The transport: GET/LIST of `/v1/<apiPath>`. Throws only on transport failures (no response). */
export interface VaultKvApi {
  read(apiPath: string, query?: Record<string, string>): Promise<VaultHttpResult>;
  list(apiPath: string): Promise<VaultHttpResult>;
}

/** A parsed Vault response (`api.Secret`): `data` decoded with UseNumber. */
export interface VaultSecret {
  data: GoObject | null;
  warnings: number;
}

/** `api.ResponseError.Error()`: the text ESO wraps into `cannot read secret data from Vault: %w`. */
export function vaultResponseErrorText(res: VaultHttpResult): string {
  let errors: string[] = [];
  let raw = false;
  try {
    const v = unmarshalAny(res.body, { useNumber: true });
    const list = v instanceof Map ? v.get('errors') : undefined;
    if (Array.isArray(list)) errors = list.map((e) => (typeof e === 'string' ? e : goSprintV(e)));
    else throw new Error('no errors');
  } catch {
    raw = true;
    errors = [Buffer.from(res.body).toString('utf8')];
  }
  let s = 'Error making API request.\n\n';
  if (res.namespace) s += `Namespace: ${res.namespace}\n`;
  s += `URL: ${res.method} ${res.url}\nCode: ${res.status}. ${raw ? 'Raw Message' : 'Errors'}:\n\n`;
  s += raw && errors.length === 1 ? errors[0] : errors.map((e) => `* ${e}`).join('\n');
  return s;
}

/** Thrown for a Vault error response; the provider wraps it with ESO's prefix. */
export class VaultResponseError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'VaultResponseError';
  }
}

/**
 * How `hashicorp/vault/api` turns a response into a secret: 404 → nil unless the body carries data or
 * warnings (a deleted KV v2 version does); any other status ≥ 400 → ResponseError; empty body → nil.
 */
export function parseVaultSecret(res: VaultHttpResult): VaultSecret | null {
  if (res.status >= 400 && res.status !== 404) throw new VaultResponseError(res.status, vaultResponseErrorText(res));
  if (res.body.length === 0) return null;
  let top: GoValue;
  try {
    top = unmarshalAny(res.body, { useNumber: true });
  } catch (e) {
    if (res.status === 404) return null;
    throw e;
  }
  const obj = top instanceof Map ? top : new Map<string, GoValue>();
  const d = obj.get('data');
  const w = obj.get('warnings');
  const secret: VaultSecret = { data: d instanceof Map ? d : null, warnings: Array.isArray(w) ? w.length : 0 };
  if (res.status === 404 && secret.warnings === 0 && (!secret.data || secret.data.size === 0)) return null;
  return secret;
}

// ---- values --------------------------------------------------------------------------------------------

/** ESO's getSecretValue (ESO providers/v1/vault/client_get.go). */
export function vaultSecretValue(data: GoObject | null, property: string | undefined): Uint8Array {
  if (data === null) throw new NoSecretError();
  // Whole JSON without property; real top-level keys (dots and all) before gjson syntax.
  const val = vaultValueOf(data, property);
  if (val === undefined) throw new EsiError('property-not-found', `cannot find secret data for key: ${goQuote(property!)}`);
  return val;
}

/** ESO's GetSecretMap decoding: re-decode without UseNumber, so numbers go through float64. */
export function vaultSecretMap(bytes: Uint8Array): SecretDataMap {
  try {
    return vaultExtractMap(bytes);
  } catch (e) {
    if (e instanceof GoJsonError) throw new EsiError('unmarshal', e.message);
    throw e;
  }
}

const SYSTEM_METADATA_KEYS = ['created_time', 'current_version', 'delete_version_after'];

/** ESO's readSecretMetadata result from a metadata response: system keys (v2) overlaid by custom_metadata. */
export function vaultMetadataMap(version: KvVersion, secret: VaultSecret): Map<string, string> {
  const out = new Map<string, string>();
  const data = secret.data ?? new Map<string, GoValue>();
  if (version === 'v2') {
    for (const k of SYSTEM_METADATA_KEYS) {
      const v = data.get(k);
      if (v !== undefined && v !== null) out.set(k, goSprintV(v));
    }
  }
  const custom = data.get('custom_metadata');
  if (custom instanceof Map) for (const [k, v] of custom) out.set(k, goSprintV(v));
  return out;
}

// ---- the client ------------------------------------------------------------------------------------------

/** Reads in flight at once while warming a `find`. */
export const FIND_CONCURRENCY = 8;

export interface VaultClientOptions {
  onCall?: (op: string, outcome: 'ok' | 'error', seconds: number) => void;
  now?: () => number;
}

export class VaultKvClient implements SecretsClient {
  readonly #api: VaultKvApi;
  readonly #store: KvStore;
  readonly #opts: VaultClientOptions;
  /** One exchange per (method, path, query) per sync. */
  readonly #cache = new Map<string, Promise<VaultSecret | null>>();

  constructor(api: VaultKvApi, store: KvStore, opts: VaultClientOptions = {}) {
    this.#api = api;
    this.#store = store;
    this.#opts = opts;
  }

  /** GET or LIST through the per-sync cache; errors come back as ESO's `cannot read secret data from Vault: …`. */
  #exchange(op: 'read' | 'list', apiPath: string, query?: Record<string, string>): Promise<VaultSecret | null> {
    const ck = `${op} ${apiPath}?${new URLSearchParams(query ?? {}).toString()}`;
    const hit = this.#cache.get(ck);
    if (hit) return hit;
    const p = (async () => {
      const now = this.#opts.now ?? (() => 0);
      const t0 = now();
      try {
        const res = op === 'read' ? await this.#api.read(apiPath, query) : await this.#api.list(apiPath);
        const secret = parseVaultSecret(res);
        this.#opts.onCall?.(op, 'ok', now() - t0);
        return secret;
      } catch (e) {
        this.#opts.onCall?.(op, 'error', now() - t0);
        throw new EsiError('vault-read', `cannot read secret data from Vault: ${(e as Error).message}`);
      }
    })();
    this.#cache.set(ck, p);
    p.catch(() => this.#cache.delete(ck));
    return p;
  }

  /** ESO's readSecret. */
  async readSecret(key: string, version?: string): Promise<GoObject | null> {
    const secret = await this.#exchange('read', buildPath(this.#store, key), version ? { version } : undefined);
    if (secret === null) throw new NoSecretError();
    if (this.#store.version === 'v2') {
      const data = secret.data;
      if (!data || !data.has('data')) throw new EsiError('vault-data', 'failed to find data field');
      const inner = data.get('data');
      if (inner === null) throw new NoSecretError();
      if (!(inner instanceof Map)) throw new EsiError('vault-data', 'failed to unmarshall JSON');
      return inner;
    }
    return secret.data;
  }

  /** ESO's readSecretMetadata. */
  async readSecretMetadata(key: string): Promise<Map<string, string>> {
    const secret = await this.#exchange('read', buildMetadataPath(this.#store, key));
    if (secret === null) throw new EsiError('vault-metadata', 'secret not found');
    return vaultMetadataMap(this.#store.version, secret);
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    if (ref.metadataPolicy === 'Fetch') {
      if (this.#store.version === 'v1') {
        throw new EsiError('vault-metadata', 'cannot perform metadata fetch operations with kv version v1');
      }
      const meta = await this.readSecretMetadata(ref.key);
      if (meta.size === 0) return new Uint8Array(0);
      return vaultSecretValue(new Map(meta), ref.property);
    }
    return vaultSecretValue(await this.readSecret(ref.key, ref.version), ref.property);
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    return vaultSecretMap(await this.getSecret(ref));
  }

  async #listSecrets(path: string): Promise<string[]> {
    const secret = await this.#exchange('list', buildMetadataPath(this.#store, path));
    if (secret === null) throw new NoSecretError();
    const keys = secret.data?.get('keys');
    if (!Array.isArray(keys)) return [];
    const out: string[] = [];
    for (const k of keys) {
      const name = typeof k === 'string' ? k : goSprintV(k);
      const full = path + name;
      if (name.endsWith('/')) out.push(...(await this.#listSecrets(full)));
      else out.push(full);
    }
    return out;
  }

  /**
   * Runs reads ahead, at most FIND_CONCURRENCY at a time, to fill the per-sync cache. Their results and
   * errors are ignored here: the sequential pass that follows reads from the cache (failures are not
   * cached and are re-read there), so order and errors stay ESO's.
   */
  async #warm(reads: (() => Promise<unknown>)[]): Promise<void> {
    for (let i = 0; i < reads.length; i += FIND_CONCURRENCY) {
      await Promise.all(reads.slice(i, i + FIND_CONCURRENCY).map((r) => r().catch(() => undefined)));
    }
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    if (this.#store.version === 'v1' && find.tags !== undefined) {
      throw new EsiError('vault-find', 'cannot perform find by tag operations with kv version v1');
    }
    const candidates = await this.#listSecrets(find.path !== undefined ? `${find.path}/` : '');
    const out: SecretDataMap = {};
    const fetchInto = async (name: string): Promise<void> => {
      try {
        out[name] = await this.getSecret({ key: name });
      } catch (e) {
        // A soft-deleted latest version reads as NoSecretErr: skipped.
        if (!(e instanceof NoSecretError)) throw e;
      }
    };
    if (find.name) {
      const re = compileFindRegexp(find.name.regexp);
      const matched = candidates.filter((name) => re.test(name));
      await this.#warm(matched.map((name) => () => this.readSecret(name)));
      for (const name of matched) await fetchInto(name);
      return out;
    }
    const tags = find.tags ?? {};
    await this.#warm(candidates.map((name) => () => this.readSecretMetadata(name)));
    for (const name of candidates) {
      const meta = await this.readSecretMetadata(name);
      if (Object.entries(tags).every(([k, v]) => meta.get(k) === v)) await fetchInto(name);
    }
    return out;
  }
}
