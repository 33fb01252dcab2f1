/**
 * AWS Secrets Manager over the AWS SDK v3 (`@aws-sdk/client-secrets-manager`, imported when a store uses it),
 * with the pod's own identity (../credentials.ts). Endpoint: AWS_ENDPOINT_URL_SECRETS_MANAGER >
 * AWS_SECRETSMANAGER_ENDPOINT (ESO's) > AWS_ENDPOINT_URL.
 */
import type { SecretStore } from '../../../eso/index.ts';
import type { ProviderContext, StoreSession, SyncClient } from '../../context.ts';
import { secretsManagerEndpoint } from '../config.ts';
import { awsIdentity, cjsNamespace } from '../credentials.ts';
import { limitResponseSize } from '../response-limit.ts';
import { AwsSecretsManagerClient, type AwsSecretsManagerApi } from './eso.ts';

export async function openSecretsManagerStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession> {
  const prov = store.spec.provider.aws!;
  const [id, sm] = await Promise.all([awsIdentity(store, ctx), import('@aws-sdk/client-secrets-manager').then(cjsNamespace)]);
  const smEndpoint = secretsManagerEndpoint(ctx.env);
  const client = new sm.SecretsManagerClient({
    region: id.region,
    credentials: id.credentials,
    ...(smEndpoint ? { endpoint: smEndpoint } : { ignoreConfiguredEndpointUrls: true }),
    requestHandler: id.requestHandler,
    maxAttempts: 3,
  });
  limitResponseSize(client, 'Secrets Manager');
  ctx.logger?.debug({ store: `${store.kind}/${store.metadata.name}`, service: 'SecretsManager', identity: id.source, roles: id.roles }, 'aws store opened');

  const opts = id.callOptions;
  const api: AwsSecretsManagerApi = {
    getSecretValue: (input) => client.send(new sm.GetSecretValueCommand(input), opts()),
    describeSecret: (input) => client.send(new sm.DescribeSecretCommand(input), opts()),
    listSecrets: (input) => client.send(new sm.ListSecretsCommand(input), opts()),
    batchGetSecretValue: (input) => client.send(new sm.BatchGetSecretValueCommand(input), opts()),
  };
  // Once the identity has been refused BatchGetSecretValue, later syncs go straight to GetSecretValue.
  let batchAllowed = true;
  const now = () => (ctx.now ?? Date.now)() / 1000;

  return {
    forSync(): SyncClient {
      const c = new AwsSecretsManagerClient(api, {
        prefix: prov.prefix ?? '',
        batch: batchAllowed,
        now,
        onCall: (op, outcome, seconds) => {
          ctx.metrics?.('aws', op, outcome, seconds);
          ctx.logger?.debug({ backend: 'aws', op, outcome }, 'backend call');
        },
      });
      return {
        getSecret: (ref) => c.getSecret(ref),
        getSecretMap: (ref) => c.getSecretMap(ref),
        getAllSecrets: (find) => c.getAllSecrets(find),
        prefetch: async (refs) => {
          await c.prefetch(refs);
          if (!c.batching) batchAllowed = false;
        },
      };
    },
    async close() {
      client.destroy();
    },
  };
}

