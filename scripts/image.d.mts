export declare const ESI_IMAGE: Readonly<{
  nodeVersion: string;
  nodePath: string;
  uid: number;
  compileCache: string;
  config: Readonly<{ User: string; WorkingDir: string; Env: readonly string[]; Entrypoint: readonly string[] }>;
}>;
export declare function chartImageName(): Promise<string>;
export declare function sharedLibraries(binary: string): Promise<string[]>;
export declare function esiImageEntries(o: { node: string; dist: string }): Promise<import('./oci.mjs').Entry[]>;
export declare function buildEsiImage(o: { node: string; dist?: string; name: string; out: string }): Promise<string>;
