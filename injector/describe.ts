/** One readable line per thing a plan adds (for the demo and `esi inject --explain`-style output). */
import { AGENT_CONFIG_ANNOTATION } from '../contract/index.ts';
import type { Plan } from './plan.ts';

export function describePlan(plan: Plan): string[] {
  const lines: string[] = [];
  for (const c of plan.initContainers) {
    const mode = c.args?.[c.args.length - 1] ?? '';
    const kind = c.restartPolicy === 'Always' ? `native sidecar${c.startupProbe ? ' with a startup probe gating the app until the first sync' : ''}` : 'init container (first sync, then exits)';
    lines.push(`+ init container ${c.name} (${kind}, agent --mode ${mode}, image ${c.image})`);
  }
  for (const c of plan.containers) lines.push(`+ container ${c.name} (classic sidecar, agent --mode sidecar, image ${c.image})`);
  for (const v of plan.volumes) {
    const audience = (v.projected?.sources[0] as { serviceAccountToken?: { audience?: string } } | undefined)?.serviceAccountToken?.audience;
    const token = `projected service-account token${audience ? ` (audience ${audience})` : ''} for the agent's backend login`;
    const what = v.emptyDir ? 'emptyDir medium Memory (tmpfs) for the secret files' : v.downwardAPI ? `downward-API file with the ${AGENT_CONFIG_ANNOTATION} annotation` : token;
    lines.push(`+ volume ${v.name}: ${what}`);
  }
  for (const m of plan.mounts) lines.push(`+ mount ${m.mount.name} at ${m.mount.mountPath} (read-only) in container ${m.container}`);
  const es = plan.agentConfig.externalSecrets.map((e) => (e.dir === '' ? 'inline secrets' : e.externalSecret.metadata.name));
  lines.push(`+ annotation ${AGENT_CONFIG_ANNOTATION}: ${es.join(', ')} from ${Object.keys(plan.agentConfig.stores).join(', ')}`);
  if (plan.shareProcessNamespace) lines.push('+ shareProcessNamespace: true (for the on-change signal)');
  return lines;
}
