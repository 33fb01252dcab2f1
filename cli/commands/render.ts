/**
 * `esi render`: fetch and render one ExternalSecret exactly as ESO would sync it, print the resulting
 * v1 Secret. A thin shell: files in, `renderExternalSecret` (eso/), Secret out. Errors are one line that
 * names the ExternalSecret field at fault and carries ESO's own text; never a secret value.
 */
import { randomBytes } from 'node:crypto';
import { createTemplateEngine } from '../../eso/template/index.ts';
import { stringify } from 'yaml';
import { EsiError, NotAvailableError, isObject, type KubeObject, type Secret } from '../../core/index.ts';
import { readManifests } from '../manifests.ts';
import { errorField, esNamespace, parseExternalSecret, renderExternalSecret, type ClientFactory, type ExternalSecret, type SecretStore } from '../../eso/index.ts';
import { createSecretsClient, parseSecretStore, providerFor, storeEnvName, validateSecretStore, type Provider } from '../../providers/index.ts';
import { parseFlags, UsageError, wantsHelp, type CliIO, type Command } from '../io.ts';

const HELP = `Usage: esi render --external-secret FILE --store FILE [--store FILE ...] [-f OBJECTS ...] [-o yaml|json]

Fetches and renders one ExternalSecret as External Secrets Operator (v2.9.0) would sync it, and prints
the resulting v1 Secret (data base64, ESO's labels and annotations, data-hash).

  --external-secret FILE   the ExternalSecret (YAML or JSON; several documents allowed, exactly one
                           ExternalSecret among them)
  --store FILE             SecretStore / ClusterSecretStore manifests (repeatable)
  -f, --filename FILE      cluster objects the sync reads (repeatable): ConfigMaps/Secrets for
                           templateFrom, the existing target Secret, the ExternalSecret's Namespace
                           (its labels, for ClusterSecretStore conditions)
  -o, --output yaml|json   output format (default yaml)
  --controller-class NAME  ESO's --controller-class (default empty)
  -h, --help               show this help

Stores with the fake provider render offline. AWS, Vault and Azure Key Vault stores are read with the
current environment's credentials (AWS SDK chain and AWS_ENDPOINT_URL*; Vault: the store's server,
VAULT_TOKEN or the store's auth; Azure: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE,
AZURE_AUTHORITY_HOST). Credentials a store names by secretRef (AWS auth.secretRef, Vault tokenSecretRef,
AppRole, JWT, Azure authSecretRef) are read from Secrets given with -f.

When ESO would leave no Secret, nothing is printed and stderr says why (exit 0); when it would leave an
existing Secret untouched, that Secret is printed. On error: exit 1 and one line naming the field.
`;

/** ESO's field-ordered view: stable key order for YAML/JSON output. */
function orderedSecret(s: Secret): Secret {
  const { apiVersion, kind, metadata, immutable, type, data, ...rest } = s;
  const out: Secret = { apiVersion: apiVersion ?? 'v1', kind: 'Secret', metadata, ...rest } as Secret;
  if (immutable !== undefined) out.immutable = immutable;
  if (type !== undefined) out.type = type;
  out.data = data ?? {};
  void kind;
  return out;
}

function format(obj: unknown, output: string): string {
  if (output === 'json') return `${JSON.stringify(obj, null, 2)}\n`;
  return stringify(obj, { lineWidth: 0 });
}

/**
 * Credentials a store names by `secretRef` (the provider table's credential selectors): in a pod the injector
 * delivers them as env vars; here they come from Secrets given with -f, under the same names.
 */
function storeCredentialEnv(store: SecretStore, provider: Provider, objects: KubeObject[], namespace: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of provider.credentials ?? []) {
    let sel: unknown = store.spec.provider[provider.name];
    for (const k of c.path.split('.')) sel = isObject(sel) ? sel[k] : undefined;
    if (!isObject(sel) || typeof sel['name'] !== 'string' || sel['name'] === '') continue;
    const ns = typeof sel['namespace'] === 'string' && sel['namespace'] !== '' ? sel['namespace'] : namespace;
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === sel['name'] && (o.metadata.namespace ?? namespace) === ns) as Secret | undefined;
    const key = typeof sel['key'] === 'string' && sel['key'] !== '' ? sel['key'] : c.defaultKey;
    if (key === undefined) continue;
    const envName = storeEnvName(c.what, store.kind, store.metadata.name);
    const b64 = secret?.data?.[key];
    if (b64 !== undefined) out[envName] = Buffer.from(b64, 'base64').toString('utf8');
    else if (secret?.stringData?.[key] !== undefined) out[envName] = secret.stringData[key]!;
  }
  return out;
}

function networkClientFactory(io: CliIO, namespace: string, objects: KubeObject[], opened: { close(): Promise<void> }[]): ClientFactory {
  return async (store) => {
    const fromObjects = storeCredentialEnv(store, providerFor(store), objects, namespace);
    const env = { ...fromObjects, ...io.env };
    const client = await createSecretsClient(store, { namespace, env, signal: io.signal });
    opened.push(client);
    return client;
  };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ');
}

