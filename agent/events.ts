/**
 * Kubernetes Events on the agent's Pod: what a user must act on (SecretSyncFailed, SecretStale) and
 * rotations (SecretRotated). The Pod is named by the downward API (env ESI_POD_NAME / ESI_POD_UID, set
 * by the injector) or the config; without a name or an API client, Events are only logged.
 */
import { ENV, EVENT_EXTERNAL_SECRET_ANNOTATION, STATUS_REPORT, type AgentConfig } from '../contract/index.ts';
import type { AgentEvent } from './agent.ts';
import { kubeError, type KubeClient } from '../kube/index.ts';

export const ENV_POD_NAME = ENV.podName;
export const ENV_POD_UID = ENV.podUid;
export const EVENT_COMPONENT = STATUS_REPORT.component;

/**
 * A sync result of an esi-managed ExternalSecret, reported as an Event on the ExternalSecret itself: it
 * shows in `kubectl describe externalsecret` with ESO's reasons and texts, and the webhook's controller
 * turns it into the ExternalSecret's status. Only names and ESO's texts, never a value.
 */
export interface StatusReport {
  externalSecret: { name: string; namespace: string; uid: string };
  type: 'Normal' | 'Warning';
  /** ESO's Event reason (Created, Updated, Deleted, UpdateFailed) or STATUS_REPORT.syncedReason. */
  reason: string;
  message: string;
  ready: boolean;
  conditionReason: string;
  conditionMessage: string;
  version: string;
  /** When the sync started (RFC 3339, whole seconds). */
  syncedAt: string;
  binding?: string;
}

/**
 * What every Event the agent posts carries besides its object: the message cut to 1024 characters (the
 * API's limit on an Event note), this agent as the reporter, and one occurrence at `now` (whole seconds).
 */
function eventFields(e: { reason: string; message: string; type: string }, reporter: string, now: Date): Record<string, unknown> {
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    reason: e.reason,
    message: e.message.length > 1024 ? `${e.message.slice(0, 1021)}...` : e.message,
    type: e.type,
    source: { component: EVENT_COMPONENT },
    reportingComponent: 'esi.dev/agent',
    reportingInstance: reporter,
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  };
}

export function externalSecretEvent(r: StatusReport, pod: { namespace: string; name: string }, now: Date): Record<string, unknown> {
  const a = STATUS_REPORT.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      generateName: `${r.externalSecret.name}.`,
      namespace: r.externalSecret.namespace,
      annotations: {
        [a.pod]: pod.name,
        [a.version]: r.version,
        [a.ready]: r.ready ? 'True' : 'False',
        [a.reason]: r.conditionReason,
        [a.message]: r.conditionMessage,
        [a.syncedAt]: r.syncedAt,
        ...(r.binding ? { [a.binding]: r.binding } : {}),
      },
    },
    involvedObject: { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: r.externalSecret.name, namespace: r.externalSecret.namespace, uid: r.externalSecret.uid },
    ...eventFields(r, pod.name, now),
  };
}

export async function postExternalSecretEvent(kube: KubeClient, r: StatusReport, pod: { namespace: string; name: string }, now = new Date()): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(r.externalSecret.namespace)}/events`;
  const res = await kube.send('POST', path, externalSecretEvent(r, pod, now));
  if (res.status < 200 || res.status >= 300) throw kubeError('POST', path, res);
}

export function podEvent(e: AgentEvent, pod: { namespace: string; name: string; uid?: string }, now: Date): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${pod.name}.`, namespace: pod.namespace, annotations: { [EVENT_EXTERNAL_SECRET_ANNOTATION]: e.externalSecret } },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, ...(pod.uid ? { uid: pod.uid } : {}) },
    ...eventFields(e, pod.name, now),
  };
}

export function podIdentity(config: AgentConfig, env: Record<string, string | undefined>): { namespace: string; name: string; uid?: string } | undefined {
  const name = env[ENV_POD_NAME] || config.pod.name || env['HOSTNAME'];
  if (!name) return undefined;
  const uid = env[ENV_POD_UID];
  return { namespace: config.pod.namespace, name, ...(uid ? { uid } : {}) };
}

export async function postPodEvent(kube: KubeClient, e: AgentEvent, pod: { namespace: string; name: string; uid?: string }, now = new Date()): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`;
  const r = await kube.send('POST', path, podEvent(e, pod, now));
  if (r.status < 200 || r.status >= 300) throw kubeError('POST', path, r);
}
