export declare const VERSIONS: Readonly<{
  kubernetes: string;
  kubeStaging: string;
  etcd: string;
  moto: string;
  openbaoCli: string;
  eso: string;
}>;
export declare function cacheRoot(): string;
export declare function cacheDirs(root?: string): {
  k8s: string;
  etcd: string;
  assets: string;
  moto: string;
  openbao: string;
  eso: string;
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
