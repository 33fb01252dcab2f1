import { describe, expect, it } from 'vitest';
import type { WorkingSecret } from '../templating.ts';
import { existingSecret, fakeStore, makeES, render, secretData } from '../testkit.test-util.ts';
import { compileTransform, createTemplateEngine, executeTemplateMap } from './index.ts';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const tplOf = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, enc(v)]));
const data = tplOf({ user: 'admin', password: 'canary-pw', port: '5432' });
const text = (m: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v).toString('utf8')]));

function secret(): WorkingSecret {
  return { type: 'Opaque', labels: {}, annotations: {}, data: {} };
}

describe("ESO's v2 Execute (§6.2 scopes, §6.3 targets, §6.4 errors)", () => {
  it('Values: key literal, value rendered, into Data / Labels / Annotations (target case-insensitive)', () => {
    const s = secret();
    executeTemplateMap(tplOf({ dsn: '{{ .user }}@db:{{ .port }}' }), data, 'Values', 'Data', s, 'None');
    executeTemplateMap(tplOf({ team: '{{ .user | upper }}' }), data, 'Values', 'labels', s, '');
    executeTemplateMap(tplOf({ note: 'user={{ .user }}' }), data, 'Values', 'ANNOTATIONS', s, '');
    expect(text(s.data)).toEqual({ dsn: 'admin@db:5432' });
    expect(s.labels).toEqual({ team: 'ADMIN' });
    expect(s.annotations).toEqual({ note: 'user=admin' });
  });

  it('KeysAndValues: renders the whole text, then YAML 1.1 into map[string]string (scalars coerced)', () => {
    const s = secret();
    const t = 'user: {{ .user }}\nport: {{ .port }}\nssl: yes\nmode: 0755\nratio: 1.10\npi: 3.14159265\nquoted: "0755"\nnothing: ~';
    executeTemplateMap({ [t]: enc(t) }, data, 'KeysAndValues', 'Data', s, 'None');
    expect(text(s.data)).toEqual({
      user: 'admin', port: '5432', ssl: 'true', mode: '493', ratio: '1.1', pi: '3.1415927', quoted: '0755', nothing: '',
    });
  });

  it('KeysAndValues YAML that is not a flat map fails with ESO text', () => {
    const t = 'a: [1, 2]';
    expect(() => executeTemplateMap({ [t]: enc(t) }, data, 'KeysAndValues', 'Data', secret(), '')).toThrow(
      "could not unmarshal template to 'map[string][]byte': error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type string",
    );
  });

  it('unknown scope', () => {
    expect(() => executeTemplateMap(tplOf({ k: 'v' }), data, 'Both', 'Data', secret(), '')).toThrow(
      "unknown scope 'Both': expected 'Values' or 'KeysAndValues'",
    );
  });

  it('parse and execution errors carry the key twice, then Go\'s text', () => {
    expect(() => executeTemplateMap(tplOf({ k: '{{ .user' }), data, 'Values', 'Data', secret(), '')).toThrow(
      'unable to execute template at key k: unable to parse template at key k: template: k:1: unclosed action',
    );
    expect(() => executeTemplateMap(tplOf({ k: '{{ .nope }}' }), data, 'Values', 'Data', secret(), '')).toThrow(
      'unable to execute template at key k: unable to execute template at key k: template: k:1:3: executing "k" at <.nope>: map has no entry for key "nope"',
    );
  });

  it('a KeysAndValues template is named by its own text in Go\'s messages', () => {
    const t = 'a: {{ .nope }}';
    expect(() => executeTemplateMap({ [t]: enc(t) }, data, 'KeysAndValues', 'Data', secret(), '')).toThrow(
      `unable to execute template at key ${t}: unable to execute template at key ${t}: template: ${t}:1:6: executing "${t}" at <.nope>: map has no entry for key "nope"`,
    );
  });

  it('valuesDecodingStrategy decodes each rendered value (keys untouched) and reports the key on failure', () => {
    const s = secret();
    executeTemplateMap(tplOf({ raw: '{{ .user | b64enc }}' }), data, 'Values', 'Data', s, 'Base64');
    expect(text(s.data)).toEqual({ raw: 'admin' });
    expect(() => executeTemplateMap(tplOf({ raw: '!!' }), data, 'Values', 'Data', secret(), 'Base64')).toThrow(
      /^failed to decode rendered template value for key raw: /,
    );
  });

  it('rewrite.transform: parsed once as "transform", missing keys print <no value>', () => {
    const render1 = compileTransform('{{ .value | upper }}-{{ .other }}');
    expect(render1('db_user')).toBe('DB_USER-<no value>');
    expect(() => compileTransform('{{ .value ')).toThrow('template: transform:1: unclosed action');
  });

  it('createTemplateEngine passes a random source to the sprig functions that need one', () => {
    const e = createTemplateEngine({ randomBytes: (n) => new Uint8Array(n) });
    const s = secret();
    e.execute(tplOf({ r: '{{ randAlpha 4 }}' }), data, 'Values', 'Data', s, '');
    expect(text(s.data)).toEqual({ r: 'AAAA' });
    expect(() => executeTemplateMap(tplOf({ r: '{{ randAlpha 4 }}' }), data, 'Values', 'Data', secret(), '')).toThrow(
      'randAlpha needs a random source, which this caller did not provide',
    );
  });
});

