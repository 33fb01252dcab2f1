/**
 * Go time values and layouts for sprig's date functions. Time zones: UTC and fixed offsets exactly,
 * IANA names through Intl (the controller's Local zone is UTC in ESO's distroless image, so Local = UTC).
 * Durations are core/go/time.ts's.
 */
import { timeQuote } from '../../core/go/time.ts';

export class GoTime {
  constructor(
    /** nanoseconds since the Unix epoch */
    readonly unixNano: bigint,
    /** zone offset east of UTC, seconds */
    readonly offset: number,
    readonly zone: string,
  ) {}
}

const longDays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const longMonths = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface Fields {
  year: number; month: number; day: number; hour: number; min: number; sec: number; nsec: number; wday: number; yday: number;
}

function fields(t: GoTime): Fields {
  const secs = t.unixNano / 1_000_000_000n;
  let nsec = Number(t.unixNano % 1_000_000_000n);
  let s = Number(secs);
  if (nsec < 0) {
    nsec += 1_000_000_000;
    s -= 1;
  }
  const d = new Date((s + t.offset) * 1000);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(), nsec, wday: d.getUTCDay(), yday: Math.floor((d.getTime() - start) / 86_400_000) + 1,
  };
}

const pad = (n: number, w: number, c = '0') => String(n).padStart(w, c);

/** Splits a Go layout into literal text and std tokens, as time.nextStdChunk does. */
function tokens(layout: string): string[] {
  const out: string[] = [];
  let lit = '';
  const push = (tok: string) => {
    if (lit) out.push('L' + lit);
    lit = '';
    out.push('T' + tok);
  };
  let i = 0;
  const at = (s: string) => layout.startsWith(s, i);
  while (i < layout.length) {
    const c = layout[i]!;
    let tok = '';
    switch (c) {
      case 'J':
        if (at('January')) tok = 'January';
        else if (at('Jan')) tok = 'Jan';
        break;
      case 'M':
        if (at('Monday')) tok = 'Monday';
        else if (at('Mon')) tok = 'Mon';
        else if (at('MST')) tok = 'MST';
        break;
      case '0':
        if (at('002')) tok = '002';
        else if (/^0[1-6]/.test(layout.slice(i))) tok = layout.slice(i, i + 2);
        break;
      case '1':
        tok = at('15') ? '15' : '1';
        break;
      case '2':
        tok = at('2006') ? '2006' : '2';
        break;
      case '_':
        if (at('_2006')) {
          lit += '_';
          i++;
          tok = '2006';
        } else if (at('__2')) tok = '__2';
        else if (at('_2')) tok = '_2';
        break;
      case '3': case '4': case '5':
        tok = c;
        break;
      case 'P':
        if (at('PM')) tok = 'PM';
        break;
      case 'p':
        if (at('pm')) tok = 'pm';
        break;
      case '-':
        for (const z of ['-070000', '-07:00:00', '-0700', '-07:00', '-07']) if (at(z)) { tok = z; break; }
        break;
      case 'Z':
        for (const z of ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07']) if (at(z)) { tok = z; break; }
        break;
      case '.': case ',': {
        const m = /^[.,](0+|9+)/.exec(layout.slice(i));
        if (m && !/[0-9]/.test(layout[i + m[0].length] ?? '')) tok = m[0];
        break;
      }
    }
    if (tok) {
      push(tok);
      i += tok.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push('L' + lit);
  return out;
}

function zoneText(t: GoTime, tok: string): string {
  let off = t.offset;
  if (tok.startsWith('Z') && off === 0) return 'Z';
  const sign = off < 0 ? '-' : '+';
  off = Math.abs(off);
  const h = pad(Math.floor(off / 3600), 2);
  const m = pad(Math.floor((off % 3600) / 60), 2);
  const s = pad(off % 60, 2);
  const t2 = tok.slice(1);
  switch (t2) {
    case '070000': return sign + h + m + s;
    case '07:00:00': return `${sign}${h}:${m}:${s}`;
    case '0700': return sign + h + m;
    case '07:00': return `${sign}${h}:${m}`;
    default: return sign + h;
  }
}

/** time.Time.Format */
export function formatTime(t: GoTime, layout: string): string {
  const f = fields(t);
  let out = '';
  for (const chunk of tokens(layout)) {
    if (chunk[0] === 'L') {
      out += chunk.slice(1);
      continue;
    }
    const tok = chunk.slice(1);
    switch (tok) {
      case 'January': out += longMonths[f.month - 1]; break;
      case 'Jan': out += longMonths[f.month - 1]!.slice(0, 3); break;
      case 'Monday': out += longDays[f.wday]; break;
      case 'Mon': out += longDays[f.wday]!.slice(0, 3); break;
      case 'MST': out += t.zone || zoneText(t, '-0700'); break;
      case '2006': out += pad(f.year, 4); break;
      case '06': out += pad(f.year % 100, 2); break;
      case '01': out += pad(f.month, 2); break;
      case '1': out += String(f.month); break;
      case '02': out += pad(f.day, 2); break;
      case '2': out += String(f.day); break;
      case '_2': out += pad(f.day, 2, ' '); break;
      case '__2': out += pad(f.yday, 3, ' '); break;
      case '002': out += pad(f.yday, 3); break;
      case '15': out += pad(f.hour, 2); break;
      case '03': out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2); break;
      case '3': out += String(f.hour % 12 === 0 ? 12 : f.hour % 12); break;
      case '04': out += pad(f.min, 2); break;
      case '4': out += String(f.min); break;
      case '05': out += pad(f.sec, 2); break;
      case '5': out += String(f.sec); break;
      case 'PM': out += f.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += f.hour >= 12 ? 'pm' : 'am'; break;
      default:
        if (tok[0] === '-' || tok[0] === 'Z') out += zoneText(t, tok);
        else {
          // fractional seconds: .000 fixed width, .999 trailing zeros trimmed
          const digits = tok.length - 1;
          let frac = pad(f.nsec, 9).slice(0, digits);
          if (tok[1] === '9') {
            frac = frac.replace(/0+$/, '');
            if (frac) out += tok[0] + frac;
          } else out += tok[0] + frac;
        }
    }
  }
  return out;
}

/** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST" */
export function timeString(t: GoTime): string {
  return formatTime(t, '2006-01-02 15:04:05.999999999 -0700 MST');
}

/** A time in a named zone: UTC/Local exactly; IANA names through Intl; unknown → error text like Go's. */
export function inZone(unixNano: bigint, zone: string): GoTime {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return new GoTime(unixNano, 0, 'UTC');
  const ms = Number(unixNano / 1_000_000n);
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, timeZoneName: 'short', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    }).formatToParts(new Date(ms));
  } catch {
    throw new Error(`unknown time zone ${zone}`);
  }
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((local - Math.floor(ms / 1000) * 1000) / 1000);
  // Zone abbreviations come from ICU, which knows them per locale; Go prints "+01"-style names for
  // zones without one. (Some zones, e.g. Asia/Tokyo's JST, have no abbreviation in ICU's English data.)
  let name = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  for (const locale of ['en-GB', 'en-IN', 'en-AU']) {
    if (!/^GMT[+-]/.test(name)) break;
    name =
      new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
        .formatToParts(new Date(ms))
        .find((p) => p.type === 'timeZoneName')?.value ?? name;
  }
  if (/^GMT[+-]/.test(name)) {
    const mins = Math.abs(offset) % 3600;
    name = zoneText(new GoTime(0n, offset, ''), mins === 0 ? '-07' : '-0700');
  }
  return new GoTime(unixNano, offset, name);
}

