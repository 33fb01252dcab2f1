/**
 * The pod's own AWS identity for a store, shared by every AWS service (Secrets Manager, Parameter Store).
 * The SDK's credential module is imported lazily (only when a store uses AWS). Credentials follow the SDK's Node default chain, evaluated against
 * `ctx.env` (not the process environment), then ESO's store role chaining:
 *
 *   store auth.secretRef (delivered as ESI_AWS_*_<store> env)             → static keys
 *   else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (unless AWS_PROFILE)     → static keys from env
 *   else AWS_PROFILE / shared config files                                → fromIni (workstations)
 *   else AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN                       → IRSA (STS AssumeRoleWithWebIdentity)
 *   else AWS_CONTAINER_CREDENTIALS_FULL_URI/RELATIVE_URI (+ token file)   → EKS Pod Identity / ECS
 *   else IMDS unless AWS_EC2_METADATA_DISABLED=true
 *   then AssumeRole through `additionalRoles` in order, then `role` (with externalID, sessionTags,
 *   transitiveTagKeys), each with the previous credentials.
 *
 * STS (web identity and AssumeRole): AWS_ENDPOINT_URL_STS > AWS_STS_ENDPOINT (ESO's) > AWS_ENDPOINT_URL.
 */
import { EsiError } from '../../core/index.ts';
import type { SecretStore } from '../../eso/index.ts';
import { DEFAULT_TIMEOUT_MS, envNamesFor, type ProviderContext } from '../context.ts';
import { AWS_CREDENTIALS, awsIdentitySource, roleSessionName, set, sharedConfigExists, sharedFiles, stsEndpoint, type AwsIdentitySource } from './config.ts';

export type CredentialProvider = () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>;

export interface AwsIdentity {
  region: string;
  credentials: CredentialProvider;
  source: AwsIdentitySource;
  /** AssumeRole steps after the base credentials. */
  roles: number;
  timeoutMs: number;
  /** The SDK client options every service client of this store shares: request timeouts and retries. */
  requestHandler: { connectionTimeout: number; requestTimeout: number };
  /** Abort options for one call: the context's signal, and three timeouts (the SDK's retries) at most. */
  callOptions(): { abortSignal: AbortSignal };
}

export async function awsIdentity(store: SecretStore, ctx: ProviderContext): Promise<AwsIdentity> {
  const prov = store.spec.provider.aws!;
  const env = ctx.env;
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const region = prov.region;
  const sts = stsEndpoint(env);
  // When no endpoint is configured in ctx.env, stop the SDK from consulting the process environment.
  const stsClientConfig = {
    region,
    ...(sts ? { endpoint: sts } : { ignoreConfiguredEndpointUrls: true }),
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  };

  const creds = await import('@aws-sdk/credential-providers').then(cjsNamespace);

  const source = awsIdentitySource(prov, env);
  let base: CredentialProvider;
  if (source === 'store-secretRef') {
    const names = envNamesFor(AWS_CREDENTIALS, store.kind, store.metadata.name);
    const accessKeyId = set(env, names.awsAccessKeyId);
    const secretAccessKey = set(env, names.awsSecretAccessKey);
    if (!accessKeyId || !secretAccessKey) {
      throw new EsiError(
        'aws-static-credentials',
        `${store.kind} ${store.metadata.name}: auth.secretRef credentials are not in the environment (expected ${names.awsAccessKeyId} and ${names.awsSecretAccessKey}, set by the injector from secretKeyRef)`,
      );
    }
    const sessionToken = set(env, names.awsSessionToken);
    base = async () => ({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
  } else if (source === 'env-keys') {
    const accessKeyId = set(env, 'AWS_ACCESS_KEY_ID')!;
    const secretAccessKey = set(env, 'AWS_SECRET_ACCESS_KEY')!;
    const sessionToken = set(env, 'AWS_SESSION_TOKEN');
    base = async () => ({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
  } else if (source === 'profile') {
    const f = sharedFiles(env);
    base = creds.fromIni({ profile: set(env, 'AWS_PROFILE') ?? 'default', filepath: f.credentials, configFilepath: f.config, clientConfig: stsClientConfig });
  } else if (source === 'irsa') {
    base = creds.fromTokenFile({
      webIdentityTokenFile: set(env, 'AWS_WEB_IDENTITY_TOKEN_FILE'),
      roleArn: set(env, 'AWS_ROLE_ARN'),
      roleSessionName: set(env, 'AWS_ROLE_SESSION_NAME') ?? roleSessionName(ctx.namespace),
      clientConfig: stsClientConfig,
    });
  } else if (source === 'container') {
    base = creds.fromHttp({
      awsContainerCredentialsFullUri: set(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI'),
      awsContainerCredentialsRelativeUri: set(env, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'),
      awsContainerAuthorizationTokenFile: set(env, 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'),
      awsContainerAuthorizationToken: set(env, 'AWS_CONTAINER_AUTHORIZATION_TOKEN'),
    });
  } else {
    if (set(env, 'AWS_EC2_METADATA_DISABLED') === 'true') {
      base = async () => {
        throw new EsiError(
          'aws-no-credentials',
          'no AWS credentials: none of static keys, a profile, IRSA (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) or Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI) is configured, and IMDS is disabled',
        );
      };
    } else base = creds.fromInstanceMetadata({ timeout: 1000, maxRetries: 1 });
  }
  if (source !== 'store-secretRef' && source !== 'env-keys' && source !== 'profile' && sharedConfigExists(env)) {
    // The SDK's chain reads the default profile before web identity and container credentials.
    const f = sharedFiles(env);
    const ini = creds.fromIni({ profile: 'default', filepath: f.credentials, configFilepath: f.config, clientConfig: stsClientConfig });
    const next = base;
    base = async () => {
      try {
        return await ini();
      } catch {
        return next();
      }
    };
  }

  // ESO: additionalRoles are assumed in order, then `role` with externalID and session tags.
  let credentials: CredentialProvider = base;
  const chain = [...(prov.additionalRoles ?? []).map((arn) => ({ arn, final: false })), ...(prov.role ? [{ arn: prov.role, final: true }] : [])];
  for (const step of chain) {
    const tags = step.final ? (prov.sessionTags ?? []).map((t) => ({ Key: t.key, Value: t.value })) : [];
    credentials = creds.fromTemporaryCredentials({
      masterCredentials: credentials,
      params: {
        RoleArn: step.arn,
        RoleSessionName: roleSessionName(ctx.namespace),
        ...(step.final && prov.externalID ? { ExternalId: prov.externalID } : {}),
        ...(tags.length ? { Tags: tags } : {}),
        ...(step.final && tags.length && prov.transitiveTagKeys?.length ? { TransitiveTagKeys: prov.transitiveTagKeys } : {}),
      },
      clientConfig: stsClientConfig,
    });
  }

  const requestHandler = { connectionTimeout: timeoutMs, requestTimeout: timeoutMs };
  const callOptions = () => ({ abortSignal: ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs * 3)]) : AbortSignal.timeout(timeoutMs * 3) });
  return { region, credentials, source, roles: chain.length, timeoutMs, requestHandler, callOptions };
}

/** A code-split bundle exposes a CommonJS package only as the chunk's default export. */
export function cjsNamespace<T extends object>(m: T): T {
  const d = (m as { default?: unknown }).default;
  return Object.keys(m).length <= 2 && d && typeof d === 'object' ? (d as T) : m;
}