export const renderCommand: Command = async (argv, io) => {
  if (wantsHelp(argv)) {
    io.stdout(HELP);
    return 0;
  }
  let es: ExternalSecret | undefined;
  const opened: { close(): Promise<void> }[] = [];
  try {
    const { values } = parseFlags(
      argv,
      {
        'external-secret': { type: 'string' },
        store: { type: 'string', multiple: true },
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o', default: 'yaml' },
        'controller-class': { type: 'string', default: '' },
      },
      'render',
    );
    const output = values.output ?? 'yaml';
    if (output !== 'yaml' && output !== 'json') {
      io.stderr(`esi render: -o must be yaml or json, got ${JSON.stringify(output)}\n`);
      return 1;
    }
    const esFile = values['external-secret'];
    if (!esFile) {
      io.stderr('esi render: --external-secret FILE is required (see esi render --help)\n');
      return 1;
    }
    const objects: KubeObject[] = [];
    const stores: SecretStore[] = [];
    const esDocs: { obj: KubeObject; file: string }[] = [];
    for (const o of await readManifests(esFile)) {
      if (o.kind === 'ExternalSecret') esDocs.push({ obj: o, file: esFile });
      else if (o.kind === 'SecretStore' || o.kind === 'ClusterSecretStore') stores.push(loadStore(o, esFile));
      else objects.push(o);
    }
    if (esDocs.length !== 1) {
      io.stderr(`esi render: ${esFile}: expected exactly one ExternalSecret, found ${esDocs.length}\n`);
      return 1;
    }
    es = parseExternalSecret(esDocs[0]!.obj, esFile);
    for (const f of values.store ?? []) {
      for (const o of await readManifests(f)) {
        if (o.kind === 'SecretStore' || o.kind === 'ClusterSecretStore') stores.push(loadStore(o, f));
        else objects.push(o);
      }
    }
    for (const f of values.filename ?? []) {
      for (const o of await readManifests(f)) {
        if (o.kind === 'SecretStore' || o.kind === 'ClusterSecretStore') stores.push(loadStore(o, f));
        else if (o.kind !== 'ExternalSecret') objects.push(o);
      }
    }
    for (const o of objects) if (o.kind === 'Secret' && isObject(o)) checkSecretShape(o as Secret);
    // Objects of the ES namespace; namespaced SecretStores default to it.
    const namespace = esNamespace(es);
    const nsObject = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
    const result = await renderExternalSecret({
      externalSecret: es,
      stores: stores.map((s) => (s.kind === 'SecretStore' && !s.metadata.namespace ? { ...s, metadata: { ...s.metadata, namespace } } : s)),
      namespace: nsObject,
      objects: objects.filter((o) => o.kind !== 'Namespace'),
      clientFactory: networkClientFactory(io, namespace, objects, opened),
      controllerClass: values['controller-class'] ?? '',
      // The edge supplies what the pure engine may not read itself: the clock and randomness that
      // ESO's now/date/rand*/uuidv4 template functions use.
      engine: createTemplateEngine({ now: () => new Date(), randomBytes: (n) => randomBytes(n) }),
    });
    const o = result.outcome;
    for (const m of result.missing) io.stderr(`esi render: note: ${m}: the provider says the secret does not exist; skipped (deletionPolicy=${es.spec.target.deletionPolicy})\n`);
    if (o.action === 'write') {
      io.stdout(format(orderedSecret(o.secret), output));
      if (!o.changed) io.stderr(`esi render: Secret ${namespace}/${o.secret.metadata.name} is already up to date; ESO would not update it\n`);
      for (const name of o.deleteOrphans) io.stderr(`esi render: ESO would delete Secret ${namespace}/${name} (created by this ExternalSecret under an old target name)\n`);
      return 0;
    }
    if (o.action === 'delete') {
      io.stderr(`esi render: no Secret: ESO would delete Secret ${namespace}/${o.name}: ${o.reason}\n`);
      return 0;
    }
    if (o.existing) {
      io.stdout(format(orderedSecret(o.existing), output));
      io.stderr(`esi render: the existing Secret ${namespace}/${o.existing.metadata.name} is left untouched: ${o.reason}\n`);
      return 0;
    }
    io.stderr(`esi render: no Secret: ${o.reason}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const where = es ? `ExternalSecret ${esNamespace(es)}/${es.metadata.name}: ` : '';
    const field = errorField(e);
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`esi render: ${where}${field ? `${field}: ` : ''}${oneLine(msg)}\n`);
    if (e instanceof NotAvailableError) return 2;
    return 1;
  } finally {
    await Promise.allSettled(opened.map((c) => c.close()));
  }
};

function loadStore(o: KubeObject, file: string): SecretStore {
  const store = parseSecretStore(o, file);
  try {
    validateSecretStore(store);
  } catch (e) {
    throw new EsiError('invalid-store', `${file}: ${store.kind} ${store.metadata.name}: ${(e as Error).message}`);
  }
  return store;
}

function checkSecretShape(s: Secret): void {
  for (const [k, v] of Object.entries(s.data ?? {})) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) {
      throw new EsiError('invalid', `Secret ${s.metadata.name}: data.${k}: expected base64 text`);
    }
  }
}