export class TimeParseError extends Error {}

const shortMonths = longMonths.map((m) => m.slice(0, 3));
const shortDays = longDays.map((d) => d.slice(0, 3));

/** time.Parse(layout, value) in UTC (ParseInLocation with Local = UTC); throws Go's message. */
export function parseTime(layout: string, value: string): GoTime {
  const alayout = layout;
  const avalue = value;
  const fail = (valueElem: string, layoutElem: string, msg = ''): never => {
    if (msg) throw new TimeParseError(`parsing time ${timeQuote(avalue)}${msg}`);
    throw new TimeParseError(
      `parsing time ${timeQuote(avalue)} as ${timeQuote(alayout)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`,
    );
  };
  let year = 1;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pmSet = false;
  let amSet = false;
  let zoneOffset: number | null = null;
  let zoneName = '';
  let rest = value;
  const num = (fixed: boolean, max = 2): number | null => {
    const m = (fixed ? new RegExp(`^[0-9]{${max}}`) : /^[0-9]{1,2}/).exec(rest);
    if (!m) return null;
    rest = rest.slice(m[0].length);
    return parseInt(m[0], 10);
  };
  const lookup = (names: string[]): number => {
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (rest.length >= n.length && rest.slice(0, n.length).toLowerCase() === n.toLowerCase()) {
        rest = rest.slice(n.length);
        return i;
      }
    }
    return -1;
  };
  for (const chunk of tokens(layout)) {
    if (chunk[0] === 'L') {
      const lit = chunk.slice(1);
      // spaces in the layout match runs of spaces? Go requires exact prefix (with space folding).
      if (!rest.startsWith(lit)) fail(rest, lit);
      rest = rest.slice(lit.length);
      continue;
    }
    const tok = chunk.slice(1);
    const before = rest;
    let ok = true;
    let range = '';
    switch (tok) {
      case '2006': {
        const m = /^[0-9]{4}/.exec(rest);
        if (!m) ok = false;
        else {
          year = parseInt(m[0], 10);
          rest = rest.slice(4);
        }
        break;
      }
      case '06': {
        const v = num(true);
        if (v === null) ok = false;
        else year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      }
      case '01': case '1': {
        const v = num(tok === '01');
        if (v === null) ok = false;
        else {
          month = v;
          if (month <= 0 || month > 12) range = 'month';
        }
        break;
      }
      case 'Jan': case 'January': {
        const i = lookup(tok === 'Jan' ? shortMonths : longMonths);
        if (i < 0) ok = false;
        else month = i + 1;
        break;
      }
      case 'Mon': case 'Monday':
        if (lookup(tok === 'Mon' ? shortDays : longDays) < 0) ok = false;
        break;
      case '02': case '2': case '_2': {
        if (tok === '_2' && rest.startsWith(' ')) rest = rest.slice(1);
        const v = num(tok === '02');
        if (v === null) ok = false;
        else day = v;
        break;
      }
      case '002': case '__2': {
        const m = /^[0-9]{1,3}/.exec(rest.replace(/^ {1,2}/, ''));
        if (!m) ok = false;
        else {
          rest = rest.replace(/^ {1,2}/, '').slice(m[0].length);
          yday = parseInt(m[0], 10);
        }
        break;
      }
      case '15': {
        const v = num(false);
        if (v === null) ok = false;
        else {
          hour = v;
          if (hour > 23) range = 'hour';
        }
        break;
      }
      case '03': case '3': {
        const v = num(tok === '03');
        if (v === null) ok = false;
        else {
          hour = v;
          if (hour > 12) range = 'hour';
        }
        break;
      }
      case '04': case '4': {
        const v = num(tok === '04');
        if (v === null) ok = false;
        else {
          min = v;
          if (min > 59) range = 'minute';
        }
        break;
      }
      case '05': case '5': {
        const v = num(tok === '05');
        if (v === null) ok = false;
        else {
          sec = v;
          if (sec > 59) range = 'second';
          const m = /^[.,]([0-9]+)/.exec(rest);
          if (m && !layoutHasFrac(layout)) {
            nsec = parseInt(m[1]!.slice(0, 9).padEnd(9, '0'), 10);
            rest = rest.slice(m[0].length);
          }
        }
        break;
      }
      case 'PM': case 'pm': {
        const p = rest.slice(0, 2);
        if (p.toUpperCase() === 'PM') pmSet = true;
        else if (p.toUpperCase() === 'AM') amSet = true;
        else ok = false;
        if (ok) rest = rest.slice(2);
        break;
      }
      case 'MST': {
        const m = /^(UTC|GMT|[A-Z]{3,5})/.exec(rest);
        if (!m) ok = false;
        else {
          zoneName = m[0];
          rest = rest.slice(m[0].length);
          if (zoneName === 'UTC') zoneOffset = 0;
        }
        break;
      }
      default:
        if (tok[0] === '-' || tok[0] === 'Z') {
          if (tok[0] === 'Z' && rest.startsWith('Z')) {
            rest = rest.slice(1);
            zoneOffset = 0;
            zoneName = 'UTC';
            break;
          }
          const shape = tok.slice(1).replace(/[0-9]/g, 'd');
          const re = new RegExp('^[+-]' + shape.replace(/d/g, '[0-9]'));
          const m = re.exec(rest);
          if (!m) {
            ok = false;
            break;
          }
          const digits = m[0].slice(1).replace(/:/g, '');
          const h = parseInt(digits.slice(0, 2), 10);
          const mm = digits.length >= 4 ? parseInt(digits.slice(2, 4), 10) : 0;
          const ss = digits.length >= 6 ? parseInt(digits.slice(4, 6), 10) : 0;
          zoneOffset = (m[0][0] === '-' ? -1 : 1) * (h * 3600 + mm * 60 + ss);
          rest = rest.slice(m[0].length);
        } else {
          // .000 / .999 fractional seconds
          const digits = tok.length - 1;
          const m = (tok[1] === '0' ? new RegExp(`^[.,][0-9]{${digits}}`) : /^[.,][0-9]+/).exec(rest);
          if (!m) {
            if (tok[1] === '9') break;
            ok = false;
            break;
          }
          nsec = parseInt(m[0].slice(1, 10).padEnd(9, '0'), 10);
          rest = rest.slice(m[0].length);
        }
    }
    if (range) fail('', '', `: ${range} out of range`);
    if (!ok) fail(before, tok);
  }
  if (rest.length > 0) fail(rest, '', `: extra text: ${timeQuote(rest)}`);
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    const d = new Date(Date.UTC(year, 0, yday));
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > dim) fail('', '', ': day out of range');
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, min, sec, 0);
  const off = zoneOffset ?? 0;
  const unix = BigInt(Math.floor(utc.getTime() / 1000) - off) * 1_000_000_000n + BigInt(nsec);
  const name = zoneOffset === null ? (zoneName || 'UTC') : zoneOffset === 0 && !zoneName ? 'UTC' : zoneName;
  return new GoTime(unix, off, name);
}

function layoutHasFrac(layout: string): boolean {
  return tokens(layout).some((c) => c[0] === 'T' && (c[1] === '.' || c[1] === ','));
}

