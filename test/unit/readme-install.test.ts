// The real-pod suite installs esi by running the README's install commands (test/harness/pods/esi.ts);
// this pins what it reads from the README, so an edit that breaks the extraction fails here, not as a
// puzzling install on the pod cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRD_PLACEHOLDER, readmeInstallCommands } from '../harness/pods/readme-install.ts';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe("the README's install commands", () => {
  it('are read from the install section as two routes sharing the CRD step', () => {
    const r = readmeInstallCommands(readme);
    expect(r.helm).toEqual([
      `kubectl apply --server-side -f ${CRD_PLACEHOLDER}`,
      'kubectl create namespace esi-system',
      'kubectl label namespace esi-system pod-security.kubernetes.io/enforce=restricted',
      'helm install esi deploy/helm/esi --namespace esi-system',
    ]);
    expect(r.manifests).toEqual([`kubectl apply --server-side -f ${CRD_PLACEHOLDER}`, 'kubectl apply -f deploy/manifests/esi.yaml']);
  });

  it('fail loudly when the section loses its block or a route', () => {
    expect(() => readmeInstallCommands('# x\n## Install into a cluster\nno block\n## Next\n')).toThrow(/no ```sh block/);
    expect(() => readmeInstallCommands('## Install into a cluster\n```sh\nkubectl apply -f x\n```\n## Next\n')).toThrow(/lost its Helm/);
  });
});
