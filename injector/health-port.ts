/**
 * Which port the agent's health server (startup/readiness probes, metrics) listens on. A pod on the pod
 * network has its own port space, so the default serves every pod. A hostNetwork pod shares the node's:
 * two such pods with the same port on one node left the second agent in CrashLoopBackOff (EADDRINUSE).
 * There the injector picks a port from a range by hashing the workload's identity (namespace and name or
 * generateName, so a Deployment's replicas agree and reinvocation is stable), skipping ports the pod's
 * own containers declare, and declares it as a container port: with hostNetwork that is a host port, and
 * the scheduler then never places two pods wanting the same one on the same node
 * (kubernetes.io/docs/concepts/services-networking/#host-network, NodePorts filter plugin).
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../core/index.ts';
import { HEALTH } from '../contract/index.ts';

/** `userContainers`: the pod's containers without esi's own (whose port is the one being chosen). */
export function agentHealthPort(pod: Pod, userContainers: readonly Container[], namespace: string, requested: number | undefined, clusterDefault: number): number {
  if (requested !== undefined) return requested;
  if (pod.spec.hostNetwork !== true) return clusterDefault;
  const taken = new Set(userContainers.flatMap((c) => (c.ports ?? []).flatMap((p) => [p.containerPort, p.hostPort ?? p.containerPort])));
  const who = `${namespace}/${pod.metadata.name || pod.metadata.generateName || ''}`;
  const { first, count } = HEALTH.hostNetworkRange;
  const start = createHash('sha256').update(who).digest().readUInt32BE(0) % count;
  for (let i = 0; i < count; i++) {
    const port = first + ((start + i) % count);
    if (!taken.has(port)) return port;
  }
  return clusterDefault;
}
