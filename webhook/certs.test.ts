import { describe, expect, it } from 'vitest';
import { derInteger, issueSelfSigned, verifiesAgainst } from './certs.ts';

/** The serial number's content octets: Certificate → tbsCertificate → (skip [0] version) → INTEGER. */
function serialOctets(pem: string): Buffer {
  const d = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  let p = 0;
  const header = () => {
    let len = d[p + 1]!;
    let size = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + d[p + 2 + i]!;
      size += n;
    }
    return { tag: d[p]!, len, size };
  };
  p += header().size; // into Certificate
  p += header().size; // into tbsCertificate
  const version = header();
  p += version.size + version.len;
  const serial = header();
  expect(serial.tag).toBe(0x02);
  return d.subarray(p + serial.size, p + serial.size + serial.len);
}

describe('self-managed certificates', () => {
  it('encodes INTEGERs minimally, as DER and Go\'s x509 parser require', () => {
    expect(derInteger(Buffer.from([0x00, 0x01]))).toEqual(Buffer.from([0x02, 0x01, 0x01]));
    expect(derInteger(Buffer.from([0x00, 0x00, 0x7f]))).toEqual(Buffer.from([0x02, 0x01, 0x7f]));
    expect(derInteger(Buffer.from([0x80]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x80]));
    expect(derInteger(Buffer.from([0x00, 0x80]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x80]));
    expect(derInteger(Buffer.from([0x00, 0x00]))).toEqual(Buffer.from([0x02, 0x01, 0x00]));
    expect(derInteger(Buffer.from([0x02]))).toEqual(Buffer.from([0x02, 0x01, 0x02]));
  });

  it('a random serial that starts with a zero byte has no redundant leading zero (kube-apiserver refused such a CA)', () => {
    // One certificate in 256 drew this: first byte 0x00 (or 0x80, masked positive), then a byte below 0x80.
    for (const first of [0x00, 0x80]) {
      const serial = () => Buffer.from([first, 0x01, ...Array.from({ length: 14 }, (_, i) => i + 2)]);
      const tls = issueSelfSigned({ commonName: 'esi.esi-system.svc', sans: ['esi.esi-system.svc'], now: new Date(), validityDays: 365, randomSerial: serial });
      for (const pem of [tls.caCert, tls.cert]) {
        const s = serialOctets(pem);
        expect(s.length).toBe(15);
        expect(s[0]).toBe(0x01);
      }
      expect(verifiesAgainst(tls.cert, tls.caCert)).toBe(true);
    }
    // A high first byte after the zero keeps exactly one 0x00 (positive), 16 octets.
    const tls = issueSelfSigned({ commonName: 'x', sans: ['x'], now: new Date(), validityDays: 1, randomSerial: () => Buffer.from([0x00, 0x90, ...Array(14).fill(7)]) });
    expect([...serialOctets(tls.caCert).subarray(0, 2)]).toEqual([0x00, 0x90]);
    expect(serialOctets(tls.caCert).length).toBe(16);
  });
});
