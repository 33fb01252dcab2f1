// The install manifests keep the webhook's safety properties (deploy/manifests/esi.yaml, rendered from
// deploy/helm/esi; re-rendered and compared when a helm binary is available: `npm test` provisions one,
// the harness's helm, before the unit tests run).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { podClusterPaths } from '../test/harness/components.mjs';
import { WEBHOOK_HELP } from '../cli/commands/webhook.ts';
import { CONTROLLER_LEASE } from './run.ts';

const root = join(import.meta.dirname, '..');
const docs = parseAllDocuments(readFileSync(join(root, 'deploy/manifests/esi.yaml'), 'utf8')).map((d) => d.toJS()) as {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: unknown;
}[];
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function helmBinary(): string | undefined {
  for (const c of [process.env['HELM'], podClusterPaths().helm]) if (c && existsSync(c)) return c;
  try {
    execFileSync('helm', ['version', '--short'], { stdio: 'ignore' });
    return 'helm';
  } catch {
    return undefined;
  }
}

describe('install manifests', () => {
  it('register a mutating webhook that only opted-in pods reach, failing closed, fast, idempotent', () => {
    const [cfg] = byKind('MutatingWebhookConfiguration') as Any[];
    expect(byKind('MutatingWebhookConfiguration')).toHaveLength(1);
    const w = cfg.webhooks[0];
    expect(w.name).toBe('inject.esi.dev');
    expect(w.objectSelector).toEqual({ matchLabels: { 'esi.dev/inject': 'true' } });
    expect(w.namespaceSelector.matchExpressions[0]).toMatchObject({ key: 'kubernetes.io/metadata.name', operator: 'NotIn' });
    expect(w.namespaceSelector.matchExpressions[0].values).toEqual(expect.arrayContaining(['kube-system', 'esi-system']));
    expect(w.failurePolicy).toBe('Fail');
    expect(w.sideEffects).toBe('None');
    expect(w.reinvocationPolicy).toBe('IfNeeded');
    expect(w.timeoutSeconds).toBeLessThanOrEqual(5);
    expect(w.admissionReviewVersions).toEqual(['v1']);
    expect(w.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    expect(w.matchConditions[0].name).toBe('not-a-mirror-pod');
    expect(w.clientConfig.service).toEqual({ name: 'esi', namespace: 'esi-system', path: '/mutate', port: 443 });
    // self-managed TLS: the webhook writes the caBundle itself
    expect(w.clientConfig.caBundle).toBeUndefined();
  });

  it('run two hardened replicas with a disruption budget, probes and flags esi webhook accepts', () => {
    const [dep] = byKind('Deployment') as Any[];
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template;
    expect(pod.metadata.labels['esi.dev/inject']).toBeUndefined();
    const c = pod.spec.containers[0];
    expect(c.args[0]).toBe('webhook');
    for (const arg of c.args.slice(1)) expect(WEBHOOK_HELP).toContain(`${arg.split('=')[0]} `);
    expect(c.args).toEqual(expect.arrayContaining(['--self-managed', '--namespace=esi-system', '--service=esi', '--webhook-config=esi']));
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(c.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.resources.limits.memory).toBeDefined();
    const [pdb] = byKind('PodDisruptionBudget') as Any[];
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
  });

  it('grant least privilege: read ESO objects and namespaces, watch and patch pods, no Secrets, no wildcards', () => {
    const [role] = byKind('ClusterRole') as Any[];
    const rules = role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    for (const r of rules) {
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.resources).not.toContain('secrets');
    }
    const verbs = (res: string) => rules.filter((r) => r.resources.includes(res)).flatMap((r) => r.verbs).sort();
    expect(verbs('externalsecrets')).toEqual(['get', 'list', 'watch']);
    expect(verbs('clustersecretstores')).toEqual(['get', 'list', 'watch']);
    expect(verbs('namespaces')).toEqual(['get', 'list', 'watch']);
    expect(verbs('pods')).toEqual(['list', 'patch', 'watch']);
    expect(verbs('configmaps')).toEqual(['get']);
    // Status of esi-class ExternalSecrets and stores, from the agents' Events (read only).
    expect(verbs('externalsecrets/status')).toEqual(['update']);
    expect(verbs('clustersecretstores/status')).toEqual(['update']);
    expect(verbs('events')).toEqual(['list', 'watch']);
    const mwc = rules.find((r) => r.resources.includes('mutatingwebhookconfigurations'))!;
    expect(mwc).toEqual({ apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['esi'], verbs: ['get', 'patch'] });
    // In esi's own namespace: the controller's Lease (leader election) and the self-managed TLS Secret.
    expect(byKind('Role')).toHaveLength(1);
    const [nsRole] = byKind('Role') as Any[];
    expect(nsRole.metadata.namespace).toBe('esi-system');
    expect(nsRole.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [CONTROLLER_LEASE], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['esi-tls'], verbs: ['get', 'update'] },
    ]);
    const [binding] = byKind('ClusterRoleBinding') as Any[];
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'esi', namespace: 'esi-system' }]);
    const [nsBinding] = byKind('RoleBinding') as Any[];
    expect(nsBinding.metadata.namespace).toBe('esi-system');
    expect(nsBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: nsRole.metadata.name });
    expect(nsBinding.subjects).toEqual(binding.subjects);
  });

  it('are what the chart renders', () => {
    const helm = helmBinary();
    if (!helm) {
      console.warn('[deploy] no helm binary ($HELM, the e2e cache from npm run e2e:prepare, or PATH): skipped re-rendering the chart');
      return;
    }
    const out = execFileSync(process.execPath, [join(root, 'deploy/helm/render.mjs'), '--check'], { env: { ...process.env, HELM: helm }, encoding: 'utf8', stdio: 'pipe' });
    expect(out).toBe('');
  });

  it('narrow the webhook to namespaces matching webhook.namespaceSelector, keeping the exclusions', () => {
    const helm = helmBinary();
    if (!helm) {
      console.warn('[deploy] no helm binary: skipped rendering webhook.namespaceSelector');
      return;
    }
    const out = execFileSync(helm, ['template', 'esi', join(root, 'deploy/helm/esi'), '--namespace', 'esi-system', '--kube-version', '1.33.0',
      '--show-only', 'templates/tls.yaml', '--set-json', 'webhook.namespaceSelector={"matchLabels":{"esi.dev/enabled":"true"},"matchExpressions":[{"key":"team","operator":"Exists"}]}'], { encoding: 'utf8' });
    const cfg = parseAllDocuments(out).map((d) => d.toJS() as Any).find((d) => d?.kind === 'MutatingWebhookConfiguration');
    const sel = cfg.webhooks[0].namespaceSelector;
    expect(sel.matchLabels).toEqual({ 'esi.dev/enabled': 'true' });
    expect(sel.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'esi-system', 'kube-node-lease', 'kube-public'] },
      { key: 'team', operator: 'Exists' },
    ]);
  });
});
