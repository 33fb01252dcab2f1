/**
 * The value-free part of an AWS store's connection: endpoint resolution, which credential link the
 * environment selects, the STS session name. Pure apart from checking whether shared config files exist.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsProvider } from '../../eso/index.ts';

export type Env = Record<string, string | undefined>;

/** Static keys a store names by `auth.secretRef` (ESO's AWS static credentials). */
export const AWS_CREDENTIALS = [
  { role: 'awsAccessKeyId', what: 'AWS_ACCESS_KEY_ID', path: 'auth.secretRef.accessKeyIDSecretRef' },
  { role: 'awsSecretAccessKey', what: 'AWS_SECRET_ACCESS_KEY', path: 'auth.secretRef.secretAccessKeySecretRef' },
  { role: 'awsSessionToken', what: 'AWS_SESSION_TOKEN', path: 'auth.secretRef.sessionTokenSecretRef' },
] as const;

/** Env of the pod's own identity (EKS Pod Identity, IRSA, region) the agent copies from the app containers. */
export const AWS_IDENTITY_ENV = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_SESSION_NAME',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
] as const;

/**
 * Where the AWS SDK and ESO send requests: the SDK's endpoint settings
 * (docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html, feature-endpoints.html) and ESO's own
 * variables (pkg/provider/aws/auth/resolver.go). secretsManagerEndpoint, stsEndpoint and the SSM session read them.
 */
export const AWS_ENDPOINT_ENV = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_STS',
  'AWS_SECRETSMANAGER_ENDPOINT',
  'AWS_SSM_ENDPOINT',
  'AWS_STS_ENDPOINT',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
] as const;

export const set = (env: Env, k: string): string | undefined => {
  const v = env[k];
  return v === undefined || v === '' ? undefined : v;
};

export function secretsManagerEndpoint(env: Env): string | undefined {
  if (set(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') === 'true') return set(env, 'AWS_SECRETSMANAGER_ENDPOINT');
  return set(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER') ?? set(env, 'AWS_SECRETSMANAGER_ENDPOINT') ?? set(env, 'AWS_ENDPOINT_URL');
}

export function stsEndpoint(env: Env): string | undefined {
  if (set(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') === 'true') return set(env, 'AWS_STS_ENDPOINT');
  return set(env, 'AWS_ENDPOINT_URL_STS') ?? set(env, 'AWS_STS_ENDPOINT') ?? set(env, 'AWS_ENDPOINT_URL');
}

/** Which link of the default chain the environment selects (for logs and tests; names only). */
export type AwsIdentitySource = 'store-secretRef' | 'env-keys' | 'profile' | 'irsa' | 'container' | 'imds';

/**
 * The link the environment selects. A shared config file without AWS_PROFILE is tried first at run time
 * (the SDK's fromIni) and falls through to this link when it has no credentials.
 */
export function awsIdentitySource(prov: AwsProvider, env: Env): AwsIdentitySource {
  if (prov.auth?.secretRef) return 'store-secretRef';
  if (!set(env, 'AWS_PROFILE') && set(env, 'AWS_ACCESS_KEY_ID') && set(env, 'AWS_SECRET_ACCESS_KEY')) return 'env-keys';
  if (set(env, 'AWS_PROFILE')) return 'profile';
  if (set(env, 'AWS_WEB_IDENTITY_TOKEN_FILE') && set(env, 'AWS_ROLE_ARN')) return 'irsa';
  if (set(env, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') || set(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI')) return 'container';
  return 'imds';
}

export function sharedFiles(env: Env): { credentials: string; config: string } {
  const home = set(env, 'HOME') ?? '/nonexistent';
  return {
    credentials: set(env, 'AWS_SHARED_CREDENTIALS_FILE') ?? join(home, '.aws', 'credentials'),
    config: set(env, 'AWS_CONFIG_FILE') ?? join(home, '.aws', 'config'),
  };
}

export function sharedConfigExists(env: Env): boolean {
  const f = sharedFiles(env);
  return existsSync(f.credentials) || existsSync(f.config);
}

/** RoleSessionName: `esi-<namespace>`, within STS's 64 characters of [\w+=,.@-]. */
export function roleSessionName(namespace: string): string {
  return `esi-${namespace}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

