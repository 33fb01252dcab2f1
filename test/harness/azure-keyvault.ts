// A test double of Azure Key Vault's secrets/certificates/keys REST API and of Entra ID's token endpoints
// (client credentials with a secret or a federated assertion, and IMDS's managed-identity endpoint), served
// over HTTPS with the run's CA. No Key Vault emulator is reachable from this machine (none on PyPI, npm, the
// Go module proxy or Maven Central), so this is written from Azure's published REST reference, not taken
// from a real service:
//   - learn.microsoft.com/rest/api/keyvault/secrets/get-secret, get-secrets (api-version, maxresults ≤ 25,
//     `nextLink` with `$skiptoken`), certificates/get-certificate (`cer`), keys/get-key (JsonWebKey), and the
//     KeyVaultError body `{"error":{"code","message","innererror"}}`: SecretNotFound / CertificateNotFound /
//     KeyNotFound (404), Forbidden with innererror SecretDisabled for a disabled secret and AccessDenied for a
//     principal without permission (403), BadParameter for a missing or unknown api-version (400);
//   - learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses: a request without a
//     valid bearer token gets 401 `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
//     resource="https://vault.azure.net"` and Unauthorized "AKV10000: Request is missing a Bearer or PoP token.";
//   - learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (client_secret, and
//     client_assertion of type jwt-bearer for workload identity federation: the assertion must be a token of
//     the federated issuer with audience api://AzureADTokenExchange whose subject the app trusts) and
//     certificate-credentials (an RS256 assertion with x5t, aud = the token endpoint, iss = sub = client id), errors
//     `{"error","error_description":"AADSTS…","error_codes"}`;
//   - learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token (IMDS:
//     `Metadata: true`, api-version, resource, client_id).
// The federated assertion is verified against the harness apiserver's service-account keys with a
// TokenReview, as the Pod Identity emulator (pod-identity.ts) does. Not modelled: RBAC vs access policies
// (one grant per principal and vault), soft delete, throttling (429), PoP tokens.
import { createVerify, randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tokenReview, type KubeAccess } from './kube-http.ts';

export const AZURE_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
const API_VERSIONS = new Set(['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6']);
const PAGE_MAX = 25;

interface Version {
  id: string;
  value: string;
  enabled: boolean;
  contentType?: string;
  tags?: Record<string, string>;
  created: number;
  updated: number;
  exp?: number;
  nbf?: number;
}

interface Issued {
  principal: string;
  tenant: string;
  resource: string;
  expiresAt: number;
}

export interface KeyVaultDoubleStats {
  /** Key Vault requests by operation (GetSecret, GetSecrets, GetCertificate, GetKey), any outcome. */
  calls: Record<string, number>;
  /** Tokens issued by grant: client_secret, client_certificate, federated, imds. */
  tokens: Record<string, number>;
  /** Answers with status 401 (missing or unknown bearer token). */
  challenges: number;
}

