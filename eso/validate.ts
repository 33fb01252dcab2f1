/**
 * ESO's admission rules (ESO's apis/externalsecrets/v1 `externalsecret_validator.go` and
 * `secretstore_validator.go`) with ESO's exact messages; providers add their ValidateStore (providers/).
 * Several errors are joined with newlines, as Go's errors.Join does.
 */
import { EsoError } from './errors.ts';
import { compileGoRegexp, RegexpBudgetExceeded } from './goregexp.ts';
import type { ExternalSecret, ExternalSecretTemplate, SecretStore } from './types.ts';

const SA_TOKEN = 'kubernetes.io/service-account-token';
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const BOOTSTRAP_TOKEN = 'bootstrap.kubernetes.io/token';

function eqFold(a: string | undefined, b: string): boolean {
  return (a ?? '').toLowerCase() === b.toLowerCase();
}

function privilegedTemplateError(tpl: ExternalSecretTemplate | undefined): string | undefined {
  if (!tpl) return undefined;
  if (tpl.type === SA_TOKEN) {
    if (tpl.metadata?.annotations && Object.prototype.hasOwnProperty.call(tpl.metadata.annotations, SA_NAME_ANNOTATION)) {
      return `template.type="${SA_TOKEN}" with annotation "${SA_NAME_ANNOTATION}" is not allowed`;
    }
    for (const tf of tpl.templateFrom ?? []) {
      if (eqFold(tf.target, 'Annotations')) return `template.type="${SA_TOKEN}" with templateFrom target="Annotations" is not allowed`;
    }
  }
  if (tpl.type === BOOTSTRAP_TOKEN) return `template.type="${BOOTSTRAP_TOKEN}" is not allowed`;
  return undefined;
}

function templateFromTargetErrors(tpl: ExternalSecretTemplate | undefined): string[] {
  const out: string[] = [];
  for (const tf of tpl?.templateFrom ?? []) {
    const t = tf.target ?? '';
    if (t === '' || eqFold(t, 'Data') || eqFold(t, 'Annotations') || eqFold(t, 'Labels')) continue;
    out.push(`templateFrom target=${JSON.stringify(t)} is not allowed when targeting a Secret, must be one of "Data", "Annotations" or "Labels"`);
  }
  return out;
}

/** ESO's ValidateSecretTemplate (run by the controller before mutating): messages, empty when valid. */
export function secretTemplateErrors(tpl: ExternalSecretTemplate | undefined): string[] {
  const p = privilegedTemplateError(tpl);
  return [...(p ? [p] : []), ...templateFromTargetErrors(tpl)];
}

/** ESO's ExternalSecret admission webhook: every message, in ESO's order; empty when the ES is admitted. */
export function externalSecretErrors(es: ExternalSecret, opts: { includeTemplate?: boolean } = {}): string[] {
  const errs: string[] = [];
  const { creationPolicy, deletionPolicy } = es.spec.target;
  if (deletionPolicy === 'Delete' && (creationPolicy === 'Merge' || creationPolicy === 'None' || creationPolicy === 'CreateOrMerge')) {
    errs.push("deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner");
  }
  if (deletionPolicy === 'Merge' && creationPolicy === 'None') {
    errs.push('deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with');
  }
  if ((es.spec.data ?? []).length === 0 && (es.spec.dataFrom ?? []).length === 0) {
    errs.push('either data or dataFrom should be specified');
  }
  if (opts.includeTemplate !== false) {
    const p = privilegedTemplateError(es.spec.target.template);
    if (p) errs.push(p);
    errs.push(...templateFromTargetErrors(es.spec.target.template));
  }
  for (const ref of es.spec.dataFrom ?? []) {
    const gen = ref.sourceRef?.generatorRef !== undefined;
    const n = [ref.find !== undefined, ref.extract !== undefined, gen].filter(Boolean).length;
    if (n > 1) errs.push('extract, find, or generatorRef cannot be set at the same time');
    if (ref.find === undefined && ref.extract === undefined && ref.sourceRef === undefined) {
      errs.push('either extract, find, or sourceRef must be set to dataFrom');
    }
    if (ref.sourceRef !== undefined && ref.sourceRef.generatorRef === undefined && ref.sourceRef.storeRef === undefined) {
      errs.push('generatorRef or storeRef must be set when using sourceRef in dataFrom');
    }
  }
  if (deletionPolicy === 'Retain') {
    const seen = new Set<string>();
    for (const d of es.spec.data ?? []) {
      if (seen.has(d.secretKey)) errs.push(`duplicate secretKey found: ${d.secretKey}`);
      seen.add(d.secretKey);
    }
  }
  return errs;
}

/** Throws the webhook's joined error when ESO's admission webhook would reject the ExternalSecret. */
export function validateExternalSecret(es: ExternalSecret): void {
  const errs = externalSecretErrors(es);
  if (errs.length > 0) throw new EsoError('invalid', errs.join('\n'), 'spec');
}

/** The provider-independent part of ESO's store admission: the conditions' namespace regexes. */
export function storeConditionErrors(store: SecretStore): string[] {
  const errs: string[] = [];
  for (const [ci, c] of (store.spec.conditions ?? []).entries()) {
    for (const [ri, r] of (c.namespaceRegexes ?? []).entries()) {
      try {
        compileGoRegexp(r);
      } catch (e) {
        if (e instanceof RegexpBudgetExceeded) throw e;
        errs.push(`failed to compile ${ri}th namespace regex in ${ci}th condition: ${(e as Error).message}`);
      }
    }
  }
  return errs.length > 0 ? [errs.join('\n')] : [];
}
