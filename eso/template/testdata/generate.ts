/**
 * fast-check arbitraries for random but meaningful ESO templates: actions and pipelines over the
 * provider data, the sprig/ESO functions (with mostly well-typed arguments), printf with random
 * verbs/flags/width/precision, if/with/range (break, continue, else), variables, trim markers.
 */
import fc from 'fast-check';

const KEYS = ['username', 'password', 'host', 'num', 'float', 'list', 'json', 'empty', 'bin', 'unicode', 'yaml'];

/** kind of argument a function wants: s string, i int, f number, l list, d dict, a anything */
const FUNCS: Record<string, string> = {
  upper: 's', lower: 's', title: 's', untitle: 's', trim: 's', trimAll: 'ss', trimPrefix: 'ss', trimSuffix: 'ss',
  repeat: 'is', substr: 'iis', trunc: 'is', nospace: 's', abbrev: 'is', initials: 's', wrap: 'is', contains: 'ss',
  hasPrefix: 'ss', hasSuffix: 'ss', quote: 'a', squote: 'a', cat: 'aa', indent: 'is', nindent: 'is', replace: 'sss',
  plural: 'ssi', sha1sum: 's', sha256sum: 's', adler32sum: 's', toString: 'a', atoi: 's', splitList: 'ss', join: 'sl',
  sortAlpha: 'l', b64enc: 's', b64dec: 's', b32enc: 's', add: 'aa', add1: 'a', sub: 'aa', mul: 'aa', div: 'aa', mod: 'aa',
  max: 'aa', min: 'aa', addf: 'aa', subf: 'aa', mulf: 'aa', floor: 'a', ceil: 'a', round: 'ai', int: 'a', int64: 'a',
  float64: 'a', until: 'i', untilStep: 'iii', seq: 'ii', default: 'aa', empty: 'a', coalesce: 'aa', ternary: 'aab',
  list: 'aa', first: 'l', last: 'l', rest: 'l', initial: 'l', reverse: 'l', uniq: 'l', without: 'la', has: 'al',
  compact: 'l', slice: 'lii', concat: 'll', dict: 'sa', get: 'ds', hasKey: 'ds', pick: 'ds', omit: 'ds', toJson: 'a',
  toRawJson: 'a', toPrettyJson: 'a', fromJson: 's', typeOf: 'a', kindOf: 'a', len: 'a', index: 'ai', print: 'aa',
  println: 'a', eq: 'aa', ne: 'aa', lt: 'aa', le: 'aa', gt: 'aa', ge: 'aa', and: 'aa', or: 'aa', not: 'a', html: 's',
  js: 's', urlquery: 's', regexMatch: 'ss', regexFind: 'ss', regexReplaceAll: 'sss', regexSplit: 'ssi', squash: '',
  toStrings: 'l', split: 'ss', deepEqual: 'aa', kindIs: 'sa', pluck: 'sd', toYaml: 'a',
  filterPEM: 'ss', swapcase: 's', b32dec: 's', mustToJson: 'a', chunk: 'il', append: 'la', prepend: 'la',
};
// Not generated: keys/values (Go map order is random), fromYaml (yaml.v2's error prose differs).
delete FUNCS['squash'];
const FUNC_NAMES = Object.keys(FUNCS);

const strLit = fc
  .oneof(
    fc.constantFrom('', 'a', 'abc', 'Hello World', ',', '-', 'x y z', 'é✓', '  sp  ', 'a,b,c', '[0-9]+', '(a)(b)', '{"k":[1,2]}', 'a: 1', '<&>', '%d', '$1'),
    fc.string({ maxLength: 8 }),
  )
  .map((s) => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (m) => m));
const intLit = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(0, 1, 100, -100, 255, 5000)).map(String);
const floatLit = fc.constantFrom('1.5', '0.1', '-2.25', '3.0', '1e3', '1e21', '0.000001', '123456.789', '2.5e-7');
const boolLit = fc.constantFrom('true', 'false');
const field = fc.oneof(fc.constantFrom(...KEYS).map((k) => `.${k}`), fc.constantFrom('.absent', '$.username', '.'));
const varRef = fc.constantFrom('$s', '$n', '$l', '$d', '$');

const tree = fc.letrec<{ pipe: string; term: string; call: string; listTerm: string; dictTerm: string }>((tie) => ({
  term: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    strLit,
    intLit,
    floatLit,
    boolLit,
    field,
    varRef,
    tie('listTerm'),
    tie('pipe').map((p) => `(${p})`),
  ),
  listTerm: fc.oneof(
    fc.constant('$l'),
    fc.array(fc.oneof(strLit, intLit, floatLit), { maxLength: 4 }).map((xs) => `(list ${xs.join(' ')})`),
    fc.constantFrom('(splitList "," .list)', '(until 4)', '(list)', '(list 3 1 2)', '(list "b" "a" "b")'),
  ),
  dictTerm: fc.oneof(fc.constant('$d'), fc.constantFrom('(dict "a" 1 "b" "x")', '(dict)', '(fromJson .json)')),
  call: fc.constantFrom(...FUNC_NAMES).chain((name) => {
    const kinds = FUNCS[name]!.split('');
    const argFor = (k: string): fc.Arbitrary<string> => {
      const typed =
        k === 's' ? fc.oneof(strLit, field) :
        k === 'i' ? intLit :
        k === 'f' ? floatLit :
        k === 'b' ? boolLit :
        k === 'l' ? tie('listTerm') :
        k === 'd' ? tie('dictTerm') :
        tie('term');
      return fc.oneof({ weight: 9, arbitrary: typed }, { weight: 1, arbitrary: tie('term') });
    };
    // sometimes one argument too few or too many, so arity errors are exercised too
    return fc
      .tuple(fc.tuple(...kinds.map(argFor)), fc.integer({ min: -1, max: 8 }), tie('term'))
      .map(([args, delta, extra]) => {
        const used = delta < 0 ? args.slice(0, -1) : delta > 7 ? [...args, extra] : args;
        return [name, ...used].join(' ');
      });
  }),
  pipe: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    tie('call'),
    tie('term'),
    fc.tuple(tie('term'), fc.constantFrom('upper', 'quote', 'len', 'b64enc', 'toJson', 'trim', 'title', 'typeOf', 'toString', 'default "d"', 'printf "%v"', 'squote', 'indent 2', 'sha1sum', 'first', 'sortAlpha', 'html', 'js', 'urlquery'))
      .map(([t, f]) => `${t} | ${f}`),
    fc.tuple(printfFormat(), fc.array(tie('term'), { maxLength: 4 })).map(([f, args]) => `printf ${JSON.stringify(f)} ${args.join(' ')}`),
  ),
}));

