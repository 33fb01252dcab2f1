/** ESO's semantics as a pure library: types, parsing + defaults, data assembly, writing semantics. */
export * from './types.ts';
export { parseExternalSecret, parseSecretStore, providerOf } from './parse.ts';
export type { SecretsClient, SecretDataMap, ClientResolver, ClientFactory } from './provider.ts';
export { assembleSecretData, storeRefFor } from './assemble.ts';
export { buildSecret, targetName, LABEL_MANAGED, LABEL_CREATED_BY, ANNOTATION_DATA_HASH, type SecretOutcome } from './secret.ts';
export { dataHash, createdByHash } from './hash.ts';
export { FakeSecretsClient, validateFakeStore } from './providers/fake.ts';
export { decode } from './decoding.ts';
