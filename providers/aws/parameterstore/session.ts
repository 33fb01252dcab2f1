/**
 * AWS Systems Manager Parameter Store over the AWS SDK v3 (`@aws-sdk/client-ssm`, imported when a store
 * uses it), with the pod's own identity (../credentials.ts). Endpoint: AWS_ENDPOINT_URL_SSM >
 * AWS_SSM_ENDPOINT (ESO's) > AWS_ENDPOINT_URL.
 */
import type { SecretStore } from '../../../eso/index.ts';
import type { ProviderContext, StoreSession, SyncClient } from '../../context.ts';
import { set, type Env } from '../config.ts';
import { awsIdentity, cjsNamespace } from '../credentials.ts';
import { limitResponseSize } from '../response-limit.ts';
import { ParameterStoreClient, type ParameterStoreApi } from './eso.ts';

/** The SSM endpoint the environment names, like the SDK's service-specific variable and ESO's AWS_SSM_ENDPOINT. */
export function ssmEndpoint(env: Env): string | undefined {
  if (set(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') === 'true') return set(env, 'AWS_SSM_ENDPOINT');
  return set(env, 'AWS_ENDPOINT_URL_SSM') ?? set(env, 'AWS_SSM_ENDPOINT') ?? set(env, 'AWS_ENDPOINT_URL');
}

export async function openParameterStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession> {
  const prov = store.spec.provider.aws!;
  const [id, ssm] = await Promise.all([awsIdentity(store, ctx), import('@aws-sdk/client-ssm').then(cjsNamespace)]);
  const endpoint = ssmEndpoint(ctx.env);
  const client = new ssm.SSMClient({
    region: id.region,
    credentials: id.credentials,
    ...(endpoint ? { endpoint } : { ignoreConfiguredEndpointUrls: true }),
    requestHandler: id.requestHandler,
    maxAttempts: 3,
  });
  limitResponseSize(client, 'SSM');
  const storeId = `${store.kind}/${store.metadata.name}`;
  ctx.logger?.debug({ store: storeId, service: 'ParameterStore', identity: id.source, roles: id.roles }, 'aws store opened');

  const opts = id.callOptions;
  const api: ParameterStoreApi = {
    getParameter: (input) => client.send(new ssm.GetParameterCommand(input), opts()),
    getParameters: (input) => client.send(new ssm.GetParametersCommand(input), opts()),
    getParametersByPath: (input) => client.send(new ssm.GetParametersByPathCommand(input), opts()),
    describeParameters: (input) => client.send(new ssm.DescribeParametersCommand(input), opts()),
    listTagsForResource: (input) => client.send(new ssm.ListTagsForResourceCommand(input), opts()),
  };
  const now = () => (ctx.now ?? Date.now)() / 1000;

  return {
    forSync(): SyncClient {
      const c = new ParameterStoreClient(api, {
        prefix: prov.prefix ?? '',
        now,
        onCall: (op, outcome, seconds) => {
          ctx.metrics?.('aws', op, outcome, seconds);
          ctx.logger?.debug({ backend: 'aws', op, outcome }, 'backend call');
        },
        onFallback: (path) =>
          ctx.logger?.info({ store: storeId, path }, 'GetParametersByPath: access denied. using fallback to describe parameters. It is recommended to add ssm:GetParametersByPath permissions'),
      });
      return {
        getSecret: (ref) => c.getSecret(ref),
        getSecretMap: (ref) => c.getSecretMap(ref),
        getAllSecrets: (find) => c.getAllSecrets(find),
        prefetch: (refs) => c.prefetch(refs),
      };
    },
    async close() {
      client.destroy();
    },
  };
}
