/**
 * The checks the apiserver would make on the parts of a pod esi touches, run on every result so a
 * broken mutation is caught here (and by the property test) rather than by a failed pod create.
 */
import type { Pod } from '../core/index.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function podProblems(pod: Pod): string[] {
  const problems: string[] = [];
  const spec = pod.spec;
  if (!Array.isArray(spec?.containers) || spec.containers.length === 0) return ['spec.containers: required'];
  const names = new Set<string>();
  const volumes = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (volumes.has(v.name)) problems.push(`spec.volumes: duplicate name ${JSON.stringify(v.name)}`);
    volumes.add(v.name);
  }
  for (const field of ['initContainers', 'containers'] as const) {
    for (const [i, c] of (spec[field] ?? []).entries()) {
      const where = `spec.${field}[${i}]`;
      if (!DNS1123_LABEL.test(c.name) || c.name.length > 63) problems.push(`${where}.name: invalid ${JSON.stringify(c.name)}`);
      if (names.has(c.name)) problems.push(`${where}.name: duplicate ${JSON.stringify(c.name)}`);
      names.add(c.name);
      if (c.restartPolicy !== undefined && (field === 'containers' || c.restartPolicy !== 'Always')) {
        problems.push(`${where}.restartPolicy: only "Always" on init containers is allowed`);
      }
      if (c.startupProbe && field === 'initContainers' && c.restartPolicy !== 'Always') {
        problems.push(`${where}.startupProbe: only allowed on native sidecars`);
      }
      const paths = new Set<string>();
      for (const [j, m] of (c.volumeMounts ?? []).entries()) {
        if (!volumes.has(m.name)) problems.push(`${where}.volumeMounts[${j}].name: volume ${JSON.stringify(m.name)} not found`);
        if (paths.has(m.mountPath)) problems.push(`${where}.volumeMounts[${j}].mountPath: ${JSON.stringify(m.mountPath)} must be unique`);
        paths.add(m.mountPath);
      }
    }
  }
  return problems;
}
