/**
 * One ExternalSecret sync as ESO would run it, as a pure function of values (the one code path that
 * `esi render` and the agent share): admission rules → unmanaged-store skip → managed-label patch →
 * GetProviderSecretData → writing semantics. Provider I/O happens only inside the injected clients.
 */
import type { KubeObject, Secret } from '../core/index.ts';
import { assembleSecretData, storeRefFor } from './assemble.ts';
import { conditionDeniedMessage, NAMESPACE_NAME_LABEL, storeAllowsNamespace, storeIsManaged } from './conditions.ts';
import { EsoError } from './errors.ts';
import type { ClientFactory, ClientResolver, SecretDataMap, SecretsClient } from './provider.ts';
import { buildSecret, esNamespace, targetName, withManagedLabel, type SecretOutcome } from './secret.ts';
import type { TemplateEngine } from './templating.ts';
import type { ExternalSecret, SecretStore, SecretStoreRef } from './types.ts';
import { externalSecretErrors, secretTemplateErrors } from './validate.ts';
import { loadRegexpEngine } from './goregexp.ts';

export interface RenderInput {
  externalSecret: ExternalSecret;
  /** SecretStores (of the ES namespace) and ClusterSecretStores the sync may read. */
  stores: SecretStore[];
  /** The ES's Namespace object (its labels, for ClusterSecretStore conditions); synthesised when absent. */
  namespace?: KubeObject;
  /** The current target Secret; when absent it is looked up by name in `objects`. */
  existing?: Secret;
  /** Cluster objects the sync reads: templateFrom ConfigMaps/Secrets, Secrets created by this ES. */
  objects?: KubeObject[];
  clientFactory: ClientFactory;
  /** ESO's `--controller-class` (default ''). */
  controllerClass?: string;
  /**
   * The Go template engine (eso/template's `createTemplateEngine`), needed when the ExternalSecret has a
   * template or a rewrite transform. Injected, not imported, so a caller with no templates (the agent in
   * most pods) never loads the engine.
   */
  engine?: TemplateEngine;
}

export interface RenderResult {
  outcome: SecretOutcome;
  /** The provider data after assembly (undefined when the ES was skipped). Secret material. */
  providerData?: SecretDataMap;
  /** Entries skipped because the provider said the secret does not exist (deletionPolicy Delete|Merge). */
  missing: string[];
}

function pluralFor(kind: string): string {
  return kind === 'ClusterSecretStore' ? 'clustersecretstores' : 'secretstores';
}

function findStore(stores: SecretStore[], ref: Required<SecretStoreRef>, namespace: string): SecretStore | undefined {
  return stores.find(
    (s) =>
      s.kind === ref.kind &&
      s.metadata.name === ref.name &&
      (ref.kind === 'ClusterSecretStore' || (s.metadata.namespace ?? namespace) === namespace),
  );
}

/** All store references of the ES (secretStoreRef, data[].sourceRef, dataFrom[].sourceRef.storeRef). */
function referencedStores(es: ExternalSecret): Required<SecretStoreRef>[] {
  const refs: Required<SecretStoreRef>[] = [];
  if (es.spec.secretStoreRef?.name) refs.push(storeRefFor(es));
  for (const d of es.spec.data ?? []) if (d.sourceRef?.storeRef) refs.push(storeRefFor(es, d.sourceRef.storeRef));
  for (const d of es.spec.dataFrom ?? []) if (d.sourceRef?.storeRef) refs.push(storeRefFor(es, d.sourceRef.storeRef));
  return refs;
}

