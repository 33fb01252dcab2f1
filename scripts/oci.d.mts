export type Entry =
  | { path: string; type: 'file'; mode: number; data: Buffer; uid?: number }
  | { path: string; type: 'dir'; mode: number; uid?: number }
  | { path: string; type: 'symlink'; target: string };
export interface ImageConfig { User?: string; WorkingDir?: string; Env?: readonly string[]; Entrypoint?: readonly string[]; Cmd?: readonly string[] }
export declare function tar(entries: Entry[]): Buffer;
export declare function withParents(entries: Entry[]): Entry[];
export declare function writeOciArchive(o: { name: string; entries: Entry[]; config: ImageConfig; out: string; createdBy?: string }): Promise<string>;
