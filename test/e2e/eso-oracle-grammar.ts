// The grammar of the ESO-oracle differential (issue 17): from a seed, one ExternalSecret with its store,
// backend values (before and after a rotation), namespace, ConfigMaps and an optional pre-existing target
// Secret. Pure and deterministic: the same seed always gives the same case, so a failing seed is a
// reproducible bug report (`ESI_ORACLE_SEEDS=<n>`, `ESI_ORACLE_FIRST_SEED=<seed>`).
//
// It draws only what ESO v0.16.2's CRDs accept and its webhook would admit (the oracle runs no webhook):
// no CreateOrMerge, no rewrite merge, no nullBytePolicy, no syncWindows, no refreshPolicy (all newer), no
// deletionPolicy=Delete without creationPolicy=Owner, no deletionPolicy=Merge with creationPolicy=None.

/** mulberry32: small, seedable, good enough to spread choices. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Draw {
  readonly r: () => number;
  constructor(seed: number) {
    this.r = rng(seed);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  bool(p = 0.5): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  some<T>(xs: readonly T[], max: number, min = 0): T[] {
    const n = min + this.int(max - min + 1);
    const pool = [...xs];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(this.int(pool.length), 1)[0]!);
    return out;
  }
}

/**
 * Backend JSON fields as raw JSON text: number spellings, escapes, whitespace and key order reach ESO
 * byte for byte (AWS keeps raw text; Vault re-emits the numbers' text), so they are written, not built.
 */
const FIELD_VALUES = [
  '"plain"', '"with space"', '"<b>&amp;"', '"üñí 😀"', '"a\\u0041\\n"', '"aGVsbG8gd29ybGQ="', '"aGVsbG8"', '"_-8="',
  '10', '1.50', '1e3', '-0', '12345678901234567890', 'true', 'false', 'null', '""',
  '{"b" : 1, "a":"<"}', '[1, "x", null]', '{"nested":{"deep":"v"},"n":2}',
] as const;
/**
 * Field names: valid Secret keys, and ones that need conversion (`/`, space, `$`, `ü`), dots, dashes. No
 * two collide under the grammar's rewrites: ESO resolves a rewrite collision by Go's random map order.
 */
const FIELD_NAMES = ['user', 'password', 'pass-w0rd', 'a.b', 'db/host', 'with space', '$x', 'ü', 'port', 'tls.crt', 'CAPS', 'k_1'] as const;

export type Provider = 'aws' | 'vault';

export interface BackendSecret {
  /** Provider key: AWS secret name / Vault path under the `secret` mount. */
  key: string;
  /** Raw SecretString text (AWS) / raw JSON object text (Vault data). */
  round1: string;
  round2: string;
  /** Whether this value is a JSON object (Vault needs one; AWS may hold plain text). */
  json: boolean;
  /** Deleted from the backend before round 2 (the provider then says it does not exist). */
  deleteInRound2?: boolean;
  /** AWS tags (read with metadataPolicy: Fetch). */
  tags?: Record<string, string>;
}

