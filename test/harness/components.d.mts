export declare const VERSIONS: Readonly<{
  kubernetes: string;
  kubeStaging: string;
  etcd: string;
  moto: string;
  openbaoCli: string;
  eso: string;
  containerd: string;
  helm: string;
  nodeLinuxX64: string;
  imageRecipe: string;
}>;
export declare const K8S_BINARIES: readonly string[];
export declare const DEBIAN_PACKAGES: readonly { name: string; file: string }[];
export declare function cacheRoot(): string;
export declare function cacheDirs(root?: string): {
  k8s: string;
  etcd: string;
  assets: string;
  moto: string;
  openbao: string;
  eso: string;
  containerd: string;
  helm: string;
  node: string;
  pause: string;
  images: string;
  logs: string;
};
export interface BinaryLocation {
  path: string;
  source: string;
}
export declare function controlPlaneBinary(name: string): BinaryLocation;
export declare function componentPaths(): {
  etcd: BinaryLocation;
  kubeApiserver: BinaryLocation;
  motoPython: BinaryLocation;
  bao: BinaryLocation;
};
export declare function esoOraclePaths(): {
  controller: BinaryLocation;
  crdDir: string;
};
export declare function podClusterPaths(): {
  kubelet: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  containerd: string;
  containerdShim: string;
  ctr: string;
  helm: string;
  pause: string;
  node: string;
  runc: string;
  cniBin: string;
  busybox: string;
};
