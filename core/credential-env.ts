/**
 * How a store's static credentials (`secretRef`-style `{name, key}` selectors in `spec.provider`) reach
 * the agent: as `secretKeyRef` env vars resolved by the kubelet, never through the agent config. The
 * injector sets them; the agent (and `esi agent --pod`) reads them. One naming function for both.
 *
 *   credentialEnvName('SecretStore/aws-static', 'aws.auth.secretRef.accessKeyIDSecretRef')
 *     === 'ESI_CRED_SECRETSTORE_AWS_STATIC__AWS_AUTH_SECRETREF_ACCESSKEYIDSECRETREF'
 *
 * `path` is the selector's path under `spec.provider`, dot-separated, exactly as in the store.
 */
export function credentialEnvName(storeKey: string, path: string): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `ESI_CRED_${clean(storeKey)}__${clean(path)}`;
}

/** Env vars of the pod's own identity that the agent containers copy from the app containers. */
export const IDENTITY_ENV = [
  // EKS Pod Identity (container credentials endpoint)
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  // IRSA (web identity)
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_SESSION_NAME',
  'AWS_STS_REGIONAL_ENDPOINTS',
  // Region, set by both webhooks
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
] as const;
