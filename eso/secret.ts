/**
 * Writing semantics (ESO v2.9.0 pkg/controllers/externalsecret/externalsecret_controller.go mutationFunc): from assembled provider data and the existing target
 * Secret (if any) to what ESO would leave in the cluster. Pure: the cluster objects a sync reads
 * (templateFrom ConfigMaps/Secrets, Secrets labelled as created by this ES) come in as values.
 */
import { createHash } from 'node:crypto';
import { EsiError, isObject, type ConfigMap, type KubeObject, type OwnerReference, type Secret } from '../core/index.ts';
import { EsoError, wrapError } from './errors.ts';
import { compareBytes, createdByHash, dataHash } from './hash.ts';
import { newDataMap, type SecretDataMap } from './provider.ts';
import { requireTemplateEngine, type TemplateEngine, type WorkingSecret } from './templating.ts';
import type { ExternalSecret, TemplateRef } from './types.ts';
import { secretTemplateErrors } from './validate.ts';
import { secretApiErrors, secretInvalidMessage } from './apivalidation.ts';
import { goQuote } from '../core/go/strconv.ts';

export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
export const LABEL_CREATED_BY = 'reconcile.external-secrets.io/created-by';
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';
export const ES_FINALIZER = 'externalsecrets.external-secrets.io/externalsecret-cleanup';

/** What one sync does to the target Secret. */
export type SecretOutcome =
  | {
      action: 'write';
      secret: Secret;
      /** true: the Secret did not exist and is created; false: the existing one is updated. */
      created: boolean;
      /** false when the existing Secret already equals the result (ESO skips the update). */
      changed: boolean;
      /** Secrets labelled as created by this ES under another name, which ESO deletes (Owner). */
      deleteOrphans: string[];
    }
  | { action: 'delete'; name: string; reason: string; existing?: Secret }
  | { action: 'none'; reason: string; existing?: Secret };

export interface WriteContext {
  es: ExternalSecret;
  /** The current target Secret, if it exists. */
  existing?: Secret;
  /** ConfigMaps and Secrets of the ES namespace (templateFrom sources, orphaned targets). */
  objects?: KubeObject[];
  /** The Go template engine; required when the ExternalSecret has a template (see RenderInput.engine). */
  engine?: TemplateEngine;
}

export function targetName(es: ExternalSecret): string {
  return es.spec.target.name || es.metadata.name;
}

export function esNamespace(es: ExternalSecret): string {
  return es.metadata.namespace || 'default';
}

/** Field manager ESO uses for Secrets it writes (`fqdnFor`). */
export function fieldManagerFor(esName: string): string {
  const fqdn = `externalsecrets.external-secrets.io/${esName}`;
  if (fqdn.length > 63) return `externalsecrets.external-secrets.io/sha3/${createHash('sha3-224').update(esName).digest('hex')}`;
  return fqdn;
}

/** The templating package's variant: switches to the sha3 form when the ES *name* exceeds 63 chars. */
function metadataFieldManagerFor(esName: string): string {
  if (esName.length > 63) return `externalsecrets.external-secrets.io/sha3/${createHash('sha3-224').update(esName).digest('hex')}`;
  return `externalsecrets.external-secrets.io/${esName}`;
}

function fieldsOf(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return isObject(v) ? v : undefined;
}

/** Keys under `path` (e.g. ['f:data']) of the managedFields entries of `manager`. */
export function managedKeys(secret: Secret, manager: string, path: string[]): string[] {
  const out: string[] = [];
  const entries = secret.metadata.managedFields;
  if (!Array.isArray(entries)) return out;
  for (const entry of entries) {
    if (!isObject(entry) || entry['manager'] !== manager) continue;
    let cur = fieldsOf(entry['fieldsV1']);
    for (const p of path) cur = cur ? fieldsOf(cur[p]) : undefined;
    for (const k of Object.keys(cur ?? {})) if (k !== '.') out.push(k.replace(/^f:/, ''));
  }
  return out;
}

