/**
 * Key Vault's REST API and Entra ID's token endpoints over node:https (providers/http.ts), from Azure's
 * published reference: learn.microsoft.com/rest/api/keyvault (Get Secret, Get Secrets, Get Certificate,
 * Get Key; `api-version`; `nextLink` paging; the `error` body) and learn.microsoft.com/entra/identity-platform
 * (v2.0 client credentials with a secret or a federated assertion, RFC 7523) and IMDS's token endpoint.
 *
 * Why not @azure/keyvault-secrets + @azure/identity: loaded with the keys and certificates clients ESO's
 * `cert/` and `key/` need, they add ~25 MiB RSS and 0.6–1.8 s to an agent's start where this adds ~3 MiB
 * and no dependency (README, "Azure Key Vault"). Tokens are asked for the cloud's Key Vault resource, as
 * ESO's client does, not discovered from the vault's 401 challenge; a 401 drops the token and retries once.
 */
import { readFile } from 'node:fs/promises';
import { EsiError } from '../../../core/index.ts';
import { send, TransportError, type HttpResponse } from '../../http.ts';
import { clientAssertion, type ClientCertificate } from './client-certificate.ts';
import { IMDS_HOST, KEY_VAULT_API_VERSION } from './config.ts';
import { KeyVaultError, type CertificateBundle, type KeyBundle, type KeyVaultApi, type SecretBundle, type SecretItem } from './eso.ts';

export interface AccessToken {
  token: string;
  /** Wall-clock ms when it expires. */
  expiresAt: number;
}

/** How the agent obtains a Key Vault token: one of the store's credentials (session.ts builds it). */
export type TokenSource = () => Promise<AccessToken>;

export interface RestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  now: () => number;
}

function json(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Entra's error body ({error, error_description}) as a message; descriptions name codes and trace ids, never credentials. */
function tokenError(where: string, res: HttpResponse): EsiError {
  const b = json(res);
  const code = isObj(b) && typeof b['error'] === 'string' ? b['error'] : `HTTP ${res.status}`;
  const desc = isObj(b) && typeof b['error_description'] === 'string' ? `: ${b['error_description'].split(/\r?\n/)[0]}` : '';
  return new EsiError('azure-token', `azure: token request to ${where} failed with ${res.status} ${code}${desc}`);
}

function accessToken(where: string, res: HttpResponse, now: number): AccessToken {
  const b = json(res);
  const token = isObj(b) ? b['access_token'] : undefined;
  if (typeof token !== 'string' || token === '') throw new EsiError('azure-token', `azure: token response of ${where} has no access_token`);
  const raw = isObj(b) ? b['expires_in'] : undefined;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return { token, expiresAt: now + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000 };
}

/**
 * Entra ID v2.0 client credentials (POST <authority><tenant>/oauth2/v2.0/token): a client secret, a
 * client assertion read from `assertionFile` at every request (the kubelet rotates the projected token),
 * or one signed with a client certificate.
 */
export function entraToken(o: RestOptions & { authorityHost: string; tenantId: string; clientId: string; scope: string; clientSecret?: string; assertionFile?: string; certificate?: ClientCertificate }): TokenSource {
  const url = `${o.authorityHost}${encodeURIComponent(o.tenantId)}/oauth2/v2.0/token`;
  const where = `${o.authorityHost}${o.tenantId}`;
  return async () => {
    const form = new URLSearchParams({ client_id: o.clientId, scope: o.scope, grant_type: 'client_credentials' });
    if (o.assertionFile !== undefined) {
      let assertion: string;
      try {
        assertion = (await readFile(o.assertionFile, 'utf8')).trim();
      } catch (e) {
        // ESO's errReadTokenFile.
        throw new EsiError('azure-token', `unable to read token file ${o.assertionFile}: ${(e as Error).message}`);
      }
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', assertion);
    } else if (o.certificate !== undefined) {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', clientAssertion(o.certificate, o.clientId, url, o.now()));
    } else if (o.clientSecret !== undefined) {
      form.set('client_secret', o.clientSecret);
    }
    const t0 = o.now();
    const res = await send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      timeoutMs: o.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (res.status !== 200) throw tokenError(where, res);
    return accessToken(where, res, t0);
  };
}

/** Managed identity through IMDS (GET /metadata/identity/oauth2/token, `Metadata: true`). */
export function imdsToken(o: RestOptions & { host?: string; resource: string; clientId?: string }): TokenSource {
  const host = (o.host ?? IMDS_HOST).replace(/\/+$/, '');
  const q = new URLSearchParams({ 'api-version': '2018-02-01', resource: o.resource });
  if (o.clientId) q.set('client_id', o.clientId);
  const url = `${host}/metadata/identity/oauth2/token?${q.toString()}`;
  return async () => {
    const t0 = o.now();
    const res = await send({ method: 'GET', url, headers: { Metadata: 'true', accept: 'application/json' }, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) });
    if (res.status !== 200) throw tokenError(`${host} (managed identity)`, res);
    return accessToken(`${host} (managed identity)`, res, t0);
  };
}

/** A token kept until 5 minutes before it expires; concurrent callers share one request. */
export function cachedToken(source: TokenSource, now: () => number): { get(): Promise<string>; drop(): void } {
  let cur: AccessToken | undefined;
  let inflight: Promise<AccessToken> | undefined;
  return {
    async get() {
      if (cur && cur.expiresAt - now() > 5 * 60_000) return cur.token;
      inflight ??= source().finally(() => (inflight = undefined));
      cur = await inflight;
      return cur.token;
    },
    drop() {
      cur = undefined;
    },
  };
}

/** The Key Vault data-plane API of one vault, authenticated by `token`. */
export function keyVaultRest(o: RestOptions & { vaultUrl: string; token: { get(): Promise<string>; drop(): void } }): KeyVaultApi {
  const base = o.vaultUrl.replace(/\/+$/, '');
  const origin = new URL(base).origin;

  async function get(url: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await o.token.get();
      const res = await send({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        timeoutMs: o.timeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (res.status === 200) {
        const b = json(res);
        if (!isObj(b)) throw new TransportError(`GET ${new URL(url).pathname}: Key Vault answered 200 without a JSON object`);
        return b;
      }
      // 401: the token expired or was revoked early; a fresh one once, then the error stands.
      if (res.status === 401 && attempt === 0) {
        o.token.drop();
        continue;
      }
      const b = json(res);
      const e = isObj(b) && isObj(b['error']) ? b['error'] : {};
      throw new KeyVaultError(res.status, typeof e['code'] === 'string' ? e['code'] : '', typeof e['message'] === 'string' ? e['message'] : '', e['innererror']);
    }
  }

  const item = (kind: string, name: string, version: string) =>
    `${base}/${kind}/${encodeURIComponent(name)}/${encodeURIComponent(version)}?api-version=${KEY_VAULT_API_VERSION}`;

  return {
    getSecret: async (name, version) => (await get(item('secrets', name, version))) as SecretBundle,
    getCertificate: async (name, version) => (await get(item('certificates', name, version))) as CertificateBundle,
    getKey: async (name, version) => (await get(item('keys', name, version))) as KeyBundle,
    async listSecrets(nextLink) {
      let url = `${base}/secrets?api-version=${KEY_VAULT_API_VERSION}`;
      if (nextLink !== undefined) {
        // The token goes only to the vault: a nextLink elsewhere is refused.
        if (new URL(nextLink).origin !== origin) throw new TransportError(`Key Vault nextLink points outside ${origin}`);
        url = nextLink;
      }
      return (await get(url)) as { value?: SecretItem[]; nextLink?: string | null };
    },
  };
}
