/**
 * The agent's configuration: resolved at admission by the injector (webhook or `esi inject`), carried in
 * the pod annotation AGENT_CONFIG_ANNOTATION as JSON, and read by the agent from a downward-API file.
 * It is value-free: ExternalSecrets and stores as the cluster has them, never a credential. (The ESO
 * `fake` provider keeps its demo values in the store spec itself; that is the one exception, and it is
 * for demos and tests.) One type, produced in one place (injector) and consumed in one place (agent).
 */
import type { ExternalSecret, SecretStore } from '../eso/index.ts';
import type { AGENT_CONFIG_VERSION } from './pod.ts';

export interface AgentExternalSecret {
  /** The ExternalSecret as resolved (defaults applied). Inline shorthand yields a synthesized one. */
  externalSecret: ExternalSecret;
  /** Directory under the mount path for its files; '' writes the keys at the mount path itself. */
  dir: string;
  /** Write the ExternalSecret's target Secret too (esi.dev/sync-secret). */
  syncSecret: boolean;
  /**
   * Also write a `.env`-style file of this name in the ExternalSecret's directory (`KEY='value'` lines,
   * shell-quoted; keys made into valid variable names), for apps that source env. Optional; agent ≥ 0.1.
   */
  envFile?: string;
}

export interface OnChange {
  /** Send a signal to a container's main process (needs shareProcessNamespace). */
  signal?: { signal: string; container: string };
  /** POST to a local URL after a rotation. */
  url?: string;
}

export interface AgentConfig {
  version: typeof AGENT_CONFIG_VERSION;
  pod: { namespace: string; name?: string; serviceAccountName: string };
  /** Where the app containers see the files (`esi.dev/mount-path`). */
  mountPath: string;
  /** File permission bits of the secret files (`esi.dev/file-mode`), e.g. 0o440. */
  fileMode: number;
  /** Overrides every ExternalSecret's refreshInterval (`esi.dev/refresh-interval`), Go duration text. */
  refreshInterval?: string;
  onChange?: OnChange;
  externalSecrets: AgentExternalSecret[];
  /** Every store the ExternalSecrets reference, keyed `<Kind>/<name>`. */
  stores: Record<string, SecretStore>;
  /** Labels of the pod's namespace, for ClusterSecretStore `conditions` (ESO's namespaceSelector). */
  namespaceLabels?: Record<string, string>;
  /**
   * Projected service-account token files the injector mounted, by provider name (`vault` →
   * `/var/run/secrets/esi.dev/vault/token`): the agent gives each provider its own (ProviderContext).
   */
  serviceAccountTokens?: Record<string, string>;
  /**
   * How long files may go without a successful refresh before the agent's /readyz fails and a
   * `SecretStale` Event is recorded (Go duration). Default: 3 × refreshInterval, at least 5m. Optional.
   */
  staleAfter?: string;
  /**
   * esi's controller class: the agent writes a Secret (syncSecret) only for stores whose
   * `spec.controller` equals it. Default `esi`. Optional.
   */
  controllerClass?: string;
}

export function storeKey(kind: string, name: string): string {
  return `${kind || 'SecretStore'}/${name}`;
}