function decodeData(secret: Secret | undefined): SecretDataMap {
  const out = newDataMap();
  for (const [k, v] of Object.entries(secret?.data ?? {})) out[k] = Buffer.from(String(v), 'base64');
  for (const [k, v] of Object.entries(secret?.stringData ?? {})) out[k] = Buffer.from(String(v), 'utf8');
  return out;
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort(compareBytes)) out[k] = r[k]!;
  return out;
}

function encodeData(data: SecretDataMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(data).sort(compareBytes)) out[k] = Buffer.from(data[k]!).toString('base64');
  return out;
}

function findObject<T extends KubeObject>(objects: KubeObject[], kind: string, name: string, namespace: string): T | undefined {
  return objects.find(
    (o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? namespace) === namespace,
  ) as T | undefined;
}

/** The Secret under mutation: metadata and data as mutable values. */
interface Draft {
  isNew: boolean;
  base: Secret;
  type: string;
  immutable: boolean | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  ownerReferences: OwnerReference[];
  data: SecretDataMap;
}

function draftFrom(secret: Secret | undefined, name: string, namespace: string): Draft {
  if (!secret) {
    return {
      isNew: true,
      base: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } },
      type: '',
      immutable: undefined,
      labels: {},
      annotations: {},
      finalizers: [],
      ownerReferences: [],
      data: newDataMap(),
    };
  }
  const base = structuredClone(secret);
  return {
    isNew: false,
    base,
    type: base.type ?? 'Opaque',
    immutable: base.immutable,
    labels: { ...(base.metadata.labels ?? {}) },
    annotations: { ...(base.metadata.annotations ?? {}) },
    finalizers: [...(base.metadata.finalizers ?? [])],
    ownerReferences: structuredClone(base.metadata.ownerReferences ?? []),
    data: decodeData(base),
  };
}

function draftToSecret(d: Draft): Secret {
  const { data: _d, stringData: _s, type: _t, immutable: _i, ...rest } = d.base;
  const metadata = { ...d.base.metadata };
  metadata.labels = sortedRecord(d.labels);
  metadata.annotations = sortedRecord(d.annotations);
  if (d.ownerReferences.length > 0) metadata.ownerReferences = d.ownerReferences;
  else delete metadata.ownerReferences;
  if (d.finalizers.length > 0) metadata.finalizers = d.finalizers;
  else delete metadata.finalizers;
  const out: Secret = { ...rest, apiVersion: 'v1', kind: 'Secret', metadata };
  if (d.immutable !== undefined) out.immutable = d.immutable;
  out.type = d.type || 'Opaque';
  out.data = encodeData(d.data);
  return out;
}

const templateError = (message: string): EsoError => new EsoError('template', message, 'spec.target.template');