/** ESO's client manager `Get`: store lookup, controller class, ClusterSecretStore conditions, client cache. */
export function storeResolver(input: RenderInput): ClientResolver {
  const es = input.externalSecret;
  const namespace = esNamespace(es);
  const nsLabels = { ...(input.namespace?.metadata.labels ?? {}) };
  nsLabels[NAMESPACE_NAME_LABEL] ??= namespace;
  const cache = new Map<string, Promise<SecretsClient>>();
  return async (ref) => {
    if (ref.name === '') {
      throw new EsoError('store-not-found', `could not get ${ref.kind} "", resource name may not be empty`, 'spec.secretStoreRef.name');
    }
    const store = findStore(input.stores, ref, namespace);
    if (!store) {
      throw new EsoError(
        'store-not-found',
        `could not get ${ref.kind} ${JSON.stringify(ref.name)}, ${pluralFor(ref.kind)}.external-secrets.io ${JSON.stringify(ref.name)} not found`,
      );
    }
    if (!storeIsManaged(store, input.controllerClass ?? '')) {
      throw new EsoError('unmanaged-store', 'can not reference unmanaged store');
    }
    if (!storeAllowsNamespace(store, namespace, nsLabels)) {
      throw new EsoError('store-denied', conditionDeniedMessage(store.metadata.name, namespace));
    }
    const key = `${store.kind}/${store.metadata.name}`;
    let client = cache.get(key);
    if (!client) {
      client = Promise.resolve(input.clientFactory(store));
      cache.set(key, client);
    }
    return client;
  };
}

/**
 * Whether this sync can compile a regexp outside a template (templates bring the engine themselves):
 * rewrite.regexp, find.name.regexp, or a store's namespaceRegexes. Most agents never load it.
 */
function needsRegexps(es: ExternalSecret, stores: SecretStore[]): boolean {
  const dataFrom = es.spec.dataFrom ?? [];
  return (
    dataFrom.some((d) => d.find?.name !== undefined || (d.rewrite ?? []).some((r) => r.regexp !== undefined)) ||
    stores.some((s) => (s.spec.conditions ?? []).some((c) => (c.namespaceRegexes ?? []).length > 0))
  );
}

/**
 * Runs one sync. Returns what happens to the target Secret, or throws ESO's error (an EsoError whose
 * `field` names the ExternalSecret field at fault; the message never holds a secret value).
 */
export async function renderExternalSecret(input: RenderInput): Promise<RenderResult> {
  const es = input.externalSecret;
  const namespace = esNamespace(es);
  if (needsRegexps(es, input.stores)) await loadRegexpEngine();
  const admission = externalSecretErrors(es, { includeTemplate: false });
  if (admission.length > 0) throw new EsoError('invalid', admission.join('\n'), 'spec');
  const manifest = (es.spec.target as { manifest?: { apiVersion?: string; kind?: string } }).manifest;
  if (manifest && !(manifest.apiVersion === 'v1' && manifest.kind === 'Secret')) {
    throw new EsoError('unsupported', `generic targets (${manifest.apiVersion ?? ''} ${manifest.kind ?? ''}) are not supported by esi: it renders Secrets only`, 'spec.target.manifest');
  }

  for (const ref of referencedStores(es)) {
    const store = findStore(input.stores, ref, namespace);
    if (store && !storeIsManaged(store, input.controllerClass ?? '')) {
      return {
        outcome: {
          action: 'none',
          reason: `ExternalSecret skipped: ${ref.kind} ${JSON.stringify(ref.name)} has spec.controller=${JSON.stringify(store.spec.controller)}, which this controller (class ${JSON.stringify(input.controllerClass ?? '')}) does not manage`,
        },
        missing: [],
      };
    }
  }

  const name = targetName(es);
  const objects = input.objects ?? [];
  const found =
    input.existing ??
    (objects.find((o) => o.kind === 'Secret' && o.metadata.name === name && (o.metadata.namespace ?? namespace) === namespace) as Secret | undefined);
  const existing = withManagedLabel(found);

  const missing: string[] = [];
  const engine = input.engine;
  const providerData = await assembleSecretData(es, storeResolver(input), { engine, onMissing: (f) => missing.push(f) });
  const outcome = buildSecret({ es, existing, objects, engine }, providerData);
  if (outcome.action !== 'write') {
    // The template rules did not run (nothing was mutated), but the admission webhook enforces them too.
    const tplErrs = secretTemplateErrors(es.spec.target.template);
    if (tplErrs.length > 0) throw new EsoError('invalid', tplErrs.join('\n'), 'spec.target.template');
  }
  return { outcome, providerData, missing };
}
