/**
 * Table cases shared by the expectation tests (gjson.test.ts) and the differential suite: documents and
 * paths covering each gjson feature ESO exposes through `remoteRef.property`.
 */

export const README_DOC = `{
  "name": {"first": "Tom", "last": "Anderson"},
  "age":37,
  "children": ["Sara","Alex","Jack"],
  "fav.movie": "Deer Hunter",
  "friends": [
    {"first": "Dale", "last": "Murphy", "age": 44, "nets": ["ig", "fb", "tw"]},
    {"first": "Roger", "last": "Craig", "age": 68, "nets": ["fb", "tw"]},
    {"first": "Jane", "last": "Murphy", "age": 47, "nets": ["ig", "tw"]}
  ]
}`;

export const VALUES_DOC =
  '{"s":"a\\u0041","i":10,"f":1.50,"e":1e3,"big":12345678901234567890,"t":true,"fa":false,"n":null,' +
  '"o":{"b" : 1, "a":"<"},"arr":[1, "x"],"neg":-0,"html":"<a href=\\"x\\">&amp;</a>","ls":"\\u2028",' +
  '"a.b":"literal","a":{"b":"nested"},"emoji":"\\ud83d\\ude00","lone":"\\ud800x","ctl":"a\\u0000b",' +
  '"esc":"\\"\\\\\\/\\b\\f\\n\\r\\t","ex":"x\\qy","sp ace":1,"": "empty-key","a*":"star","nan":NaN}';