export interface KeyVaultDouble {
  /** https://127.0.0.1:<port> — the vault URL, the authority host and the IMDS host at once. */
  url: string;
  tenantId: string;
  /** Puts a new version (enabled unless told) and returns its id. */
  setSecret(name: string, value: string, o?: { tags?: Record<string, string>; enabled?: boolean; contentType?: string; exp?: number }): string;
  /** Enables or disables a secret's latest version. */
  setEnabled(name: string, enabled: boolean): void;
  putCertificate(name: string, der: Uint8Array, tags?: Record<string, string>): void;
  putKey(name: string, jwk: Record<string, unknown>, tags?: Record<string, string>): void;
  /** An app registration with a client secret. */
  addServicePrincipal(clientId: string, clientSecret: string): void;
  /** An app registration with a certificate credential (PEM of the certificate). */
  addServicePrincipalCertificate(clientId: string, certPem: string): void;
  /** An app registration trusting one Kubernetes service account (issuer: this apiserver). */
  addFederatedCredential(clientId: string, namespace: string, serviceAccount: string): void;
  /** A user-assigned managed identity IMDS serves tokens for. */
  addManagedIdentity(clientId: string): void;
  /** Lets a principal (client id) read this vault's secrets, certificates and keys. */
  grant(clientId: string): void;
  /** Revokes every token issued so far (the next request gets the 401 challenge). */
  revokeTokens(): void;
  stats(): KeyVaultDoubleStats;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const hex = (n: number) => randomBytes(n).toString('hex');
const nowS = () => Math.floor(Date.now() / 1000);

export async function startKeyVaultDouble(o: { kube: KubeAccess; cert: string; key: string; tenantId?: string }): Promise<KeyVaultDouble> {
  const tenantId = o.tenantId ?? `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`;
  const secrets = new Map<string, Version[]>();
  const certs = new Map<string, { id: string; der: Uint8Array; tags?: Record<string, string>; created: number }>();
  const keys = new Map<string, { id: string; jwk: Record<string, unknown>; tags?: Record<string, string>; created: number }>();
  const apps = new Map<string, { secret?: string; subject?: string; cert?: X509Certificate }>();
  const managed = new Set<string>();
  const granted = new Set<string>();
  const issued = new Map<string, Issued>();
  const stats: KeyVaultDoubleStats = { calls: {}, tokens: {}, challenges: 0 };
  let base = '';

  const aadError = (res: ServerResponse, status: number, error: string, code: number, text: string) =>
    send(res, status, { error, error_description: `AADSTS${code}: ${text} Trace ID: ${hex(16)} Timestamp: ${new Date().toISOString()}`, error_codes: [code], timestamp: new Date().toISOString() });

  function issue(res: ServerResponse, principal: string, resource: string, grant: string, imds = false): void {
    const token = `kvd.${hex(24)}`;
    issued.set(token, { principal, tenant: tenantId, resource, expiresAt: Date.now() + 3600_000 });
    stats.tokens[grant] = (stats.tokens[grant] ?? 0) + 1;
    if (imds) {
      const on = String(nowS() + 3600);
      return send(res, 200, { access_token: token, client_id: principal, expires_in: '3599', expires_on: on, ext_expires_in: '3599', not_before: String(nowS()), resource, token_type: 'Bearer' });
    }
    send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (tenant !== tenantId) return aadError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    if (form.get('grant_type') !== 'client_credentials') return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) return aadError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    const app = apps.get(clientId);
    if (!app) return aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`);
    const resource = scope.slice(0, -'/.default'.length);
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return aadError(res, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
      if (app.cert) {
        // A certificate credential: an RS256 JWT signed with the registered certificate's key (x5t = its SHA-1).
        const [h, p, sig] = assertion.split('.');
        const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString() || '{}') as { alg?: string; x5t?: string };
        const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString() || '{}') as { aud?: string; iss?: string; sub?: string; exp?: number; nbf?: number };
        const thumb = Buffer.from(app.cert.fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
        if (header.alg !== 'RS256' || header.x5t !== thumb) return aadError(res, 401, 'invalid_client', 700027, 'The certificate with identifier used to sign the client assertion is not registered on application.');
        const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(app.cert.publicKey, Buffer.from(sig ?? '', 'base64url'));
        if (!ok) return aadError(res, 401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
        if (claims.aud !== `${base}/${tenantId}/oauth2/v2.0/token` || claims.iss !== clientId || claims.sub !== clientId) return aadError(res, 401, 'invalid_client', 700021, 'Client assertion audience claim does not match Realm issuer.');
        if (typeof claims.exp !== 'number' || claims.exp < nowS() || (claims.nbf ?? 0) > nowS() + 300) return aadError(res, 401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
        return issue(res, clientId, resource, 'client_certificate');
      }
      const review = await tokenReview(o.kube, assertion, [AZURE_TOKEN_AUDIENCE]);
      if (!review.authenticated) return aadError(res, 400, 'invalid_client', 700211, 'No matching federated identity record found for presented assertion issuer.');
      if (!app.subject || review.username !== app.subject) {
        return aadError(res, 400, 'invalid_client', 70021, `No matching federated identity record found for presented assertion. Assertion Subject: '${review.username ?? ''}'. Assertion Audience: '${AZURE_TOKEN_AUDIENCE}'.`);
      }
      return issue(res, clientId, resource, 'federated');
    }
    const secret = form.get('client_secret');
    if (secret === null) return aadError(res, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (app.secret === undefined || secret !== app.secret) return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    issue(res, clientId, resource, 'client_secret');
  }

  function imds(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    if (req.headers['metadata'] !== 'true') return send(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    const resource = q.get('resource') ?? '';
    const clientId = q.get('client_id') ?? '';
    if (!resource) return send(res, 400, { error: 'invalid_request', error_description: 'Required query variable resource is missing' });
    if (!managed.has(clientId)) return send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    issue(res, clientId, resource, 'imds', true);
  }

  const kvError = (res: ServerResponse, status: number, code: string, message: string, inner?: string) =>
    send(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });

  /** 401 with the challenge naming this double's authority and Key Vault's resource. */
  function challenge(res: ServerResponse, message: string): void {
    stats.challenges++;
    res.setHeader('WWW-Authenticate', `Bearer authorization="${base}/${tenantId}", resource="${KEY_VAULT_RESOURCE}"`);
    kvError(res, 401, 'Unauthorized', message);
  }

  const attributes = (v: { enabled: boolean; created: number; updated: number; exp?: number; nbf?: number }) => ({
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  });

  function keyVault(req: IncomingMessage, res: ServerResponse, path: string[], q: URLSearchParams): void {
    const kind = path[0]!;
    const op = kind === 'secrets' ? (path.length === 1 ? 'GetSecrets' : 'GetSecret') : kind === 'certificates' ? 'GetCertificate' : 'GetKey';
    stats.calls[op] = (stats.calls[op] ?? 0) + 1;
    const version = q.get('api-version');
    if (!version || !API_VERSIONS.has(version)) return kvError(res, 400, 'BadParameter', version ? `The specified version (${version}) is not recognized. Consider using the latest supported version (7.6).` : 'api-version query parameter is missing.');
    const auth = req.headers['authorization'];
    const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const t = bearer ? issued.get(bearer) : undefined;
    if (!t || t.expiresAt < Date.now() || t.resource !== KEY_VAULT_RESOURCE) {
      return challenge(res, bearer ? 'AKV10032: Invalid issuer. Expected one of https://sts.windows.net/' + tenantId + '/.' : 'AKV10000: Request is missing a Bearer or PoP token.');
    }
    const perm = `${kind} ${op === 'GetSecrets' ? 'list' : 'get'}`;
    if (!granted.has(t.principal)) {
      return kvError(res, 403, 'Forbidden', `The user, group or application 'appid=${t.principal};iss=https://sts.windows.net/${tenantId}/' does not have ${perm} permission on key vault 'esi-double;location=local'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`, 'AccessDenied');
    }
    const name = path[1] ?? '';
    const ver = path[2] ?? '';
    if (kind === 'secrets' && path.length === 1) {
      const max = q.has('maxresults') ? Number(q.get('maxresults')) : PAGE_MAX;
      if (!Number.isInteger(max) || max < 1 || max > PAGE_MAX) return kvError(res, 400, 'BadParameter', 'invalid maxresults');
      const names = [...secrets.keys()].sort();
      const skip = q.has('$skiptoken') ? Number(Buffer.from(q.get('$skiptoken')!, 'base64url').toString()) : 0;
      const value = names.slice(skip, skip + max).map((n) => {
        const v = secrets.get(n)!.at(-1)!;
        return { id: `${base}/secrets/${n}`, attributes: attributes(v), ...(v.tags ? { tags: v.tags } : {}), ...(v.contentType ? { contentType: v.contentType } : {}) };
      });
      const more = skip + max < names.length;
      return send(res, 200, { value, nextLink: more ? `${base}/secrets?api-version=${version}&$skiptoken=${Buffer.from(String(skip + max)).toString('base64url')}&maxresults=${max}` : null });
    }
    const what = ver ? `${name}/${ver}` : name;
    if (kind === 'secrets') {
      const vs = secrets.get(name);
      const v = ver ? vs?.find((x) => x.id === ver) : vs?.at(-1);
      if (!v) return kvError(res, 404, 'SecretNotFound', `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
      if (!v.enabled) return kvError(res, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
      return send(res, 200, { value: v.value, ...(v.contentType ? { contentType: v.contentType } : {}), id: `${base}/secrets/${name}/${v.id}`, attributes: attributes(v), ...(v.tags ? { tags: v.tags } : {}) });
    }
    if (kind === 'certificates') {
      const c = certs.get(name);
      if (!c || (ver && ver !== c.id)) return kvError(res, 404, 'CertificateNotFound', `A certificate with (name/id) ${what} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
      const der = Buffer.from(c.der);
      return send(res, 200, {
        id: `${base}/certificates/${name}/${c.id}`,
        kid: `${base}/keys/${name}/${c.id}`,
        sid: `${base}/secrets/${name}/${c.id}`,
        x5t: '',
        cer: der.toString('base64'),
        attributes: attributes({ enabled: true, created: c.created, updated: c.created }),
        ...(c.tags ? { tags: c.tags } : {}),
      });
    }
    const k = keys.get(name);
    if (!k || (ver && ver !== k.id)) return kvError(res, 404, 'KeyNotFound', `A key with (name/id) ${what} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
    return send(res, 200, { key: { ...k.jwk, kid: `${base}/keys/${name}/${k.id}` }, attributes: attributes({ enabled: true, created: k.created, updated: k.created }), ...(k.tags ? { tags: k.tags } : {}) });
  }

  const server: Server = createServer({ cert: o.cert, key: o.key }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = u.pathname.split('/').filter((s) => s !== '');
    (async () => {
      if (req.method === 'POST' && path.length === 4 && path[1] === 'oauth2' && path[2] === 'v2.0' && path[3] === 'token') return tokenEndpoint(req, res, decodeURIComponent(path[0]!));
      if (req.method === 'GET' && u.pathname === '/metadata/identity/oauth2/token') return imds(req, res, u.searchParams);
      if (req.method === 'GET' && ['secrets', 'certificates', 'keys'].includes(path[0] ?? '') && path.length <= 3 && (path[0] === 'secrets' || path.length >= 2)) return keyVault(req, res, path, u.searchParams);
      send(res, 404, { error: { code: 'NotFound', message: `no route ${req.method} ${u.pathname}` } });
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 'InternalError', message: (e as Error).message } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  return {
    url: base,
    tenantId,
    setSecret(name, value, so = {}) {
      const id = hex(16);
      const list = secrets.get(name) ?? [];
      const t = nowS();
      list.push({ id, value, enabled: so.enabled ?? true, created: t, updated: t, ...(so.tags ? { tags: so.tags } : {}), ...(so.contentType ? { contentType: so.contentType } : {}), ...(so.exp !== undefined ? { exp: so.exp } : {}) });
      secrets.set(name, list);
      return id;
    },
    setEnabled(name, enabled) {
      const v = secrets.get(name)?.at(-1);
      if (!v) throw new Error(`no secret ${name}`);
      v.enabled = enabled;
      v.updated = nowS();
    },
    putCertificate(name, der, tags) {
      certs.set(name, { id: hex(16), der, ...(tags ? { tags } : {}), created: nowS() });
    },
    putKey(name, jwk, tags) {
      keys.set(name, { id: hex(16), jwk, ...(tags ? { tags } : {}), created: nowS() });
    },
    addServicePrincipal(clientId, clientSecret) {
      apps.set(clientId, { ...apps.get(clientId), secret: clientSecret });
    },
    addServicePrincipalCertificate(clientId, certPem) {
      apps.set(clientId, { ...apps.get(clientId), cert: new X509Certificate(certPem) });
    },
    addFederatedCredential(clientId, namespace, serviceAccount) {
      apps.set(clientId, { ...apps.get(clientId), subject: `system:serviceaccount:${namespace}:${serviceAccount}` });
    },
    addManagedIdentity(clientId) {
      managed.add(clientId);
    },
    grant(clientId) {
      granted.add(clientId);
    },
    revokeTokens() {
      issued.clear();
    },
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
