/** Go's fmt printing (Sprint, Sprintln, Sprintf) over engine values, verb for verb. */
import { decodeRune, encodeRune, fromText, runeCount } from '../../core/go/utf8.ts';
import { timeString } from './time.ts';
import { canBackquote, formatBinaryFloat, formatFloat, formatHexFloat, isPrint, quote, quoteRune } from '../../core/go/strconv.ts';
import { GoInt, GoMap, GoObject, GoSlice, GoTime, type GoValue, kindOf, sortedKeys, typeName } from './value.ts';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

const ldigits = '0123456789abcdefx';
const udigits = '0123456789ABCDEFX';

class Printer {
  buf = '';
  f: Flags = clear();
  /** The top-level argument being printed (Go's p.arg), for badVerb. */
  private arg: GoValue | undefined = undefined;
  private argIsValue = false;

  // ---- padding
  private writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero ? '0' : ' ').repeat(n);
  }
  private pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }
  private truncate(s: string): string {
    if (this.f.precPresent) {
      let n = this.f.prec;
      for (let i = 0; i < s.length; ) {
        n--;
        if (n < 0) return s.slice(0, i);
        i += decodeRune(s, i)[1];
      }
    }
    return s;
  }

  // ---- kinds
  fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.pad(v ? 'true' : 'false');
    else this.badVerb(verb);
  }

  fmtInteger(v: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV && !signed) {
          this.fmtIntegerBase(v, 16, signed, verb, ldigits, true);
        } else this.fmtIntegerBase(v, 10, signed, verb, ldigits);
        return;
      case 'd': return this.fmtIntegerBase(v, 10, signed, verb, ldigits);
      case 'b': return this.fmtIntegerBase(v, 2, signed, verb, ldigits);
      case 'o': case 'O': return this.fmtIntegerBase(v, 8, signed, verb, ldigits);
      case 'x': return this.fmtIntegerBase(v, 16, signed, verb, ldigits);
      case 'X': return this.fmtIntegerBase(v, 16, signed, verb, udigits);
      case 'c': {
        const r = v < 0n || v > 0x10ffffn ? 0xfffd : Number(v);
        return this.pad(encodeRune(r));
      }
      case 'q': {
        const r = v < 0n || v > 0x10ffffn ? 0xfffd : Number(v);
        return this.pad(quoteRune(r, this.f.plus));
      }
      case 'U': return this.fmtUnicode(v);
      default: return this.badVerb(verb);
    }
  }

  private fmtIntegerBase(u: bigint, base: number, signed: boolean, verb: string, digits: string, sharp0x = false): void {
    const negative = signed && u < 0n;
    if (negative) u = -u;
    if (!signed && u < 0n) u = BigInt.asUintN(64, u);
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const z = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = z;
        return;
      }
    } else if (this.f.zero && !this.f.minus && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    let s = u.toString(base);
    if (digits === udigits) s = s.toUpperCase();
    while (s.length < prec) s = '0' + s;
    if (this.f.sharp || sharp0x) {
      if (base === 2) s = '0b' + s;
      else if (base === 8) {
        if (s[0] !== '0') s = '0' + s;
      } else if (base === 16) s = '0' + digits[16] + s;
    }
    if (verb === 'O') s = '0o' + s;
    if (negative) s = '-' + s;
    else if (this.f.plus) s = '+' + s;
    else if (this.f.space) s = ' ' + s;
    const z = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = z;
  }

  private fmtUnicode(u: bigint): void {
    let s = u < 0n ? BigInt.asUintN(64, u).toString(16).toUpperCase() : u.toString(16).toUpperCase();
    const prec = this.f.precPresent && this.f.prec > 4 ? this.f.prec : 4;
    while (s.length < prec) s = '0' + s;
    s = 'U+' + s;
    if (this.f.sharp && u >= 0n && u <= 0x10ffffn && isPrint(Number(u))) s += " '" + encodeRune(Number(u)) + "'";
    const z = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = z;
  }

  fmtFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v': return this.fmtFloatPrec(v, 'g', -1);
      case 'g': case 'G': return this.fmtFloatPrec(v, verb, -1);
      case 'f': case 'F': case 'e': case 'E': return this.fmtFloatPrec(v, verb, 6);
      case 'x': case 'X': case 'b': return this.fmtFloatPrec(v, verb, -1);
      default: return this.badVerb(verb);
    }
  }

  private fmtFloatPrec(v: number, verb: string, prec: number): void {
    if (this.f.precPresent) prec = this.f.prec;
    let num =
      verb === 'x' || verb === 'X'
        ? formatHexFloat(v, verb === 'X', prec)
        : verb === 'b'
          ? formatBinaryFloat(v)
          : formatFloat(v, verb === 'F' ? 'f' : verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      const z = this.f.zero;
      this.f.zero = false;
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = z;
      return;
    }
    if (this.f.sharp && verb !== 'b') {
      num = sharpFloat(num, verb, prec);
    }
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  fmtString(v: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) return this.fmtQ(v);
        return this.pad(this.truncate(v));
      case 's': return this.pad(this.truncate(v));
      case 'x': return this.fmtSx(v, ldigits);
      case 'X': return this.fmtSx(v, udigits);
      case 'q': return this.fmtQ(v);
      default: return this.badVerb(verb);
    }
  }

  private fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) {
      this.pad('`' + s + '`');
      return;
    }
    this.pad(quote(s, this.f.plus));
  }

  private fmtSx(s: string, digits: string): void {
    let length = s.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) width += 2;
    } else {
      if (this.f.widPresent) this.writePadding(this.f.wid);
      return;
    }
    if (this.f.widPresent && this.f.wid > width && !this.f.minus) this.writePadding(this.f.wid - width);
    let out = '';
    if (this.f.sharp) out += '0' + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) {
        out += ' ';
        if (this.f.sharp) out += '0' + digits[16];
      }
      const c = s.charCodeAt(i);
      out += digits[c >> 4] + digits[c & 15];
    }
    this.buf += out;
    if (this.f.widPresent && this.f.wid > width && this.f.minus) this.writePadding(this.f.wid - width);
  }

  private badVerb(verb: string): void {
    this.buf += '%!' + verb + '(';
    if (this.arg !== undefined && this.arg !== null) {
      this.buf += typeName(this.arg) + '=';
      this.printArg(this.arg, 'v');
    } else if (this.argIsValue && this.arg !== undefined) {
      this.buf += typeName(this.arg) + '=';
      this.printArg(this.arg, 'v');
    } else this.buf += '<nil>';
    this.buf += ')';
  }

  printArg(arg: GoValue, verb: string): void {
    this.arg = arg;
    this.argIsValue = false;
    if (arg === null) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb);
      return;
    }
    if (verb === 'T') {
      this.pad(this.truncate(typeName(arg)));
      return;
    }
    this.printValue(arg, verb, 0);
  }

  printValue(v: GoValue, verb: string, depth: number): void {
    if (depth > 0) {
      this.arg = v;
      this.argIsValue = true;
    }
    if (v === null) {
      // a nil interface element of a slice or map
      this.buf += '<nil>';
      return;
    }
    switch (typeof v) {
      case 'boolean': return this.fmtBool(v, verb);
      case 'bigint': return this.fmtInteger(v, true, verb);
      case 'number': return this.fmtFloat(v, verb);
      case 'string': return this.fmtString(v, verb);
    }
    if (v instanceof GoInt) return this.fmtInteger(v.v, v.type.startsWith('int'), verb);
    if (v instanceof GoTime) return this.fmtString(fromText(timeString(v)), verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X' ? verb : 'v');
    if (v instanceof GoMap) {
      if (this.f.sharpV) {
        this.buf += typeName(v) + '{';
        sortedKeys(v).forEach((k, i) => {
          if (i > 0) this.buf += ', ';
          this.printValue(k, verb, depth + 1);
          this.buf += ':';
          this.printValue(v.m.get(k)!, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += 'map[';
      sortedKeys(v).forEach((k, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(k, verb, depth + 1);
        this.buf += ':';
        this.printValue(v.m.get(k)!, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (v instanceof GoSlice) {
      if ((verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') && v.elem === 'uint8') {
        const bytes = String.fromCharCode(...v.items.map((b) => Number((b as GoInt).v)));
        return this.fmtString(bytes, verb);
      }
      if (this.f.sharpV) {
        this.buf += typeName(v) + '{';
        v.items.forEach((e, i) => {
          if (i > 0) this.buf += ', ';
          this.printValue(e, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += '[';
      v.items.forEach((e, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(e, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (v instanceof GoObject) {
      // handleMethods: a Stringer prints through String() for %v %s %q %x %X
      if (v.stringer && !this.f.sharpV && (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')) {
        return this.fmtString(v.stringer(), verb);
      }
      // a pointer to a struct prints as &{...} at the top level (fmt printValue)
      if (v.kind === 'ptr' && depth === 0) this.buf += '&';
      this.buf += '{';
      [...v.fields.values()].forEach((f, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(f, verb, depth + 1);
      });
      this.buf += '}';
      return;
    }
    // functions print as an address in Go; there is no stable text for them
    this.buf += '0x0';
  }
}

function sharpFloat(num: string, verb: string, prec: number): string {
  // fmt's %#: keep a decimal point; %#g/%#v/%#x keep trailing zeros up to the precision (6 by default).
  let digits = 0;
  if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
    digits = prec;
    if (digits === -1) digits = 6;
  }
  let tail = '';
  let hasDecimalPoint = false;
  let sawNonzero = false;
  let body = num;
  for (let i = 1; i < body.length; i++) {
    const c = body[i];
    if (c === '.') {
      hasDecimalPoint = true;
      continue;
    }
    if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    }
    if (c !== '0') sawNonzero = true;
    if (sawNonzero) digits--;
  }
  if (!hasDecimalPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  while (digits > 0) {
    body += '0';
    digits--;
  }
  return body + tail;
}

function clear(): Flags {
  return {
    plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false,
    wid: 0, widPresent: false, prec: 0, precPresent: false,
  };
}

/** fmt.Sprint */
export function sprint(args: GoValue[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) p.buf += ' ';
    p.f = clear();
    p.printArg(a, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln */
export function sprintln(args: GoValue[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.buf += ' ';
    p.f = clear();
    p.printArg(a, 'v');
  });
  return p.buf + '\n';
}

/** fmt.Sprintf (format is a byte string). */
export function sprintf(format: string, a: GoValue[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const parsenum = (s: string, start: number, e: number): [number, boolean, number] => {
    if (start >= e) return [0, false, e];
    let num = 0;
    let isnum = false;
    let i = start;
    for (; i < e && s[i] >= '0' && s[i] <= '9'; i++) {
      if (num > 1e6 || num < -1e6) return [0, false, e];
      num = num * 10 + (s.charCodeAt(i) - 48);
      isnum = true;
    }
    return [num, isnum, i];
  };
  const argNumber = (argN: number, i: number, numArgs: number): [number, number, boolean] => {
    if (format.length <= i || format[i] !== '[') return [argN, i, false];
    reordered = true;
    // parseArgNumber
    let index = 0;
    let wid = 1;
    let ok = false;
    const sub = format.slice(i);
    if (sub.length >= 3) {
      for (let j = 1; j < sub.length; j++) {
        if (sub[j] === ']') {
          const [w, isnum, newi] = parsenum(sub, 1, j);
          if (!isnum || newi !== j) {
            index = 0;
            wid = j + 1;
            ok = false;
          } else {
            index = w - 1;
            wid = j + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && 0 <= index && index < numArgs) return [index, i + wid, true];
    goodArgNum = false;
    return [argN, i + wid, ok];
  };
  const intFromArg = (argN: number): [number, boolean, number] => {
    let num = 0;
    let isInt = false;
    let newArgNum = argN;
    if (argN < a.length) {
      const v = a[argN];
      const k = kindOf(v);
      if (typeof v === 'bigint' || v instanceof GoInt) {
        const n = typeof v === 'bigint' ? v : v.v;
        if (n >= -(2n ** 63n) && n < 2n ** 63n) {
          num = Number(n);
          isInt = true;
        }
        void k;
      }
      newArgNum = argN + 1;
      if (num > 1e6 || num < -1e6) {
        num = 0;
        isInt = false;
      }
    }
    return [num, isInt, newArgNum];
  };

  formatLoop: for (let i = 0; i < end; ) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.f = clear();
    simple: for (; i < end; i++) {
      const c = format[i];
      switch (c) {
        case '#': p.f.sharp = true; break;
        case '0': p.f.zero = !p.f.minus; break;
        case '+': p.f.plus = true; break;
        case '-': p.f.minus = true; p.f.zero = false; break;
        case ' ': p.f.space = true; break;
        default:
          if (c >= 'a' && c <= 'z' && argNum < a.length) {
            if (c === 'v') {
              p.f.sharpV = p.f.sharp;
              p.f.sharp = false;
              p.f.plusV = p.f.plus;
              p.f.plus = false;
            }
            if (c === 'w') {
              p.buf += '%!w(';
              p.buf += a[argNum] === null ? '<nil>' : typeName(a[argNum]) + '=';
              if (a[argNum] !== null) p.printArg(a[argNum], 'v');
              p.buf += ')';
            } else p.printArg(a[argNum], c);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simple;
      }
    }
    [argNum, i, afterIndex] = argNumber(argNum, i, a.length);
    if (i < end && format[i] === '*') {
      i++;
      [p.f.wid, p.f.widPresent, argNum] = intFromArg(argNum);
      if (!p.f.widPresent) p.buf += '%!(BADWIDTH)';
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      [p.f.wid, p.f.widPresent, i] = parsenum(format, i, end);
      if (afterIndex && p.f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      [argNum, i, afterIndex] = argNumber(argNum, i, a.length);
      if (i < end && format[i] === '*') {
        i++;
        [p.f.prec, p.f.precPresent, argNum] = intFromArg(argNum);
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!p.f.precPresent) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        [p.f.prec, p.f.precPresent, i] = parsenum(format, i, end);
        if (!p.f.precPresent) {
          p.f.prec = 0;
          p.f.precPresent = true;
        }
      }
    }
    if (!afterIndex) [argNum, i, afterIndex] = argNumber(argNum, i, a.length);
    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    let verb = format[i];
    let size = 1;
    if (format.charCodeAt(i) >= 0x80) {
      const [r, w] = decodeRune(format, i);
      verb = encodeRune(r);
      size = w;
    }
    i += size;
    if (verb === '%') {
      p.buf += '%';
    } else if (!goodArgNum) {
      p.buf += '%!' + verb + '(BADINDEX)';
    } else if (argNum >= a.length) {
      p.buf += '%!' + verb + '(MISSING)';
    } else {
      if (verb === 'v') {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      if (verb === 'w') {
        p.buf += '%!w(';
        p.buf += a[argNum] === null ? '<nil>' : typeName(a[argNum]) + '=';
        if (a[argNum] !== null) p.printArg(a[argNum], 'v');
        p.buf += ')';
      } else p.printArg(a[argNum], verb);
      argNum++;
    }
  }
  if (!reordered && argNum < a.length) {
    p.f = clear();
    p.buf += '%!(EXTRA ';
    a.slice(argNum).forEach((arg, i) => {
      if (i > 0) p.buf += ', ';
      if (arg === null) p.buf += '<nil>';
      else {
        p.buf += typeName(arg) + '=';
        p.printArg(arg, 'v');
      }
    });
    p.buf += ')';
  }
  return p.buf;
}