function printfFormat(): fc.Arbitrary<string> {
  const verb = fc.constantFrom('s', 'd', 'v', '+v', 'q', 'x', 'X', 'o', 'b', 'e', 'f', 'g', 't', 'c', 'U', 'T', '%', 'E', 'G');
  const flags = fc.constantFrom('', '-', '+', '#', ' ', '0', '-0', '+0');
  const width = fc.oneof(fc.constant(''), fc.integer({ min: 1, max: 12 }).map(String));
  const prec = fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 6 }).map((p) => `.${p}`));
  const spec = fc.tuple(flags, width, prec, verb).map(([a, b, c, d]) => `%${a}${b}${c}${d}`);
  return fc.array(fc.oneof(spec, fc.constantFrom('|', ' ', 'x=', ':')), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
}

const action = fc
  .tuple(fc.boolean(), tree.pipe, fc.boolean())
  .map(([l, p, r]) => `{{${l ? '- ' : ' '}${p}${r ? ' -' : ' '}}}`);

const text = fc.constantFrom('', ' ', '\n', 'txt', ' - ', ':', '\n  ', 'a=');

const node: fc.Arbitrary<string> = fc.letrec<{ node: string; block: string }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 2, depthSize: 'small' },
    { weight: 5, arbitrary: action },
    { weight: 2, arbitrary: text },
    tie('block'),
  ),
  block: fc.oneof(
    fc.tuple(tree.pipe, fc.array(tie('node'), { maxLength: 3 }), fc.option(fc.array(tie('node'), { maxLength: 2 }))).map(
      ([p, body, els]) => `{{ if ${p} }}${body.join('')}${els ? `{{ else }}${els.join('')}` : ''}{{ end }}`,
    ),
    fc.tuple(tree.pipe, tree.pipe, fc.array(tie('node'), { maxLength: 2 })).map(
      ([p, q, body]) => `{{ if ${p} }}A{{ else if ${q} }}${body.join('')}{{ else }}C{{ end }}`,
    ),
    fc.tuple(tree.pipe, fc.array(tie('node'), { maxLength: 3 })).map(([p, body]) => `{{ with ${p} }}${body.join('')}{{ else }}none{{ end }}`),
    fc.tuple(
      fc.oneof(tree.listTerm, fc.constantFrom('.', '$d', '3', '(dict "b" 1 "a" 2)', '(fromJson .json)', '.username')),
      fc.constantFrom('', '$i, $e := ', '$e := '),
      fc.array(fc.oneof(tie('node'), fc.constantFrom('{{ . }}', '{{ $ }}', '{{ if eq (typeOf .) "int" }}{{ break }}{{ end }}', '{{ continue }}')), { maxLength: 3 }),
      fc.boolean(),
    ).map(([l, decl, body, els]) => {
      const uses = decl.includes('$i') ? '{{ $i }}:{{ $e }};' : decl ? '{{ $e }};' : '';
      return `{{ range ${decl}${l} }}${uses}${body.join('')}${els ? '{{ else }}empty' : ''}{{ end }}`;
    }),
  ),
})).node;

const PRELUDE = '{{- $s := .username -}}{{- $n := 3 -}}{{- $l := list 1 "a" 2.5 nil -}}{{- $d := dict "k" "v" "n" 2 -}}';

/** A random template (usually with variables $s $n $l $d declared). */
export const templateArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 9 }), fc.array(node, { minLength: 1, maxLength: 5 }))
  .map(([p, nodes]) => (p === 0 ? '' : PRELUDE) + nodes.join(''));

const valueArb = fc.oneof(
  fc.constantFrom('admin', 'canary-s3cr3t<&>', '42', '3.75', 'a,b,,c', '', '  padded  ', 'héllo ✓', '{"a":1,"b":[true,null]}', 'a: 1\nb: yes'),
  fc.string({ maxLength: 12 }).map((s) => s),
  fc.uint8Array({ maxLength: 8 }),
);

/** Provider data: the fixed key set with random values (strings or raw bytes). */
export const dataArb: fc.Arbitrary<Record<string, Uint8Array>> = fc
  .array(valueArb, { minLength: KEYS.length, maxLength: KEYS.length })
  .map((vals) =>
    Object.fromEntries(
      KEYS.map((k, i) => {
        const v = vals[i]!;
        return [k, typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v];
      }),
    ),
  );
