#!/usr/bin/env node
// Renders the plain manifests in deploy/manifests/ from the Helm chart (needs a helm binary: $HELM,
// else `helm` on PATH), with the chart's defaults: the webhook manages its own certificate.
//   node deploy/helm/render.mjs [--check]     --check: fail if the committed files differ
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const helm = process.env.HELM || 'helm';
const NAMESPACE = 'esi-system';

export function render() {
  const out = execFileSync(
    helm,
    ['template', 'esi', join(root, 'deploy/helm/esi'), '--namespace', NAMESPACE, '--kube-version', '1.33.0'],
    { encoding: 'utf8' },
  );
  const header = `# esi: plain manifests rendered from deploy/helm/esi by deploy/helm/render.mjs (do not edit by hand).
# Prerequisite: ESO's CRDs (external-secrets.io/v1). The webhook issues and rotates its own certificate.
#   kubectl apply -f deploy/manifests/esi.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ${NAMESPACE}
  labels:
    pod-security.kubernetes.io/enforce: restricted
`;
  return header + out.replace(/^---\n# Source: [^\n]*\n/gm, '---\n').replace(/^# Source: [^\n]*\n/gm, '');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = join(root, 'deploy/manifests/esi.yaml');
  const text = render();
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== text) {
      console.error('deploy/manifests/esi.yaml is stale: run node deploy/helm/render.mjs');
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
