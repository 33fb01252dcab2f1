// The plain install manifests are accepted by a real kube-apiserver (schemas, CEL matchConditions,
// RBAC), checked by dry-run creation. cert-manager's kinds are skipped: its CRDs are not installed here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { adminAccess, kubeRaw } from '../harness/index.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
const PLURAL: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  Service: 'services',
  Deployment: 'deployments',
  PodDisruptionBudget: 'poddisruptionbudgets',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
};

function pathFor(o: Obj): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${PLURAL[o.kind]}`;
}

describe('deploy/manifests/esi.yaml', () => {
  it('is accepted by the apiserver, object by object (dry run)', async () => {
    const objects = parseAllDocuments(readFileSync(join(import.meta.dirname, '../../deploy/manifests/esi.yaml'), 'utf8'))
      .map((d) => d.toJS() as Obj)
      .filter((o) => o && !o.apiVersion.startsWith('cert-manager.io/'));
    expect(objects.map((o) => o.kind).sort()).toEqual(Object.keys(PLURAL).sort());
    // namespaced dry-run creates need the namespace to exist
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    const made = await kubeRaw(adminAccess(), 'POST', '/api/v1/namespaces', ns);
    expect([201, 409]).toContain(made.status);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      const r = await kubeRaw<{ message?: string }>(adminAccess(), 'POST', `${pathFor(o)}?dryRun=All&fieldValidation=Strict`, o);
      expect({ kind: o.kind, status: r.status, message: r.body?.message }).toEqual({ kind: o.kind, status: 201, message: undefined });
    }
  });
});
