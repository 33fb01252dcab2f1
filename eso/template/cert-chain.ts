/**
 * ESO's certificate-chain helpers (runtime/template/v2/pem_chain.go, pem.go filterCertChain): order PEM
 * certificates leaf → intermediates → root by AuthorityKeyId/SubjectKeyId links. Formatting only: no
 * signature or validity check, as in ESO.
 */
import { CallError } from './exec.ts';
import { pemDecode, pemEncode } from './pem.ts';
import { bytesEqual, CertificateParseError, type Certificate, parseCertificate } from './x509.ts';

interface ChainNode {
  cert: Certificate;
  parent: ChainNode | null;
  isParent: boolean;
}

/** Every PEM block of `data` parsed as a certificate (pemToNodes); a block that is not one fails. */
function certificates(data: string): Certificate[] {
  const out: Certificate[] = [];
  for (let rest = data; ; ) {
    const r = pemDecode(rest);
    if (!r.block) return out;
    rest = r.rest;
    try {
      out.push(parseCertificate(r.block.bytes));
    } catch (e) {
      if (e instanceof CertificateParseError) throw new CallError(e.message);
      throw e;
    }
  }
}

/** fetchX509CertChains: each certificate's parent is the first other one whose SubjectKeyId is its AuthorityKeyId. */
export function orderChain(data: string): Certificate[] {
  const nodes: ChainNode[] = certificates(data).map((cert) => ({ cert, parent: null, isParent: false }));
  for (const [i, n] of nodes.entries()) {
    const p = nodes.find((m, j) => j !== i && bytesEqual(n.cert.authorityKeyId, m.cert.subjectKeyId));
    if (p) {
      p.isParent = true;
      n.parent = p;
    }
  }
  const leaves = nodes.filter((n) => !n.isParent);
  if (leaves.length > 1) throw new CallError('found multiple leaf or disjunct certificates');
  if (leaves.length === 0) throw new CallError('no leaf certificate found');
  const chain: Certificate[] = [];
  for (let n: ChainNode | null = leaves[0]!; n; n = n.parent) {
    if (chain.length >= nodes.length) throw new CallError('constructing chain resulted in cycle');
    chain.push(n.cert);
  }
  return chain;
}

const pemCert = (c: Certificate) => pemEncode({ type: 'CERTIFICATE', headers: [], bytes: c.raw });

/** fetchCertChains: the ordered chain as PEM. */
export function orderChainPEM(data: string): string {
  return orderChain(data).map(pemCert).join('');
}

const isRoot = (c: Certificate) => c.authorityKeyId === null || bytesEqual(c.authorityKeyId, c.subjectKeyId);

/** filterCertChain(certType, input): the leaf, the intermediates or the root of a chain; "" when absent. */
export function filterCertChain(certType: string, input: string): string {
  const chain = orderChain(input);
  switch (certType) {
    case 'leaf': {
      const c = chain[0]!;
      return c.authorityKeyId !== null && !bytesEqual(c.authorityKeyId, c.subjectKeyId) ? pemCert(c) : '';
    }
    case 'intermediate': {
      let out = '';
      for (const c of chain.slice(1)) {
        if (isRoot(c)) break;
        out += pemCert(c);
      }
      return out;
    }
    case 'root': {
      const c = chain[chain.length - 1]!;
      return isRoot(c) ? pemCert(c) : '';
    }
  }
  return '';
}
