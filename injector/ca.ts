/**
 * The CA a store names by caProvider is inlined into the pod's `esi.dev/agent-config`, which anyone who
 * can get the pod reads. caProvider may name any key of any Secret in the namespace, so only
 * certificates are copied: every PEM block must be a CERTIFICATE that node:crypto parses as X.509, and
 * what is inlined is the certificates re-encoded, never the text around them. (The alternative, the agent
 * reading the CA itself, would need every injected pod's service account to read Secrets: more exposure.)
 */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The certificates of `text` as PEM, or why it is refused (no value quoted). */
export function certificatesOnly(text: string): { pem: string } | { problem: string } {
  const certs: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] !== 'CERTIFICATE') return { problem: `it holds a PEM block of type ${m[1]!.slice(0, 40)}, not only certificates` };
    try {
      certs.push(new X509Certificate(m[0]).toString());
    } catch {
      return { problem: 'a CERTIFICATE block does not parse as an X.509 certificate' };
    }
  }
  if (certs.length === 0) return { problem: 'it holds no PEM certificate' };
  return { pem: certs.join('') };
}
