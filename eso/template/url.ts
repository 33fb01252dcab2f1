/** The parts of Go's net/url that sprig's urlParse and urlJoin use. */
export class URLError extends Error {}

function unhex(c: string): number {
  return parseInt(c, 16);
}

/** url.PathUnescape / QueryUnescape-style %XX decoding on a byte string (no '+' handling). */
function unescape(s: string, what: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) {
        let bad = s.slice(i, i + 3);
        if (bad.length > 3) bad = bad.slice(0, 3);
        throw new URLError(`parse "${what}": invalid URL escape "${bad}"`);
      }
      out += String.fromCharCode(unhex(h));
      i += 2;
    } else out += s[i];
  }
  return out;
}

export interface GoURL {
  scheme: string;
  opaque: string;
  user: string | null;
  host: string;
  path: string;
  rawQuery: string;
  fragment: string;
}

/** url.Parse (the common cases: scheme, authority, path, query, fragment, opaque). */
export function parseURL(raw: string): GoURL {
  const u: GoURL = { scheme: '', opaque: '', user: null, host: '', path: '', rawQuery: '', fragment: '' };
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    u.fragment = unescape(rest.slice(hash + 1), raw);
    rest = rest.slice(0, hash);
  }
  if (/[\x00-\x1f\x7f]/.test(rest)) throw new URLError(`parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`);
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (m) {
    u.scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (/^[^/?]*:/.test(rest) && !rest.startsWith('/')) {
    if (rest.startsWith(':')) throw new URLError(`parse ${JSON.stringify(raw)}: missing protocol scheme`);
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (slash < 0 || colon < slash) throw new URLError(`parse ${JSON.stringify(raw)}: first path segment in URL cannot contain colon`);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    u.rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/') && u.scheme !== '') {
    u.opaque = rest;
    return u;
  }
  if (rest.startsWith('//')) {
    const auth = rest.slice(2);
    const slash = auth.indexOf('/');
    const authority = slash >= 0 ? auth.slice(0, slash) : auth;
    rest = slash >= 0 ? auth.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      u.user = authority.slice(0, at);
      u.host = authority.slice(at + 1);
    } else u.host = authority;
    u.host = unescape(u.host, raw);
  }
  u.path = unescape(rest, raw);
  return u;
}

const unreserved = /[A-Za-z0-9\-_.~]/;

function escape(s: string, keep: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (unreserved.test(c) || keep.includes(c)) out += c;
    else out += '%' + s.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** URL.String() */
export function formatURL(u: GoURL): string {
  let out = '';
  if (u.scheme) out += u.scheme + ':';
  if (u.opaque) out += u.opaque;
  else {
    if (u.scheme || u.host || u.user !== null) {
      if (u.host || u.path || u.user !== null) out += '//';
      if (u.user !== null) out += u.user + '@';
      if (u.host) out += escape(u.host, "!$&'()*+,;=:[]<>\"");
    }
    let p = escape(u.path, "$&+,/:;=@!'()*");
    if (p && !p.startsWith('/') && u.host) p = '/' + p;
    // a relative path whose first segment has a colon would read as a scheme
    if (!out && p.split('/')[0]!.includes(':')) p = './' + p;
    out += p;
  }
  if (u.rawQuery) out += '?' + u.rawQuery;
  if (u.fragment) out += '#' + escape(u.fragment, "$&+,/:;=@!'()*?");
  return out;
}