/** [json, path] pairs. */
export const TABLE_GETS: [string, string][] = [
  // dotted paths, indexes, counts, wildcards, escapes (gjson README)
  ...[
    'name.last', 'name.first', 'age', 'children', 'children.#', 'children.1', 'children.3', 'children.-1',
    'child*.2', 'c?ildren.0', 'fav\\.movie', 'fav.movie', 'friends.#', 'friends.1.last', 'friends.1.nets.1',
    'friends.#.first', 'friends.#.nets', 'friends.#.nets.#', 'friends.#.nets.0', 'name', 'missing',
    'name.missing', 'friends.5', 'age.x', '', 'n*e.l*t', '*.last', '?ame.?ast', 'na\\me', 'name\\.last',
    'friends.01', 'friends.18446744073709551616.first', 'friends.0x1',
  ].map((p): [string, string] => [README_DOC, p]),
  // queries
  ...[
    'friends.#(last=="Murphy").first', 'friends.#(last=="Murphy")#.first', 'friends.#(last="Murphy")#.first',
    'friends.#(age>45)#.last', 'friends.#(age>=47)#.last', 'friends.#(age<47)#.first', 'friends.#(age<=44).first',
    'friends.#(age!=44)#.first', 'friends.#(first%"D*").last', 'friends.#(first!%"D*").last',
    'friends.#(nets.#(=="fb"))#.first', 'friends.#(nets.#(=="fb")).first', 'children.#(!%"*a*")',
    'children.#(%"*a*")#', 'children.#(=="Alex")', 'children.#(>"B")#', 'friends.#(last=="Nobody").first',
    'friends.#(last=="Nobody")#.first', 'friends.#(age)#.first', 'friends.#(nope)#', 'friends.#(first)',
    'friends.#(age==44.0).first', 'friends.#(age=="44").first', 'friends.#[last=="Craig"].first',
    'friends.#(last=="Murphy")#|#', 'friends.#(last=="Murphy")#|0.first', 'friends.#(last==Murphy).first',
    'friends.#(last=="Mur\\"phy").first', 'friends.#(age>4e1)#.age', 'friends.#(first%"?ane").age',
  ].map((p): [string, string] => [README_DOC, p]),
  // pipes, JSON lines, literals, @this, modifiers-as-keys
  ...[
    'name|last', 'friends.#.nets|0', 'friends|#', 'friends.0|nets|1', '..0', '!true', '!false', '!null', '!NaN',
    '!inf', '!"x"', '!123.x', '!{"a":1}.a', '@this.name.last', '@this', 'name.@this', 'missing|!true',
    '@notamodifier', 'name.@x',
  ].map((p): [string, string] => [README_DOC, p]),
  // modifiers (ESO runs them when a property starts with a modifier name)
  ...[
    '@reverse', 'children|@reverse', 'children.@reverse', '@reverse.0', 'friends.#.nets|@flatten',
    'friends.#.nets|@flatten:{"deep":true}', '@keys', 'name|@values', 'name.@values', 'friends|@join',
    'friends|@join:{"preserve":true}', '@valid', 'name.first|@tostr', '@dig:first', '@ugly', 'friends.0|@keys',
    '@this:x.name', 'name.@keys', 'children|@keys', 'age|@keys', 'missing|@keys', '@keys.1', '@values.#',
    'friends.@dig:nets', 'name|@tostr|@fromstr', 'friends|@group',
    '@pretty', 'friends|@pretty', 'name|@pretty', 'children|@pretty', '@pretty:{"sortKeys":true}',
    '@pretty:{"indent":"\\t","prefix":"  ","width":20}', '@pretty:{"width":-1}', '@pretty:{"indent":"ab"}',
    'friends.0|@pretty:{"sortKeys":true,"width":200}', '@ugly|@pretty', 'friends.#.nets|@pretty',
    // multipaths
    '[name.first,age]', '{name.first,age}', '{"n":name.last,a:age,"bad\\":age}', '[name.first,missing]',
    '[name.first,age].1', '{name.first,age}|first', '[age,!true,!"x"]', '{friends.#.first}', '{a.b|c}', '[',
    '[name', '{name.first,age', '[a]b', '{[name.first,age]}', '[friends.#(age>45)#.first,children.#]',
    'friends.0.[first,last]', 'friends.#.[first]', 'name.{first}', '{"a\\"b":age}', '{@this}',
  ].map((p): [string, string] => [README_DOC, p]),
  ...[
    '@group', '@flatten:{"deep":true}', 'x|@fromstr', 'x|@fromstr|a', 'y|@fromstr', '@join', '@valid', 'q|@tostr',
    '@reverse', '@ugly', '@keys', '@values',
  ].map((p): [string, string] => [
    '{"id":["a","b"],"n":[1,2,3],"x":"{\\"a\\": [1, 2]}","y":"nope","q":"<\\u2028\\u00e9>","o":{"a":[1,[2,[3]]]}}',
    p,
  ]),
  ...[
    '@pretty', '@pretty:{"sortKeys":true}', '@pretty:{"width":3}', '@pretty:{"sortKeys":"t","width":"10"}',
  ].map((p): [string, string] => [
    '{"b":[1,2,{"x":"y"}],"a":{"z":1,"y":[]},"c":"\\"q\\u0041","a":null,"d":[[],[1],{}],"e":-1.5e3,"f":true,' +
      '"g":"b","g":"a","h":1e400,"i":NaN,"k":"\\u00e9","j":"é","long":[' + '"xxxxxxxx",'.repeat(12) + '1]}',
    p,
  ]),
  ...['@pretty', '@pretty:{"sortKeys":true}'].map((p): [string, string] => ['[3,1,2]', p]),
  ...['@pretty', '@pretty:{"sortKeys":true}'].map((p): [string, string] => ['{"a":1,"a":0,"b":"x","b":"\\u0041"}', p]),
  ...['@pretty', '@pretty:{"sortKeys":true}'].map((p): [string, string] => ['{"a":[1,2', p]),
  ...['@pretty', '@pretty:{"sortKeys":true}'].map((p): [string, string] => ['  tru', p]),
  ...['@flatten', '@flatten:{"deep":true}', '@join', '@join:{"preserve":1}', '@reverse', '@valid'].map(
    (p): [string, string] => ['[1, [2, [3, 4]], {"a":1}, {"a":2,"b":3}, [ ], "x"]', p],
  ),
  ...[
    'name', '..#', '..1.name', '..#.name', '..#(name=="b").x',
  ].map((p): [string, string] => ['{"name":"a","x":1}\n{"name":"b","x":2}\n', p]),
  // query operators over mixed value kinds, including gjson's ~true/~false/~null/~* coercions
  ...[
    '#(a==~true)#', '#(a==~false)#', '#(a==~null)#', '#(a==~*)#', '#(a!=~true)#', '#(a==~maybe)#', '#(a=~true)#',
    '#(a%"x\\*y")#', '#(a%"x*")#', '#(a!%"*")#', '#(a>0)#', '#(a<"u")#', '#(a>=true)#', '#(a<=false)#',
    '#(a>false)#', '#(a<true)#', '#(a==true)#', '#(a!=null)#', '#(a==null)#', '#(a)#', '#(b)#.b', '#(a==-)#',
    '#(a==+Inf)#', '#(a>1e308)#', '#(a==0x10)#', '#(a == "t" )#', '#[a=="t"]#', '#(a==1)#|#', '#(a==1)#.a',
    '#(a==1).b', '#.a', '#.a|#', '#.#', '#(a==1)#.#', '#(#(==1))#',
  ].map((p): [string, string] => [
    '[{"a":true},{"a":"TRUE"},{"a":"t"},{"a":1},{"a":0},{"a":"no"},{"a":null},{"b":1},{"a":"x*y"},{"a":-},' +
      '{"a":Infinity},{"a":1e400},{"a":16},[1,2],"s",3,null]',
    p,
  ]),
  // value kinds and String()
  ...[
    's', 'i', 'f', 'e', 'big', 't', 'fa', 'n', 'o', 'arr', 'neg', 'html', 'ls', 'a.b', 'a\\.b', 'emoji', 'lone',
    'ctl', 'esc', 'ex', 'sp ace', '', 'a\\*', 'a*', 'nan', 'o.a', 'arr.1', 'arr.#',
  ].map((p): [string, string] => [VALUES_DOC, p]),
  // lenient parsing of malformed input
  ...[
    ['{"a":1', 'a'], ['{"a":"x', 'a'], ['{"a":[1,2', 'a.#'], ['{"a":[1,2', 'a.1'], ['{"a":{"b":"c"', 'a.b'],
    ['{"a" 1}', 'a'], ['{"a":}', 'a'], ['{"a":tru}', 'a'], ['{"a":nul}', 'a'], ['{"a":-}', 'a'], ['{"a":01}', 'a'],
    ['{"a":1.2.3}', 'a'], ['{"a":+5}', 'a'], ['{"a":Infinity}', 'a'], ['{"a":-Inf}', 'a'], ['{"a":0x1p-2}', 'a'],
    ['{"a":1e400}', 'a'], ['{"a":12abc}', 'a'], ['{a:1}', 'a'], ["{'a':1}", 'a'], ['[1,2,3', '#'], ['[1,2,3', '2'],
    ['[', '#'], ['', 'a'], ['   ', 'a'], ['null', 'a'], ['"str"', 'a'], ['123', '0'], ['x{"a":1}', 'a'],
    ['{"a":"\\u00zz"}', 'a'], ['{"a":"\\ud83d\\u0041"}', 'a'], ['{"a":"\\"}', 'a'], ['{"a\\"b":1}', 'a"b'],
    ['{"a\\u002eb":1}', 'a\\.b'], ['{"a":[{"b":1},{"b":2}]', 'a.#.b'], ['{"a":[{"b":1},{"b":2}', 'a.#(b==2)'],
    ['{"a":"x\\\\"}', 'a'], ['{"a":[1 , 2 ,3 ]}', 'a.#'], ['{"a":[1 , 2 ,3 ]}', 'a.2'], ['{"a":[]}', 'a.#'],
    ['{"a":[]}', 'a.#(b)#'], ['{"a":[[1,2],[3]]}', 'a.#.#'], ['{"a":[[1,2],[3]]}', 'a.1.0'],
    ['{"a":"\\u1😀"}', 'a'], ['{"a":"\\u12"}', 'a'], ['{"a":"\\uD83D\\uDE00"}', 'a'], ['{"a":"\\ud83d\\u00e9"}', 'a'],
  ] as [string, string][],
];

