/**
 * The function map is ESO v2.9.0's, name for name: its vendored sprig (runtime/template/v2/sprig/functions.go
 * genericMap, which has no env/expandenv/getHostByName and adds hexdec) and ESO's own (runtime/template/v2/
 * template.go tplFuncs), over Go's builtins. Each is implemented; none answers "not supported".
 */
import { describe, expect, it } from 'vitest';
import { builtins } from './builtins.ts';
import { esoFuncMap } from './funcs.ts';

const SPRIG_FUNCS = [
  'abbrev', 'abbrevboth', 'add', 'add1', 'add1f', 'addf', 'adler32sum', 'ago', 'all', 'any', 'append', 'atoi',
  'b32dec', 'b32enc', 'b64dec', 'b64enc', 'base', 'bcrypt', 'biggest', 'buildCustomCert', 'camelcase', 'cat', 'ceil',
  'chunk', 'clean', 'coalesce', 'compact', 'concat', 'contains', 'date', 'dateInZone', 'dateModify', 'date_in_zone',
  'date_modify', 'decryptAES', 'deepCopy', 'deepEqual', 'default', 'derivePassword', 'dict', 'dig', 'dir', 'div',
  'divf', 'duration', 'durationRound', 'empty', 'encryptAES', 'ext', 'fail', 'first', 'float64', 'floor', 'fromJson',
  'genCA', 'genCAWithKey', 'genPrivateKey', 'genSelfSignedCert', 'genSelfSignedCertWithKey', 'genSignedCert',
  'genSignedCertWithKey', 'get', 'has', 'hasKey', 'hasPrefix', 'hasSuffix', 'hello', 'hexdec', 'htmlDate',
  'htmlDateInZone', 'htpasswd', 'indent', 'initial', 'initials', 'int', 'int64', 'isAbs', 'join', 'kebabcase',
  'keys', 'kindIs', 'kindOf', 'last', 'list', 'lower', 'max', 'maxf', 'merge', 'mergeOverwrite', 'min', 'minf',
  'mod', 'mul', 'mulf', 'mustAppend', 'mustChunk', 'mustCompact', 'mustDateModify', 'mustDeepCopy', 'mustFirst',
  'mustFromJson', 'mustHas', 'mustInitial', 'mustLast', 'mustMerge', 'mustMergeOverwrite', 'mustPrepend', 'mustPush',
  'mustRegexFind', 'mustRegexFindAll', 'mustRegexMatch', 'mustRegexReplaceAll', 'mustRegexReplaceAllLiteral',
  'mustRegexSplit', 'mustRest', 'mustReverse', 'mustSlice', 'mustToDate', 'mustToJson', 'mustToPrettyJson',
  'mustToRawJson', 'mustUniq', 'mustWithout', 'must_date_modify', 'nindent', 'nospace', 'now', 'omit', 'osBase',
  'osClean', 'osDir', 'osExt', 'osIsAbs', 'pick', 'pluck', 'plural', 'prepend', 'push', 'quote', 'randAlpha',
  'randAlphaNum', 'randAscii', 'randBytes', 'randInt', 'randNumeric', 'regexFind', 'regexFindAll', 'regexMatch',
  'regexQuoteMeta', 'regexReplaceAll', 'regexReplaceAllLiteral', 'regexSplit', 'repeat', 'replace', 'rest',
  'reverse', 'round', 'semver', 'semverCompare', 'seq', 'set', 'sha1sum', 'sha256sum', 'sha512sum', 'shuffle',
  'slice', 'snakecase', 'sortAlpha', 'split', 'splitList', 'splitn', 'squote', 'sub', 'subf', 'substr', 'swapcase',
  'ternary', 'title', 'toDate', 'toDecimal', 'toJson', 'toPrettyJson', 'toRawJson', 'toString', 'toStrings', 'trim',
  'trimAll', 'trimPrefix', 'trimSuffix', 'trimall', 'trunc', 'tuple', 'typeIs', 'typeIsLike', 'typeOf', 'uniq',
  'unixEpoch', 'unset', 'until', 'untilStep', 'untitle', 'upper', 'urlJoin', 'urlParse', 'uuidv4', 'values',
  'without', 'wrap', 'wrapWith',
];
const ESO_FUNCS = [
  'certSANs', 'filterCertChain', 'filterPEM', 'fromYaml', 'fullPemToPkcs12', 'fullPemToPkcs12Pass',
  'jwkPrivateKeyPem', 'jwkPublicKeyPem', 'pemToPkcs12', 'pemToPkcs12Pass', 'pemTruststoreToPKCS12',
  'pemTruststoreToPKCS12Pass', 'pkcs12cert', 'pkcs12certPass', 'pkcs12key', 'pkcs12keyPass', 'rsaDecrypt', 'toYaml',
];

describe('the function map', () => {
  it(`holds the ${SPRIG_FUNCS.length} sprig and ${ESO_FUNCS.length} ESO functions of ESO v2.9.0 and nothing else beyond Go's builtins`, () => {
    const names = [...esoFuncMap({}).keys()].filter((n) => !Object.hasOwn(builtins, n) || n === 'slice');
    expect(names.sort()).toEqual([...SPRIG_FUNCS, ...ESO_FUNCS].sort());
  });
});
