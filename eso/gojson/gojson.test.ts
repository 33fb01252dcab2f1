import { describe, expect, test } from 'vitest';
import {
  compareGoStrings,
  decodeUtf8Go,
  formatFloatF,
  formatFloatJSON,
  goByteValue,
  GoJsonError,
  GoNumber,
  marshal,
  parseFloatGo,
  unmarshalAny,
  unmarshalObject,
  unmarshalRawObject,
  validJSON,
  type GoValue,
} from './index.ts';

describe('strconv.FormatFloat(f, \'f\', -1, 64)', () => {
  test.each([
    [1.5, '1.5'], [1000, '1000'], [12345678901234567890, '12345678901234567000'], [0, '0'], [-0, '-0'],
    [0.1, '0.1'], [1e21, '1000000000000000000000'], [1e-7, '0.0000001'], [-2.5e-3, '-0.0025'],
    [5e-324, '0.' + '0'.repeat(323) + '5'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
    [123456789.123456789, '123456789.12345679'], [0.30000000000000004, '0.30000000000000004'],
  ])('%s → %s', (x, want) => {
    expect(formatFloatF(x)).toBe(want);
  });
});

describe('encoding/json float64 text', () => {
  test.each([
    [1.5, '1.5'], [1000, '1000'], [1e20, '100000000000000000000'], [1e21, '1e+21'], [1e-6, '0.000001'],
    [1e-7, '1e-7'], [1.5e-10, '1.5e-10'], [-1.2e300, '-1.2e+300'], [0, '0'], [-0, '-0'], [12345678901234567890, '12345678901234567000'],
  ])('%s → %s', (x, want) => {
    expect(formatFloatJSON(x)).toBe(want);
  });
});

// Go (go1.26.8) parses '1_000' as 1000 without error (underscoreOK allows separators between decimal digits);
// this row said 0 until the one ParseFloat port in core/go/strconv.ts replaced the copy here.
describe('strconv.ParseFloat (error ignored)', () => {
  test.each([
    ['1.50', 1.5], ['1e3', 1000], ['-0', -0], ['+5', 5], ['.5', 0.5], ['5.', 5], ['1e400', Infinity],
    ['-1e400', -Infinity], ['inf', Infinity], ['-Infinity', -Infinity], ['NaN', NaN], ['+nan', 0],
    ['0x1p-2', 0.25], ['0x1.8p1', 3], ['0x10', 0], ['1_000', 1000], ['12abc', 0], ['', 0], ['-', 0], ['1e', 0],
    ['infin', 0],
  ])('%s → %s', (s, want) => {
    expect(Object.is(parseFloatGo(s), want)).toBe(true);
  });
});

describe('json.Marshal', () => {
  const m = (entries: [string, GoValue][]): Map<string, GoValue> => new Map(entries);
  test.each<[GoValue, string]>([
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\b\f\n\r\t\u0001\u001f\u007f', '"\\b\\f\\n\\r\\t\\u0001\\u001f\u007f"'],
    ['\ud800', '"\\ufffd"'],
    ['é😀', '"é😀"'],
    [m([['b', 1], ['a', '<'], ['A', null]]), '{"A":null,"a":"\\u003c","b":1}'],
    [m([['\uffff', 1], ['😀', 2], ['z', 3]]), '{"z":3,"\uffff":1,"😀":2}'],
    [[1, 'x', true, false, null, [], m([])], '[1,"x",true,false,null,[],{}]'],
    [new GoNumber('1.50'), '1.50'],
    [new GoNumber(''), '0'],
    [1e21, '1e+21'],
  ])('%j', (v, want) => {
    expect(marshal(v)).toBe(want);
  });

  test('SetEscapeHTML(false) leaves <>& alone but still escapes U+2028', () => {
    expect(marshal('<&>\u2028', { escapeHTML: false })).toBe('"<&>\\u2028"');
  });

  test('unrepresentable values fail like Go', () => {
    expect(() => marshal(NaN)).toThrow('json: unsupported value: NaN');
    expect(() => marshal(Infinity)).toThrow('json: unsupported value: +Inf');
    expect(() => marshal(new GoNumber('1.'))).toThrow(GoJsonError);
  });

  test('keys sort by UTF-8 bytes', () => {
    expect(['😀', '\uffff', 'b', 'B', ''].sort(compareGoStrings)).toEqual(['', 'B', 'b', '\uffff', '😀']);
  });
});

describe('json.Unmarshal', () => {
  test('UseNumber keeps number text; float64 otherwise', () => {
    const withText = unmarshalObject('{"a":1.50,"b":[1e3]}', { useNumber: true });
    expect(marshal(withText)).toBe('{"a":1.50,"b":[1e3]}');
    expect(marshal(unmarshalObject('{"a":1.50,"b":[1e3]}'))).toBe('{"a":1.5,"b":[1000]}');
  });

  test('strings decode like Go: invalid UTF-8 bytes and unpaired surrogates become U+FFFD', () => {
    expect(unmarshalAny(Buffer.from([0x22, 0xe2, 0x82, 0x22]))).toBe('\ufffd\ufffd');
    expect(unmarshalAny('"\\ud800\\u0041"')).toBe('\ufffdA');
    expect(unmarshalAny('"\\ud83d\\ude00"')).toBe('😀');
    expect(unmarshalAny('"\\udc00"')).toBe('\ufffd');
  });

  test('duplicate keys: the last wins', () => {
    expect(marshal(unmarshalAny('{"a":1,"a":2}'))).toBe('{"a":2}');
    expect(Buffer.from(unmarshalRawObject('{"a":1,"a": [ 2 ]}').get('a')!).toString()).toBe('[ 2 ]');
  });

  test.each([
    ['', 'unexpected end of JSON input'],
    ['  ', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['-', "invalid character ' ' in numeric literal"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['1e', "invalid character ' ' in exponent of numeric literal"],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['nul!', "invalid character '!' in literal null (expecting 'l')"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12"', "invalid character '\"' in \\u hexadecimal character escape"],
    ['"a\u0001"', "invalid character '\\x01' in string literal"],
    ['"a\n"', "invalid character '\\n' in string literal"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ['{"a":1} x', "invalid character 'x' after top-level value"],
    ['\u00e9', "invalid character 'Ã' looking for beginning of value"],
    ['{"a":1e400}', 'json: cannot unmarshal number 1e400 into Go value of type float64'],
  ])('%j → %s', (input, message) => {
    expect(() => unmarshalAny(input)).toThrow(new GoJsonError(message));
  });

  test('nesting deeper than Go\'s 10000 levels is refused with Go\'s message', () => {
    expect(() => unmarshalAny('['.repeat(10001) + ']'.repeat(10001))).toThrow("invalid character '[' exceeded max depth");
    expect(marshal(unmarshalAny('['.repeat(10000) + ']'.repeat(10000))).length).toBe(20000);
  });

  test('validJSON', () => {
    expect(validJSON('{"a":[1,2,{"b":null}]}')).toBe(true);
    expect(validJSON('{"a":[1,2,{"b":nul}]}')).toBe(false);
  });
});

describe('GetByteValue', () => {
  test.each<[GoValue, string]>([
    ['aA', 'aA'], [1.5, '1.5'], [1e3, '1000'], [12345678901234567890, '12345678901234567000'],
    [new GoNumber('1.50'), '1.50'], [true, 'true'], [false, 'false'], [null, ''],
    [new Map<string, GoValue>([['b', 1], ['a', '<']]), '{"a":"\\u003c","b":1}'], [[1, 'x'], '[1,"x"]'],
  ])('%j → %s', (v, want) => {
    expect(Buffer.from(goByteValue(v)).toString('utf8')).toBe(want);
  });
});

test('decodeUtf8Go replaces each invalid byte with U+FFFD', () => {
  expect(decodeUtf8Go(Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80]))).toBe('a\ufffd\ufffdb\ufffd\ufffd\ufffd');
  expect(decodeUtf8Go(Buffer.from('é😀', 'utf8'))).toBe('é😀');
});
