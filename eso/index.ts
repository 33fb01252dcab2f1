/** ESO's semantics as a pure library: types, parsing + defaults, data assembly, writing semantics. */
export * from './types.ts';
export { parseExternalSecret, parseSecretStoreWith, type StoreProviderSpec, type ProviderFields } from './parse.ts';
export { newDataMap, type SecretsClient, type SecretDataMap, type ClientResolver, type ClientFactory } from './provider.ts';
export { EsoError, wrapError, isNoSecretError, errorField } from './errors.ts';
export { assembleSecretData, postProcessMap, storeRefFor, externalSecretStoreRefs, type AssembleOptions, type PostProcessOptions } from './assemble.ts';
export {
  buildSecret,
  withManagedLabel,
  targetName,
  esNamespace,
  fieldManagerFor,
  managedKeys,
  LABEL_MANAGED,
  LABEL_CREATED_BY,
  ANNOTATION_DATA_HASH,
  ES_FINALIZER,
  type SecretOutcome,
  type WriteContext,
} from './secret.ts';
export { renderExternalSecret, storeResolver, type RenderInput, type RenderResult } from './render.ts';
export {
  shouldRefresh,
  isSecretValid,
  needsSync,
  requeueAfter,
  resourceVersionOf,
  refreshAllowedByWindows,
  parseGoDuration,
  type ExternalSecretSyncStatus,
} from './refresh.ts';
export { validateExternalSecret, externalSecretErrors, secretTemplateErrors, storeConditionErrors } from './validate.ts';
export { storeAllowsNamespace, storeIsManaged, labelSelectorMatches, conditionDeniedMessage } from './conditions.ts';
export { compileGoRegexp, goMatchString, goReplaceAllString, GoRegexpError, RegexpBudgetExceeded, withRegexpBudget, loadRegexpEngine, type GoRegexp } from './goregexp.ts';
export { goQuote } from '../core/go/strconv.ts';
export { applyRewrites } from './rewrite.ts';
export { convertKeys, convertKey, validateKeys } from './keys.ts';
export { decode, decodeMap, goBase64Decode } from './decoding.ts';
export { dataHash, createdByHash, compareBytes } from './hash.ts';
export type { TemplateEngine, WorkingSecret, TemplateScope } from './templating.ts';
export { compileFindRegexp, type FindRegexp } from './find.ts';
// What provider semantics (providers/<name>/) build on: property paths and Go's JSON as ESO's providers use them.
export { awsExtractMap, awsPropertyOf, azurePropertyOf, fakePropertyOf, vaultExtractMap, vaultValueOf } from './gjson/index.ts';
export { compareGoStrings, GoJsonError, GoNumber, marshal, unmarshalAny, type GoValue } from './gojson/index.ts';
export { ES_CONDITION, ES_MESSAGE, ES_EVENT, STORE_CONDITION, kubeTime, setCondition, failureConditionMessage, type StatusCondition } from './status.ts';
