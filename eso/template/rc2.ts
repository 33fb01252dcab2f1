/**
 * RC2 decryption (RFC 2268), for the legacy PKCS#12 encryption (pbeWithSHAAnd40BitRC2-CBC and its
 * 128-bit sibling, RFC 7292 Appendix C) that OpenSSL before 3.0 and Windows still write. node:crypto
 * has RC2 only behind OpenSSL's legacy provider, which Node does not load. Effective key bits = key
 * length × 8, as go-pkcs12 uses it. Checked against RFC 2268's test vectors in rc2.test.ts.
 */

/** RFC 2268 section 2: PITABLE, the permutation of 0..255 derived from pi. */
const PITABLE = Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb6266fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b255597312d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
  'hex',
);

/** RFC 2268 section 2: the 64 16-bit subkeys K[0..63] of a key with `bits` effective key bits. */
function expandKey(key: Uint8Array, bits: number): Uint16Array {
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  const t8 = (bits + 7) >> 3;
  const tm = 0xff % (1 << (8 + bits - 8 * t8));
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

const SHIFTS = [1, 2, 3, 5];

/** Decrypts one 8-byte block in place (RFC 2268 section 4). */
function decryptBlock(k: Uint16Array, b: Uint8Array, at: number): void {
  const r = [0, 1, 2, 3].map((i) => b[at + 2 * i]! | (b[at + 2 * i + 1]! << 8));
  let j = 63;
  const mix = () => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i]!;
      const x = r[i]!;
      const rot = ((x >>> s) | (x << (16 - s))) & 0xffff;
      r[i] = (rot - k[j]! - (r[(i + 3) & 3]! & r[(i + 2) & 3]!) - (~r[(i + 3) & 3]! & r[(i + 1) & 3]!)) & 0xffff;
      j--;
    }
  };
  const mash = () => {
    for (let i = 3; i >= 0; i--) r[i] = (r[i]! - k[r[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (let n = 0; n < 5; n++) mix();
  mash();
  for (let n = 0; n < 6; n++) mix();
  mash();
  for (let n = 0; n < 5; n++) mix();
  for (let i = 0; i < 4; i++) {
    b[at + 2 * i] = r[i]! & 0xff;
    b[at + 2 * i + 1] = r[i]! >> 8;
  }
}

/** RC2 in ECB over whole blocks (used by the tests) */
export function rc2DecryptECB(key: Uint8Array, bits: number, data: Uint8Array): Uint8Array {
  const k = expandKey(key, bits);
  const out = Uint8Array.from(data);
  for (let p = 0; p < out.length; p += 8) decryptBlock(k, out, p);
  return out;
}

/** RC2-CBC decryption of whole 8-byte blocks, no padding removed. */
export function rc2DecryptCBC(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const k = expandKey(key, key.length * 8);
  const out = Uint8Array.from(data);
  for (let p = 0; p < out.length; p += 8) {
    decryptBlock(k, out, p);
    for (let i = 0; i < 8; i++) out[p + i]! ^= p === 0 ? iv[i]! : data[p - 8 + i]!;
  }
  return out;
}