/** ESO's ApplyTemplate (ESO v2.9.0 externalsecret_controller_template.go), on the draft. Throws ESO's text (not yet "could not apply template: "). */
function applyTemplate(ctx: WriteContext, d: Draft, dataMap: SecretDataMap): void {
  const { es } = ctx;
  const tpl = es.spec.target.template;
  const tplErrs = secretTemplateErrors(tpl);
  if (tplErrs.length > 0) throw templateError(tplErrs.join('\n'));

  // setMetadata: drop what this ES wrote before, then copy ES (no template) or template metadata.
  const mdManager = metadataFieldManagerFor(es.metadata.name);
  if (!d.isNew) {
    for (const k of managedKeys(d.base, mdManager, ['f:metadata', 'f:labels'])) delete d.labels[k];
    for (const k of managedKeys(d.base, mdManager, ['f:metadata', 'f:annotations'])) delete d.annotations[k];
  }
  if (!tpl) {
    Object.assign(d.labels, es.metadata.labels ?? {});
    Object.assign(d.annotations, es.metadata.annotations ?? {});
  } else {
    Object.assign(d.labels, tpl.metadata?.labels ?? {});
    Object.assign(d.annotations, tpl.metadata?.annotations ?? {});
    if (!d.base.metadata['deletionTimestamp']) {
      for (const f of tpl.metadata?.finalizers ?? []) if (!d.finalizers.includes(f)) d.finalizers.push(f);
    }
  }

  const policy = es.spec.target.creationPolicy;
  if (policy !== 'Merge' && policy !== 'CreateOrMerge') d.data = newDataMap();
  if (!tpl) {
    Object.assign(d.data, dataMap);
    return;
  }
  if (tpl.type) d.type = tpl.type;
  const noTemplate = Object.keys(tpl.data ?? {}).length === 0 && (tpl.templateFrom ?? []).length === 0;
  if (tpl.mergePolicy === 'Merge' || noTemplate) Object.assign(d.data, dataMap);

  const engineVersion = tpl.engineVersion ?? 'v2';
  if (engineVersion !== 'v2') throw templateError(`unsupported template engine version: ${engineVersion}`);

  const working: WorkingSecret = {
    get type() {
      return d.type;
    },
    set type(t: string) {
      d.type = t;
    },
    labels: d.labels,
    annotations: d.annotations,
    data: d.data,
  };
  const exec = (t: Record<string, Uint8Array>, scope: string, target: string, vds: string): void => {
    if (Object.keys(t).length === 0) return;
    requireTemplateEngine(ctx.engine, 'spec.target.template').execute(t, dataMap, scope, target, working, vds);
  };

  const namespace = esNamespace(es);
  for (const [i, tf] of (tpl.templateFrom ?? []).entries()) {
    try {
      mergeTemplateFrom(ctx, tf, namespace, exec);
    } catch (e) {
      if (e instanceof EsiError && e.code === 'not-available') throw e;
      throw wrapError('error fetching templateFrom data: ', e, `spec.target.template.templateFrom[${i}]`);
    }
  }
  const mergeMap = (m: Record<string, string> | undefined, target: string, field: string): void => {
    const bytes: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(m ?? {})) bytes[k] = Buffer.from(v, 'utf8');
    try {
      exec(bytes, 'Values', target, 'None');
    } catch (e) {
      if (e instanceof EsiError && e.code === 'not-available') throw e;
      throw wrapError('could not execute template: could not execute template: ', e, field);
    }
  };
  mergeMap(tpl.data, 'Data', 'spec.target.template.data');
  mergeMap(tpl.metadata?.labels, 'Labels', 'spec.target.template.metadata.labels');
  mergeMap(tpl.metadata?.annotations, 'Annotations', 'spec.target.template.metadata.annotations');
}

