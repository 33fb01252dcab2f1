import type { CrdInfo } from './crds.ts';

/** Endpoints and paths of one e2e run, provided by the global setup to every test file. */
export interface HarnessInfo {
  /** Per-run temp dir (0700): certs, etcd data, tokens, logs. */
  runDir: string;
  logDir: string;
  etcdUrl: string;
  apiserverUrl: string;
  /** CA of the apiserver serving cert (and of client certs). */
  caPath: string;
  caKeyPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  kubeconfigPath: string;
  crds: CrdInfo;
  motoUrl: string;
  awsRegion: string;
  awsAccountId: string;
  baoUrl: string;
  baoRootToken: string;
  /** Full credentials URL of the Pod Identity emulator (`…/v1/credentials`). */
  podIdentityUrl: string;
  controlUrl: string;
  controlToken: string;
  /** Log file per started component. */
  logs: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    esiHarness: HarnessInfo;
  }
}
