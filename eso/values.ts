/**
 * Value selection and serialisation shared by the providers (ESO v2.9.0 providers/v1/aws/secretsmanager, providers/v1/vault), re-exported from
 * the gjson/gojson engine so providers have one import. Kept for callers of the first cut.
 */
export { fakePropertyOf, awsPropertyOf, vaultValueOf, vaultExtractMap, awsExtractMap } from './gjson/index.ts';