export interface OracleCase {
  seed: number;
  provider: Provider;
  /** Vault KV engine version (mount `secret` for v2, `kv1` for v1); AWS: undefined. */
  kv?: 1 | 2;
  apiVersion: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  namespace: string;
  namespaceLabels: Record<string, string>;
  storeKind: 'SecretStore' | 'ClusterSecretStore';
  storeName: string;
  /** ClusterSecretStore spec.conditions (undefined: none). */
  conditions?: object[];
  conditionsAllow: boolean;
  backend: BackendSecret[];
  /** Keys the ES references that exist nowhere (NoSecretErr paths). */
  es: { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
  existing?: { data: Record<string, string>; labels?: Record<string, string>; annotations?: Record<string, string>; type?: string; immutable?: boolean };
  configMaps: { name: string; data: Record<string, string> }[];
  /** Secrets of the namespace that templateFrom reads (values base64). */
  templateSecrets: { name: string; data: Record<string, string> }[];
  /** Short description for the test name. */
  summary: string[];
}

function objectText(d: Draw, names: readonly string[]): string {
  const entries = names.map((n) => `${JSON.stringify(n)}${d.bool(0.2) ? ' : ' : ':'}${d.pick(FIELD_VALUES)}`);
  return `{${entries.join(d.bool(0.3) ? ', ' : ',')}}`;
}

/** A second version of a JSON object text: same keys, some values changed (a rotation). */
function rotate(d: Draw, names: readonly string[], first: string): string {
  for (let i = 0; i < 5; i++) {
    const t = objectText(d, names);
    if (t !== first) return t;
  }
  return `{${names.map((n) => `${JSON.stringify(n)}:"rotated-${n}"`).join(',')}}`;
}

const TEMPLATES = [
  '{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}',
  '{{ . | toJson }}',
  '{{ len . }} keys',
  '{{ range $k, $v := . }}{{ $k | upper }}:{{ $v | b64enc }}\n{{ end }}',
  '{{ range $k, $v := . }}{{ $v | sha256sum | trunc 12 }}{{ end }}',
  'static-{{ "x" | quote }}',
] as const;
/** Templates that fail: a missing key (missingkey=error) and a parse error. */
const BAD_TEMPLATES = ['{{ .absent }}', '{{ range $k, $v := . }}{{ $k }}{{ end }'] as const;

const LABEL_TEMPLATES = ['{{ len . }}', 'fixed', '{{ range $k, $v := . }}{{ $v | sha256sum | trunc 8 }}{{ end }}'] as const;

const REWRITES = [
  { regexp: { source: '/', target: '_' } },
  { regexp: { source: '^(.*)$', target: 'p_${1}' } },
  { regexp: { source: '\\.', target: '-' } },
  { regexp: { source: '[^a-zA-Z0-9]', target: '' } },
  { transform: { template: '{{ .value | lower | replace "/" "-" | replace " " "-" }}' } },
  { transform: { template: 'k-{{ .value | sha256sum | trunc 6 }}' } },
] as const;

/**
 * One case. `tag` makes every name unique to this run (backend keys, namespace, store); the choices depend
 * on the seed only.
 */
export function generateCase(seed: number, tag: string): OracleCase {
  const d = new Draw(seed);
  const summary: string[] = [];
  const provider: Provider = d.bool(0.55) ? 'aws' : 'vault';
  const apiVersion = d.bool(0.75) ? 'external-secrets.io/v1' as const : 'external-secrets.io/v1beta1' as const;
  const kv: 1 | 2 | undefined = provider === 'vault' ? (d.bool(0.25) ? 1 : 2) : undefined;
  summary.push(kv === 1 ? 'vault-kv1' : provider, apiVersion.split('/')[1]!);
  const namespace = `oracle-${seed}-${tag}`;
  const namespaceLabels: Record<string, string> = { team: d.pick(['a', 'b']) };
  const prefix = `oracle-${tag}-${seed}`;

  // Backend: 2–4 secrets, JSON objects (Vault needs them) or, for AWS, sometimes plain text.
  const backend: BackendSecret[] = [];
  const nSecrets = 2 + d.int(3);
  for (let i = 0; i < nSecrets; i++) {
    const json = provider === 'vault' || d.bool(0.8);
    const key = `${prefix}/${d.pick(['app', 'db', 'svc'])}${i}`;
    if (json) {
      const names = d.some(FIELD_NAMES, 5, 1);
      const round1 = objectText(d, names);
      const tags = provider === 'aws' && d.bool(0.4) ? { team: d.pick(['a', 'b']), 'cost-center': d.pick(['42', '<x>&y']) } : undefined;
      backend.push({ key, json, round1, round2: d.bool(0.8) ? rotate(d, names, round1) : round1, ...(tags ? { tags } : {}) });
    } else {
      const round1 = d.pick(['plain-text', 'aGVsbG8=', 'line1\nline2', '']);
      backend.push({ key, json, round1, round2: d.bool(0.7) ? `${round1}-rotated` : round1 });
    }
  }
  // Sometimes every secret goes away before the refresh (deletionPolicy Delete/Merge/Retain then differ),
  // sometimes one.
  if (d.bool(0.08)) for (const b of backend) b.deleteInRound2 = true;
  else if (d.bool(0.15)) d.pick(backend).deleteInRound2 = true;
  if (backend.some((b) => b.deleteInRound2)) summary.push('deleted');
  const jsonSecrets = backend.filter((b) => b.json);
  const missingKey = `${prefix}/missing`;
  const someKey = (): string => (d.bool(0.06) ? missingKey : d.pick(backend).key);
  const templateText = (): string => (d.bool(0.06) ? d.pick(BAD_TEMPLATES) : d.pick(TEMPLATES));
  const fieldsOf = (key: string): string[] => {
    const b = backend.find((x) => x.key === key);
    if (!b?.json) return [];
    return Object.keys(JSON.parse(b.round1) as object);
  };

  // Store.
  const storeKind = d.bool(0.3) ? 'ClusterSecretStore' as const : 'SecretStore' as const;
  const storeName = storeKind === 'ClusterSecretStore' ? `oracle-${tag}-${seed}` : provider;
  let conditions: object[] | undefined;
  let conditionsAllow = true;
  if (storeKind === 'ClusterSecretStore' && d.bool(0.6)) {
    conditionsAllow = d.bool(0.7);
    const form = d.int(3);
    const other = `${namespace}-other`;
    if (form === 0) conditions = [{ namespaces: [conditionsAllow ? namespace : other] }];
    else if (form === 1) conditions = [{ namespaceSelector: { matchLabels: { team: conditionsAllow ? namespaceLabels['team'] : 'nobody' } } }];
    else conditions = [{ namespaceRegexes: [conditionsAllow ? `^oracle-${seed}-` : '^nope-'] }];
    summary.push(`conditions ${conditionsAllow ? 'allow' : 'deny'}`);
  }
  summary.push(storeKind === 'ClusterSecretStore' ? 'CSS' : 'SS');

  // data[]
  const data: object[] = [];
  const nData = d.int(4);
  const usedKeys = new Set<string>();
  for (let i = 0; i < nData; i++) {
    const key = someKey();
    const fields = fieldsOf(key);
    const remoteRef: Record<string, unknown> = { key };
    const propForm = d.int(8);
    if (fields.length > 0 && propForm <= 4) remoteRef['property'] = d.pick(fields);
    else if (fields.length > 0 && propForm === 5) remoteRef['property'] = d.pick(['nested.deep', 'a.b', 'b', 'nope', '#', 'n']);
    if (d.bool(0.15)) remoteRef['decodingStrategy'] = d.pick(['Base64', 'Base64URL', 'Auto', 'Auto', 'None']);
    // Tags instead of the value (AWS DescribeSecret): the whole map as JSON, or one tag by property.
    if (provider === 'aws' && d.bool(0.1)) {
      remoteRef['metadataPolicy'] = 'Fetch';
      if (d.bool(0.5)) remoteRef['property'] = d.pick(['team', 'cost-center', 'nope']);
      else delete remoteRef['property'];
    }
    // Versions: the rotation makes a previous one (AWS stage AWSPREVIOUS; Vault KV v2 version 1).
    if (d.bool(0.12)) {
      if (provider === 'aws') remoteRef['version'] = d.pick(['AWSPREVIOUS', 'AWSCURRENT']);
      else if (kv === 2) remoteRef['version'] = d.pick(['1', '2']);
    }
    let secretKey = d.pick(['user', 'password', 'conn', 'raw', 'tls.crt', 'x-1']);
    if (usedKeys.has(secretKey) && d.bool(0.7)) secretKey = `${secretKey}${i}`;
    usedKeys.add(secretKey);
    data.push({ secretKey, remoteRef });
  }
  if (data.length > 0) summary.push(`data×${data.length}`);

  // dataFrom[]
  const dataFrom: object[] = [];
  const nFrom = data.length === 0 ? 1 + d.int(2) : d.int(3);
  for (let i = 0; i < nFrom; i++) {
    const entry: Record<string, unknown> = {};
    if (d.bool(0.7) || jsonSecrets.length === 0) {
      const key = d.bool(0.1) ? missingKey : (jsonSecrets.length > 0 && d.bool(0.9) ? d.pick(jsonSecrets).key : someKey());
      const extract: Record<string, unknown> = { key };
      if (d.bool(0.1)) extract['property'] = 'nested';
      if (d.bool(0.3)) extract['conversionStrategy'] = d.pick(['Default', 'Unicode']);
      if (d.bool(0.15)) extract['decodingStrategy'] = d.pick(['Base64', 'Auto', 'None']);
      entry['extract'] = extract;
      summary.push('extract');
    } else {
      const find: Record<string, unknown> = {};
      if (provider === 'aws') {
        find['name'] = { regexp: d.pick([`^${prefix}/(app|db)`, `^${prefix}/`, `${prefix}/svc`]) };
        if (d.bool(0.3)) find['path'] = prefix;
      }
      else {
        find['path'] = prefix;
        if (d.bool(0.6)) find['name'] = { regexp: d.pick(['app', 'db|svc', '.']) };
      }
      if (d.bool(0.3)) find['conversionStrategy'] = d.pick(['Default', 'Unicode']);
      if (d.bool(0.15)) find['decodingStrategy'] = 'Auto';
      entry['find'] = find;
      summary.push('find');
    }
    if (d.bool(0.35)) {
      // A rewrite turns conversion off, so keys with `/` or spaces would fail validation: mostly end with
      // a rewrite that makes every key valid, so the cases reach the Secret.
      entry['rewrite'] = d.bool(0.05)
        ? [{ regexp: { source: '(', target: 'x' } }]
        : [...d.some(REWRITES, 2, 1), ...(d.bool(0.7) ? [{ regexp: { source: '[^-._a-zA-Z0-9]', target: '_' } }] : [])];
      summary.push('rewrite');
    }
    dataFrom.push(entry);
  }

  // target
  const target: Record<string, unknown> = {};
  const creationPolicy = d.pick(['Owner', 'Owner', 'Owner', 'Orphan', 'Merge', 'None'] as const);
  if (creationPolicy !== 'Owner' || d.bool(0.3)) target['creationPolicy'] = creationPolicy;
  const deletionChoices = creationPolicy === 'Owner' ? ['Retain', 'Delete', 'Merge'] : creationPolicy === 'None' ? ['Retain'] : ['Retain', 'Merge'];
  const deletionPolicy = d.pick(deletionChoices);
  if (deletionPolicy !== 'Retain' || d.bool(0.2)) target['deletionPolicy'] = deletionPolicy;
  if (d.bool(0.3)) target['name'] = `target-${seed}`;
  if (d.bool(0.15)) target['immutable'] = true;
  summary.push(`${creationPolicy}/${deletionPolicy}`);
  // ESO's webhook refuses duplicate secretKeys under Retain (and the oracle runs no webhook).
  if (deletionPolicy === 'Retain') {
    const seen = new Set<string>();
    data.forEach((x, i) => {
      const e = x as { secretKey: string };
      if (seen.has(e.secretKey)) e.secretKey = `${e.secretKey}-${i}`;
      seen.add(e.secretKey);
    });
  }
  if (target['immutable']) summary.push('immutable');

  // template
  const configMaps: { name: string; data: Record<string, string> }[] = [];
  const templateSecrets: { name: string; data: Record<string, string> }[] = [];
  if (d.bool(0.4)) {
    const template: Record<string, unknown> = {};
    if (d.bool(0.4)) template['type'] = d.pick(['Opaque', 'example.com/custom']);
    if (d.bool(0.4)) template['mergePolicy'] = d.pick(['Replace', 'Merge']);
    if (d.bool(0.6)) {
      const tdata: Record<string, string> = {};
      for (const k of d.some(['config', 'summary', 'dump'], 2, 1)) tdata[k] = templateText();
      template['data'] = tdata;
    }
    if (d.bool(0.3)) {
      const md: Record<string, unknown> = {};
      if (d.bool(0.5)) md['labels'] = { 'oracle/tpl': d.pick(LABEL_TEMPLATES) };
      if (d.bool(0.7)) md['annotations'] = { 'oracle/note': d.pick(TEMPLATES.slice(0, 6)) };
      template['metadata'] = md;
    }
    if (d.bool(0.3)) {
      const from: object[] = [];
      const form = d.int(5);
      if (form <= 2) from.push({ literal: d.bool(0.1) ? 'bad: [unclosed' : d.pick(['port: 5432\nflag: yes\nratio: 1.10', 'keys: "{{ len . }}"', 'mode: 0755\nempty: ~\npi: 3.14159265']) });
      else if (form === 3) {
        const name = `tpl-secret-${seed}`;
        const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
        templateSecrets.push({ name, data: { 'conn.tmpl': b64(d.pick(TEMPLATES)), 'extra.yaml': b64('extra: "{{ len . }}"\nflag: on') } });
        from.push({ secret: { name, items: [{ key: 'conn.tmpl' }, { key: d.bool(0.9) ? 'extra.yaml' : 'absent', templateAs: 'KeysAndValues' }] } });
      } else {
        const cm = `tpl-${seed}`;
        configMaps.push({ name: cm, data: { 'conf.tmpl': d.pick(TEMPLATES.slice(0, 6)), 'kv.tmpl': 'a: "{{ len . }}"\nb: two' } });
        from.push({ configMap: { name: cm, items: [{ key: 'conf.tmpl' }, { key: 'kv.tmpl', templateAs: 'KeysAndValues' }] } });
      }
      template['templateFrom'] = from;
    }
    target['template'] = template;
    summary.push('template');
  }

  // ExternalSecret metadata (copied to the Secret when there is no template).
  const metadata: OracleCase['es']['metadata'] = { name: `es-${seed}` };
  if (d.bool(0.4)) metadata.labels = { app: 'oracle', tier: d.pick(['web', 'db']) };
  if (d.bool(0.3)) metadata.annotations = { 'example.com/owner': 'team-a' };

  // An existing target Secret (always for creationPolicy Merge, so it has something to merge into).
  let existing: OracleCase['existing'];
  if (creationPolicy === 'Merge' ? d.bool(0.85) : d.bool(0.25)) {
    existing = { data: { foreign: Buffer.from('kept?').toString('base64'), user: Buffer.from('old').toString('base64') } };
    if (d.bool(0.5)) existing.labels = { 'example.com/foreign': 'yes' };
    if (d.bool(0.4)) existing.annotations = { 'example.com/note': 'pre-existing' };
    if (d.bool(0.2)) existing.type = 'example.com/custom';
    summary.push('existing');
  }

  const spec: Record<string, unknown> = {
    refreshInterval: '1h',
    secretStoreRef: { name: storeName, kind: storeKind },
    target,
  };
  if (data.length > 0) spec['data'] = data;
  if (dataFrom.length > 0) spec['dataFrom'] = dataFrom;
  return { seed, provider, kv, apiVersion, namespace, namespaceLabels, storeKind, storeName, conditions, conditionsAllow, backend, es: { metadata, spec }, existing, configMaps, templateSecrets, summary };
}
