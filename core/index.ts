export { EsiError, ValidationError, NoSecretError, NotAvailableError, isEsiError, describeError } from './errors.ts';
export { Sensitive } from './sensitive.ts';
export * from './kube.ts';
