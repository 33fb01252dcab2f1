/**
 * Self-managed TLS: the webhook issues its own CA and serving certificate, keeps them in a Secret shared
 * by its replicas (the first to create it wins), writes the CA into the MutatingWebhookConfiguration's
 * caBundle, and rotates at two thirds of the certificate's life. During a rotation the caBundle holds
 * the new and the previous CA, so replicas still serving the old certificate stay trusted.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { issueSelfSigned, renewalTime } from './certs.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';
import type { Logger } from '../core/log.ts';
import type { TlsPem } from './server.ts';

export interface SelfManagedOptions {
  client: KubeClient;
  namespace: string;
  /** Service name: the certificate is for <service>.<namespace>.svc. */
  service: string;
  /** Secret holding tls.crt, tls.key, ca.crt (default <service>-tls). */
  secretName?: string;
  /** MutatingWebhookConfiguration whose caBundle is kept current. */
  webhookConfiguration: string;
  validityDays?: number;
  /** More names or IPv4 addresses for the certificate (e.g. 127.0.0.1 when the apiserver calls by URL). */
  extraHosts?: string[];
  log: Logger;
  /** Clock for the renewal decision (tests move it); certificates are always issued from the real time. */
  now?: () => Date;
}

interface SecretObj {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export function dnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, `${service}.${namespace}`, service];
}

/** The certificate in a Secret is usable: present, for our names, not due for renewal. */
export function certificateIsCurrent(certPem: string | undefined, names: string[], now: Date): boolean {
  if (!certPem) return false;
  try {
    const c = new X509Certificate(certPem);
    if (!names.every((n) => (isIP(n) ? c.checkIP(n) === n : c.checkHost(n, { subject: 'never' }) === n))) return false;
    return now < renewalTime(certPem);
  } catch {
    return false;
  }
}

export class SelfManagedTls {
  readonly #o: SelfManagedOptions;
  readonly #secretPath: string;
  #current: { pem: TlsPem; ca: string } | undefined;

  constructor(o: SelfManagedOptions) {
    this.#o = o;
    const name = o.secretName ?? `${o.service}-tls`;
    this.#secretPath = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/secrets/${encodeURIComponent(name)}`;
  }

  get current(): TlsPem | undefined {
    return this.#current?.pem;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  async #readSecret(): Promise<SecretObj | undefined> {
    try {
      return await this.#o.client.request<SecretObj>('GET', this.#secretPath);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * Makes sure the Secret holds a current certificate (issuing or rotating it if needed) and the
   * caBundle trusts it. Returns the PEM to serve and whether it changed since the last call.
   */
  async ensure(): Promise<{ pem: TlsPem; changed: boolean }> {
    const names = [...dnsNames(this.#o.service, this.#o.namespace), ...(this.#o.extraHosts ?? [])];
    let secret = await this.#readSecret();
    const existingCert = unb64(secret?.data?.['tls.crt']);
    if (!secret || !certificateIsCurrent(existingCert, names, this.#now())) {
      const issued = issueSelfSigned({ commonName: names[0]!, sans: names, now: new Date(), validityDays: this.#o.validityDays ?? 365 });
      const previousCa = unb64(secret?.data?.['ca.crt']);
      // Trust the new CA before anyone serves its certificate; keep trusting the previous one meanwhile.
      await this.#patchCaBundle(issued.caCert + (previousCa && previousCa !== issued.caCert ? previousCa : ''));
      const body: SecretObj & { apiVersion: string; kind: string } = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: this.#secretPath.split('/').pop()!, namespace: this.#o.namespace, ...(secret?.metadata.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}) },
        data: { 'tls.crt': b64(issued.cert), 'tls.key': b64(issued.key), 'ca.crt': b64(issued.caCert) },
      };
      try {
        secret = secret
          ? await this.#o.client.request<SecretObj>('PUT', this.#secretPath, body)
          : await this.#o.client.request<SecretObj>('POST', `/api/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/secrets`, body);
        this.#o.log.info({ secret: body.metadata.name, notAfter: issued.notAfter.toISOString() }, 'serving certificate issued');
      } catch (e) {
        // Another replica won the race: use what it wrote.
        if (!(e instanceof KubeError && e.status === 409)) throw e;
        secret = await this.#readSecret();
      }
    }
    const cert = unb64(secret?.data?.['tls.crt']);
    const key = unb64(secret?.data?.['tls.key']);
    const ca = unb64(secret?.data?.['ca.crt']);
    if (!cert || !key || !ca) throw new Error(`secret ${this.#secretPath}: tls.crt, tls.key and ca.crt required`);
    await this.#ensureTrusted(ca);
    const changed = this.#current?.pem.cert !== cert;
    this.#current = { pem: { cert, key }, ca };
    return { pem: { cert, key }, changed };
  }

  /** Adds `ca` to the caBundle of every webhook in the configuration unless it is already there. */
  async #ensureTrusted(ca: string): Promise<void> {
    const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(this.#o.webhookConfiguration)}`;
    const cfg = await this.#o.client.request<{ webhooks?: { clientConfig?: { caBundle?: string } }[] }>('GET', path);
    const missing = (cfg.webhooks ?? []).some((w) => !(unb64(w.clientConfig?.caBundle) ?? '').includes(ca.trim()));
    if (missing) await this.#patchCaBundle(ca);
  }

  async #patchCaBundle(bundle: string): Promise<void> {
    const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(this.#o.webhookConfiguration)}`;
    const cfg = await this.#o.client.request<{ webhooks?: unknown[] }>('GET', path);
    const ops = (cfg.webhooks ?? []).map((_, i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: b64(bundle) }));
    if (ops.length === 0) return;
    await this.#o.client.request('PATCH', path, ops, { contentType: 'application/json-patch+json' });
    this.#o.log.info({ webhookConfiguration: this.#o.webhookConfiguration }, 'caBundle updated');
  }
}
