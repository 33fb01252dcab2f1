// Installs the ESO CRDs (from ESI_ESO_CRDS, else the project's own deploy/crds/) with a plain create, then
// waits for Established and for discovery of every served version.
import { readdir, readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeApi, kubeRaw, type KubeAccess } from './kube-http.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const OWN_CRDS_DIR = join(repoRoot, 'deploy', 'crds');

export interface CrdInfo {
  /** 'own' (deploy/crds), or the basename of the ESI_ESO_CRDS directory, e.g. 'v2.9.0', 'v0.16.2'. */
  set: string;
  dir: string;
  /** Served versions of external-secrets.io, per plural resource. */
  served: Record<string, string[]>;
}

interface CrdDoc {
  kind?: string;
  metadata: { name: string };
  spec: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[] };
}

export function resolveCrdDir(env: string | undefined): { set: string; dir: string } {
  if (!env) return { set: 'own', dir: OWN_CRDS_DIR };
  const dir = isAbsolute(env) ? env : resolve(process.cwd(), env);
  return { set: basename(dir), dir };
}

export async function loadCrds(dir: string): Promise<CrdDoc[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const out: CrdDoc[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`CRD file ${join(dir, f)}: ${doc.errors[0]!.message}`);
      const v = doc.toJS() as CrdDoc | null;
      if (v?.kind === 'CustomResourceDefinition') out.push(v);
    }
  }
  if (out.length === 0) throw new Error(`no CustomResourceDefinition found in ${dir}`);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function installCrds(access: KubeAccess, dirEnv: string | undefined, timeoutMs = 60_000): Promise<CrdInfo> {
  const { set, dir } = resolveCrdDir(dirEnv);
  const crds = await loadCrds(dir);
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) {
    // A fresh etcd per run means no conflicts; a plain create sets no last-applied annotation (§2.2).
    await kubeApi(access, 'POST', base, crd);
  }
  const deadline = Date.now() + timeoutMs;
  const served: Record<string, string[]> = {};
  for (const crd of crds) {
    for (;;) {
      const r = await kubeRaw<{ status?: { conditions?: { type: string; status: string }[] } }>(access, 'GET', `${base}/${crd.metadata.name}`);
      const conds = r.body?.status?.conditions ?? [];
      const ok = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
      if (ok('Established') && ok('NamesAccepted')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established within ${timeoutMs / 1000}s`);
      await sleep(200);
    }
    served[crd.spec.names.plural] = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
  }
  // Discovery must list every served group version with its resources before anyone uses them.
  const byGv = new Map<string, string[]>();
  for (const crd of crds) {
    for (const v of crd.spec.versions.filter((x) => x.served)) {
      const gv = `${crd.spec.group}/${v.name}`;
      byGv.set(gv, [...(byGv.get(gv) ?? []), crd.spec.names.plural]);
    }
  }
  for (const [gv, plurals] of byGv) {
    for (;;) {
      const r = await kubeRaw<{ resources?: { name: string }[] }>(access, 'GET', `/apis/${gv}`);
      const names = new Set((r.body?.resources ?? []).map((x) => x.name));
      if (r.status === 200 && plurals.every((p) => names.has(p))) break;
      if (Date.now() > deadline) throw new Error(`discovery of ${gv} did not list ${plurals.join(', ')} within ${timeoutMs / 1000}s`);
      await sleep(200);
    }
  }
  return { set, dir, served };
}
