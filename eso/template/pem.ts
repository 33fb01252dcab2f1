/** encoding/pem as the template functions use it: Decode (first block and the rest) and Encode. */

export interface PemBlock {
  type: string;
  headers: [string, string][];
  bytes: Buffer;
}

/** encoding/pem Decode: the first block in `data` and the rest, or null when none decodes. */
export function pemDecode(data: string): { block: PemBlock | null; rest: string } {
  let rest = data;
  for (;;) {
    const start = rest.startsWith('-----BEGIN ') ? 0 : rest.indexOf('\n-----BEGIN ');
    if (start < 0) return { block: null, rest: data };
    const from = start === 0 ? 0 : start + 1;
    const after = rest.slice(from + '-----BEGIN '.length);
    const lineEnd = after.indexOf('\n');
    const typeLine = (lineEnd < 0 ? after : after.slice(0, lineEnd)).replace(/\r$/, '');
    if (!typeLine.endsWith('-----')) {
      rest = after;
      continue;
    }
    const type = typeLine.slice(0, -5);
    const body = lineEnd < 0 ? '' : after.slice(lineEnd + 1);
    const endMarker = `-----END ${type}-----`;
    const endIdx = body.indexOf(endMarker);
    if (endIdx < 0 || (endIdx > 0 && body[endIdx - 1] !== '\n')) {
      rest = after;
      continue;
    }
    const content = body.slice(0, endIdx);
    const headers: [string, string][] = [];
    let lines = content.split('\n');
    // RFC 1421 headers: "Key: value" lines followed by a blank line
    if (lines.length > 0 && lines[0].includes(':')) {
      const blank = lines.findIndex((l) => l.trim() === '');
      if (blank > 0) {
        for (const l of lines.slice(0, blank)) {
          const i = l.indexOf(':');
          if (i > 0) headers.push([l.slice(0, i).trim(), l.slice(i + 1).trim()]);
        }
        lines = lines.slice(blank + 1);
      }
    }
    const b64 = lines.join('').replace(/[\s]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      rest = after;
      continue;
    }
    let tail = body.slice(endIdx + endMarker.length);
    const nl = tail.indexOf('\n');
    if (nl >= 0 && tail.slice(0, nl).trim() === '') tail = tail.slice(nl + 1);
    else if (nl < 0 && tail.trim() === '') tail = '';
    return { block: { type, headers, bytes: Buffer.from(b64, 'base64') }, rest: tail };
  }
}

/** encoding/pem Encode (64-column base64 lines). */
export function pemEncode(b: PemBlock): string {
  let out = `-----BEGIN ${b.type}-----\n`;
  if (b.headers.length > 0) {
    const sorted = [...b.headers].sort((x, y) => (x[0] === 'Proc-Type' ? -1 : y[0] === 'Proc-Type' ? 1 : x[0] < y[0] ? -1 : 1));
    for (const [k, v] of sorted) out += `${k}: ${v}\n`;
    out += '\n';
  }
  const b64 = b.bytes.toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${b.type}-----\n`;
}