/** Documents for the encoding/json and extract comparisons. */
export const TABLE_DOCS: string[] = [
  VALUES_DOC.replace(',"nan":NaN', ''),
  README_DOC,
  '{"a":1e400}',
  '{"a":{"b":[1,2,1e400]}}',
  '{"k":"\\ud800","k2":"\\udc00\\ud800","k3":"\\ud83d\\ude00","k4":"\\ud83dx"}',
  '{"z":1,"a":2,"é":3,"😀":4,"\uffff":5,"B":6}',
  '{"a":1,"a":2}',
  '[1,2]',
  '"str"',
  '123',
  'true',
  'null',
  '',
  '   ',
  '{',
  '{"a":1,}',
  '[1,]',
  '{"a" 1}',
  '{"a":01}',
  '{"a":-}',
  '{"a":1.}',
  '{"a":1e}',
  '{"a":tru}',
  '{"a":"\\x"}',
  '{"a":"\\u12"}',
  '{"a":"x',
  '{"a":"\\',
  '{"a":"b\u0001"}',
  '{"a":1} x',
  '{"a":1}\n',
  ' {"a" : [ 1 , {"b" : null} ] } ',
  '{"html":"<>&\u2028\u2029\u007f"}',
  '{"n":[0,-0,1.0,1E2,0.000001,0.0000001,1e21,1e20,123456789.123456789,5e-324]}',
  // syntax errors: the scanner's exact wording
  '{"a":1 "b":2}', '[1 2]', '-', '1.', '1e', 'tru', 'nul!', '"\\u12"', '"a\u0001"', '"a\n"', "'a'", '\u00e9',
  '\u0085', '\u00a0', '\u00ad', '\u007f', '\u0007', '[' + '1,'.repeat(3) + ']', '{"a":[1,2,{"b":nul}]}', '{"a":-01}',
  '{"a":1E+2,"b":-0.0e-0}', '"\\ud800\\udbff\\udc00"', '"\\uDBFF\\uDFFF"', '{"\\u0000":"\\u001f"}',
  '[' .repeat(10001) + ']'.repeat(10001), '['.repeat(10000) + ']'.repeat(10000),
];