describe('through the ESO library (renderExternalSecret with the Go engine)', () => {
  const store = fakeStore([{ key: 'db', value: '{"user":"admin","password":"canary-pw","host":"db.example.com","database":"app"}' }]);
  const spec = (template: Record<string, unknown>) => ({ dataFrom: [{ extract: { key: 'db' } }], target: { template } });
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'tpl', namespace: 'ns' },
    data: { 'config.yaml': 'url: postgresql://{{ .user }}@{{ .host }}\nport: 5432\nssl: on', 'dsn': '{{ .user }}:{{ .password }}' },
  };

  it('connection string, templateFrom ConfigMap (both scopes), literal to labels, templated annotations', async () => {
    const es = makeES(
      spec({
        type: 'Opaque',
        metadata: { annotations: { owner: '{{ .user }}' } },
        data: { url: 'postgresql://{{ .user }}:{{ .password }}@{{ .host }}:5432/{{ .database }}' },
        templateFrom: [
          { configMap: { name: 'tpl', items: [{ key: 'config.yaml', templateAs: 'KeysAndValues' }, { key: 'dsn' }] } },
          { literal: 'tier: {{ .database }}', target: 'Labels' },
        ],
      }),
    );
    const o = (await render(es, [store], { objects: [cm as never] })).outcome;
    if (o.action !== 'write') throw new Error(`no write: ${o.action}`);
    expect(secretData(o.secret)).toEqual({
      url: 'postgresql://admin:canary-pw@db.example.com:5432/app',
      port: '5432',
      ssl: 'true',
      dsn: 'admin:canary-pw',
    });
    expect(o.secret.metadata.labels?.['tier']).toBe('app');
    expect(o.secret.metadata.annotations?.['owner']).toBe('admin');
  });

  it('a bad templateFrom template fails with the templateFrom chain', async () => {
    const bad = { ...cm, data: { dsn: '{{ .user | nosuchfn }}' } };
    const es = makeES(spec({ templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'dsn' }] } }] }));
    await expect(render(es, [store], { objects: [bad as never] })).rejects.toThrow(
      'could not apply template: error fetching templateFrom data: unable to execute template at key dsn: unable to parse template at key dsn: template: dsn:1: function "nosuchfn" not defined',
    );
  });

  it('an existing Secret keeps foreign keys only with creationPolicy Merge', async () => {
    const es = makeES({ ...spec({ data: { u: '{{ .user }}' } }), target: { creationPolicy: 'Merge', template: { data: { u: '{{ .user }}' } } } });
    const o = (await render(es, [store], { existing: existingSecret({ foreign: 'kept' }) })).outcome;
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ foreign: 'kept', u: 'admin' });
  });
});