function mergeTemplateFrom(
  ctx: WriteContext,
  tf: TemplateRef,
  namespace: string,
  exec: (t: Record<string, Uint8Array>, scope: string, target: string, vds: string) => void,
): void {
  const objects = ctx.objects ?? [];
  const target = tf.target ?? 'Data';
  const vds = tf.valuesDecodingStrategy ?? '';
  if (tf.configMap) {
    const cm = findObject<ConfigMap>(objects, 'ConfigMap', tf.configMap.name, namespace);
    if (!cm) throw new EsoError('not-found', `configmaps ${JSON.stringify(tf.configMap.name)} not found`);
    for (const item of tf.configMap.items ?? []) {
      const val = cm.data?.[item.key];
      if (val === undefined) throw new EsoError('template', `error in configmap ${tf.configMap.name}: missing key ${item.key}`);
      const scope = item.templateAs ?? 'Values';
      const t: Record<string, Uint8Array> = {};
      if (scope === 'Values') t[item.key] = Buffer.from(val, 'utf8');
      else if (scope === 'KeysAndValues') t[val] = Buffer.from(val, 'utf8');
      exec(t, scope, target, vds);
    }
  }
  if (tf.secret) {
    const sec = findObject<Secret>(objects, 'Secret', tf.secret.name, namespace);
    if (!sec) throw new EsoError('not-found', `secrets ${JSON.stringify(tf.secret.name)} not found`);
    const data = decodeData(sec);
    for (const item of tf.secret.items ?? []) {
      const val = data[item.key];
      if (val === undefined) throw new EsoError('template', `error in secret ${tf.secret.name}: missing key ${item.key}`);
      const scope = item.templateAs ?? 'Values';
      const t: Record<string, Uint8Array> = {};
      if (scope === 'Values') t[item.key] = val;
      else if (scope === 'KeysAndValues') t[Buffer.from(val).toString('utf8')] = val;
      exec(t, scope, target, vds);
    }
  }
  if (tf.literal !== undefined && tf.literal !== null) {
    exec({ [tf.literal]: Buffer.from(tf.literal, 'utf8') }, 'KeysAndValues', target, vds);
  }
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** applyOwnership: controller reference and created-by label. */
function applyOwnership(es: ExternalSecret, d: Draft, namespace: string, secretName: string): void {
  const current = d.ownerReferences.find((r) => r.controller === true);
  const ownerIsES = current !== undefined && groupOf(current.apiVersion) === 'external-secrets.io' && current.kind === 'ExternalSecret';
  const ownerIsThisES = ownerIsES && current!.name === es.metadata.name;
  if (ownerIsES && !ownerIsThisES) {
    throw new EsoError('owned', `secret is owned by another ExternalSecret: ${current!.name}`, 'spec.target.name');
  }
  const policy = es.spec.target.creationPolicy;
  const sameRef = (r: OwnerReference): boolean =>
    groupOf(r.apiVersion) === 'external-secrets.io' && r.kind === 'ExternalSecret' && r.name === es.metadata.name;
  if (policy === 'Owner') {
    if (current && !sameRef(current)) {
      throw new EsoError(
        'owned',
        `could not set controller reference on secret: Object ${namespace}/${secretName} is already owned by another ${current.kind} controller ${current.name}`,
        'spec.target.creationPolicy',
      );
    }
    const ref: OwnerReference = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: es.metadata.name,
      uid: es.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const i = d.ownerReferences.findIndex(sameRef);
    if (i >= 0) d.ownerReferences[i] = ref;
    else d.ownerReferences.push(ref);
    d.labels[LABEL_CREATED_BY] = createdByHash(namespace, es.metadata.name);
  } else {
    if (ownerIsThisES) d.ownerReferences = d.ownerReferences.filter((r) => !sameRef(r));
    delete d.labels[LABEL_CREATED_BY];
  }
}

function mutate(ctx: WriteContext, d: Draft, providerData: SecretDataMap, namespace: string, secretName: string): void {
  const { es } = ctx;
  if (es.spec.target.immutable) d.immutable = true;
  if (d.isNew || !es.spec.target.immutable) {
    if (!d.isNew) {
      for (const k of managedKeys(d.base, fieldManagerFor(es.metadata.name), ['f:data'])) delete d.data[k];
    }
    try {
      applyTemplate(ctx, d, providerData);
    } catch (e) {
      if (e instanceof EsiError && e.code === 'not-available') throw e;
      throw wrapError('could not apply template: ', e, 'spec.target.template');
    }
  }
  applyOwnership(es, d, namespace, secretName);
  d.labels[LABEL_MANAGED] = 'true';
  d.annotations[ANNOTATION_DATA_HASH] = dataHash(d.data);
}

function canonical(s: Secret): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = v[k];
        if (x === undefined) continue;
        if (isObject(x) && Object.keys(x).length === 0 && (k === 'labels' || k === 'annotations' || k === 'data')) continue;
        out[k] = norm(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(s));
}

/**
 * The target Secret as ESO sees it at the start of a sync: a Secret lacking the `managed` label is first
 * patched to carry it (any creationPolicy), before anything is fetched.
 */
export function withManagedLabel(existing: Secret | undefined): Secret | undefined {
  if (!existing || existing.metadata.labels?.[LABEL_MANAGED] === 'true') return existing;
  const s = structuredClone(existing);
  s.metadata.labels = { ...(s.metadata.labels ?? {}), [LABEL_MANAGED]: 'true' };
  return s;
}

/**
 * Decides the Secret ESO would leave for `es` given the assembled provider data (ESO v2.9.0 externalsecret_controller.go, steps
 * 1–4). `ctx.existing` must already carry the managed label (see withManagedLabel). Throws ESO's error.
 */
