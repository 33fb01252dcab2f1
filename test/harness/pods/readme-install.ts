// The README's install commands, as the real-pod suite runs them (installEsi in esi.ts) and a unit test
// pins them (test/unit/readme-install.test.ts): one parser, so the suite cannot drift from the README.

/** The README's stand-in for ESO's CRDs; the harness puts the directory it installed them from there. */
export const CRD_PLACEHOLDER = "<ESO's CRD bundle or directory>";

export interface ReadmeInstall {
  /** The CRD line (with its placeholder), then the Helm route, as the README's install block spells them. */
  helm: string[];
  /** The plain-manifests route. */
  manifests: string[];
}

/**
 * The install commands of the README: the first ```sh block under "## Install into a cluster", comments
 * and blank lines dropped, split at its "# with Helm" and "# or, without Helm" comment lines.
 */
export function readmeInstallCommands(readme: string): ReadmeInstall {
  const section = /^## Install into a cluster\n([\s\S]*?)^## /m.exec(readme)?.[1];
  const block = section && /^```sh\n([\s\S]*?)^```/m.exec(section)?.[1];
  if (!block) throw new Error('README.md: no ```sh block under "## Install into a cluster"');
  const out: ReadmeInstall = { helm: [], manifests: [] };
  let route: 'common' | 'helm' | 'manifests' = 'common';
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (/^# with Helm/i.test(line)) route = 'helm';
    else if (/^# or, without Helm/i.test(line)) route = 'manifests';
    if (line === '' || line.startsWith('#')) continue;
    const cmd = line.replace(/\s+#.*$/, '');
    if (route === 'common') {
      out.helm.push(cmd);
      out.manifests.push(cmd);
    } else out[route].push(cmd);
  }
  if (!out.helm.some((c) => c.startsWith('helm install ')) || out.manifests.length < 2) {
    throw new Error(`README.md: the install block lost its Helm or plain-manifests route: ${JSON.stringify(out)}`);
  }
  return out;
}

