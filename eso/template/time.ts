/**
 * Go time values and layouts for sprig's date functions. Time zones: UTC and fixed offsets exactly,
 * IANA names through Intl (the controller's Local zone is UTC in ESO's distroless image, so Local = UTC).
 */
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

/** time.Duration.String() for nanoseconds */
export function durationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let div: bigint;
    if (u < 1000n) return (neg ? '-' : '') + u.toString() + 'ns';
    if (u < 1_000_000n) {
      unit = 'µs';
      div = 1000n;
    } else {
      unit = 'ms';
      div = 1_000_000n;
    }
    out = fracString(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = fracString(u, 1_000_000_000n) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return whole.toString();
  const width = div.toString().length - 1;
  return whole.toString() + '.' + frac.toString().padStart(width, '0').replace(/0+$/, '');
}