export function buildSecret(ctxOrEs: WriteContext | ExternalSecret, providerData: SecretDataMap, existingArg?: Secret): SecretOutcome {
  const ctx: WriteContext = 'spec' in ctxOrEs ? { es: ctxOrEs, existing: existingArg } : ctxOrEs;
  const { es } = ctx;
  const existing = ctx.existing;
  const { creationPolicy, deletionPolicy } = es.spec.target;
  const name = targetName(es);
  const namespace = esNamespace(es);

  if (Object.keys(providerData).length === 0) {
    if (deletionPolicy === 'Delete') {
      if (creationPolicy !== 'Owner') {
        throw new EsoError('delete', `unable to delete secret ${name}: creationPolicy=${creationPolicy} is not Owner`, 'spec.target.deletionPolicy');
      }
      if (existing) return { action: 'delete', name, reason: 'secret deleted due to DeletionPolicy=Delete', existing };
      return { action: 'none', reason: 'secret deleted due to DeletionPolicy=Delete (the provider returned no data and there is no Secret)' };
    }
    if (deletionPolicy === 'Retain') {
      return existing
        ? { action: 'none', reason: 'secret retained due to DeletionPolicy=Retain', existing }
        : { action: 'none', reason: 'secret retained due to DeletionPolicy=Retain (the provider returned no data; no Secret is created)' };
    }
  }

  if (creationPolicy === 'None') {
    return { action: 'none', reason: 'secret creation skipped due to CreationPolicy=None', ...(existing ? { existing } : {}) };
  }
  if (creationPolicy === 'Merge' && !existing) {
    return { action: 'none', reason: 'secret will not be created due to CreationPolicy=Merge' };
  }
  const deleteOrphans: string[] = [];
  if (creationPolicy === 'Owner') {
    const hash = createdByHash(namespace, es.metadata.name);
    for (const o of ctx.objects ?? []) {
      if (o.kind !== 'Secret' || (o.metadata.namespace ?? namespace) !== namespace) continue;
      if (o.metadata.labels?.[LABEL_CREATED_BY] === hash && o.metadata.name !== name) deleteOrphans.push(o.metadata.name!);
    }
  }

  const d = draftFrom(existing, name, namespace);
  if (d.isNew) {
    mutate(ctx, d, providerData, namespace, name);
    const created = draftToSecret(d);
    const apiErrs = secretApiErrors(created, d.data);
    if (apiErrs.length > 0) throw new EsoError('invalid-secret', secretInvalidMessage(name, apiErrs), 'spec.target');
    return { action: 'write', secret: created, created: true, changed: true, deleteOrphans };
  }
  try {
    mutate(ctx, d, providerData, namespace, name);
  } catch (e) {
    if (e instanceof EsiError && e.code === 'not-available') throw e;
    throw wrapError(`unable to mutate secret ${name}: `, e);
  }
  const updated = draftToSecret(d);
  const before = draftToSecret(draftFrom(existing, name, namespace));
  if (canonical(before) === canonical(updated)) {
    return { action: 'write', secret: updated, created: false, changed: false, deleteOrphans };
  }
  if (existing!.immutable) {
    const { metadata: _m1, ...restBefore } = before;
    const { metadata: _m2, ...restAfter } = updated;
    if (canonical(restBefore as Secret) !== canonical(restAfter as Secret)) {
      throw new EsoError('immutable', `unable to update secret ${name}: secret is immutable`, 'spec.target.immutable');
    }
  }
  const apiErrs: string[] = [];
  if ((before.type ?? 'Opaque') !== (updated.type ?? 'Opaque')) apiErrs.push(`type: Invalid value: ${goQuote(updated.type ?? '')}: field is immutable`);
  apiErrs.push(...secretApiErrors(updated, d.data));
  if (apiErrs.length > 0) {
    throw new EsoError('invalid-secret', `unable to update secret ${name}: ${secretInvalidMessage(name, apiErrs)}`, 'spec.target');
  }
  return { action: 'write', secret: updated, created: false, changed: true, deleteOrphans };
}
