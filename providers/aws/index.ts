/**
 * AWS (ESO providers/v1/aws): one `spec.provider.aws` block, one service folder per `service`, as ESO's
 * aws provider dispatches on it. A service's SDK loads when a store of it is opened.
 */
import { EsiError } from '../../core/index.ts';
import type { SecretStore } from '../../eso/index.ts';
import type { ProviderContext, StoreSession } from '../context.ts';
import type { Provider } from '../provider.ts';
import { AWS_CREDENTIALS, AWS_ENDPOINT_ENV, AWS_IDENTITY_ENV } from './config.ts';

export { AWS_CREDENTIALS, AWS_IDENTITY_ENV, awsIdentitySource, secretsManagerEndpoint, stsEndpoint, roleSessionName, type AwsIdentitySource } from './config.ts';

/** The services esi reads, by `spec.provider.aws.service`: one line each. */
const SERVICES: Record<string, (store: SecretStore, ctx: ProviderContext) => Promise<StoreSession>> = {
  SecretsManager: async (store, ctx) => (await import('./secretsmanager/session.ts')).openSecretsManagerStore(store, ctx),
  ParameterStore: async (store, ctx) => (await import('./parameterstore/session.ts')).openParameterStore(store, ctx),
};

export const aws: Provider = {
  name: 'aws',
  parseBlock(block, f) {
    f.reqString(block['service'], 'service');
    f.reqString(block['region'], 'region');
    block['sessionTagsPolicy'] ??= 'None';
  },
  credentials: AWS_CREDENTIALS,
  identityEnv: AWS_IDENTITY_ENV,
  endpointEnv: AWS_ENDPOINT_ENV,
  async open(store, ctx) {
    const service = store.spec.provider.aws!.service;
    const open = Object.hasOwn(SERVICES, service) ? SERVICES[service] : undefined;
    if (!open) throw new EsiError('aws-service', `AWS service ${service} is not supported by esi (supported: ${Object.keys(SERVICES).join(', ')})`);
    return open(store, ctx);
  },
};
