/**
 * Value selection and serialisation shared by the providers (ESO-SEMANTICS §7, §9), re-exported from
 * the gjson/gojson engine so providers have one import. Kept for callers of the first cut.
 */
export { fakePropertyOf, awsPropertyOf, vaultValueOf, vaultExtractMap, awsExtractMap } from './gjson/index.ts';
