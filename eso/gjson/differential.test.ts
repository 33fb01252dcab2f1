/**
 * Proof by difference: every table case and thousands of generated documents and paths go through this
 * implementation and through the real gjson v1.18.0 / Go encoding/json (test/go/gjson-oracle), and the
 * results must be identical byte for byte. One Go process, one batch.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  GoJsonError,
  marshalBytes,
  unmarshalAny,
  unmarshalObject,
} from '../gojson/index.ts';
import {
  awsExtractMap,
  awsPropertyOf,
  fakePropertyOf,
  vaultExtractMap,
  vaultValueOf,
} from './index.ts';
import { exists, getRaw, resultString } from './get.ts';
import { byteStringToBytes, toByteString } from './result.ts';
import { Oracle, b64, goNum, type OracleAnswer, type OracleRequest } from '../../test/helpers/gjson/oracle.ts';
import {
  choicesArb,
  junkPathArb,
  mutate,
  mutationArb,
  pathFor,
  render,
  rootObjectArb,
  styleArb,
  treeArb,
} from '../../test/helpers/gjson/arbitraries.ts';
import { TABLE_DOCS, TABLE_GETS } from '../../test/helpers/gjson/table.ts';

const SEED = Number(process.env.ESI_FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.ESI_FUZZ_RUNS ?? 2500);
// Generous: the suite takes seconds, but CI machines are shared and the Go oracle may be cold.
const TIMEOUT = 180_000;

let oracle: Oracle;
beforeAll(async () => {
  oracle = await Oracle.start();
}, 15 * 60_000);
afterAll(() => oracle?.stop());

type Mine = Record<string, unknown>;

function mineFor(req: OracleRequest): Mine {
  const bytes = typeof req.json === 'string' ? Buffer.from(req.json, 'utf8') : Buffer.from(req.json);
  const path = req.path ?? '';
  const found = (b: Uint8Array | undefined): Mine => (b === undefined ? {} : { found: true, out: b64(b) || undefined });
  const orErr = (f: () => Mine): Mine => {
    try {
      return f();
    } catch (e) {
      if (e instanceof GoJsonError) return { err: e.message };
      throw e;
    }
  };
  const mapOut = (m: Record<string, Uint8Array>): Mine => {
    const out: Record<string, string> = {};
    for (const k of Object.keys(m).sort()) out[k] = b64(m[k]);
    return { found: true, map: Object.keys(out).length ? out : undefined };
  };
  switch (req.op) {
    case 'get': {
      const r = getRaw(toByteString(bytes), toByteString(path));
      return {
        exists: exists(r) || undefined,
        type: r.type,
        raw: b64(byteStringToBytes(r.raw)) || undefined,
        str: b64(byteStringToBytes(r.str)) || undefined,
        string: b64(byteStringToBytes(resultString(r))) || undefined,
        num: r.num,
      };
    }
    case 'awsProperty':
      return found(awsPropertyOf(bytes, path));
    case 'fakeProperty':
      return found(fakePropertyOf(bytes, path));
    case 'awsMap':
      return orErr(() => mapOut(awsExtractMap(bytes)));
    case 'vaultGet':
      return orErr(() => found(vaultValueOf(unmarshalObject(bytes, { useNumber: true }), path)));
    case 'vaultMap':
      return orErr(() => mapOut(vaultExtractMap(bytes)));
    case 'marshal':
      return orErr(() => ({
        out: b64(marshalBytes(unmarshalAny(bytes, { useNumber: req.useNumber }), { escapeHTML: req.escape ?? true })) || undefined,
      }));
    default:
      throw new Error(`op ${req.op}`);
  }
}

function theirsFor(req: OracleRequest, a: OracleAnswer): Mine {
  if (req.op === 'get') return { exists: a.exists, type: a.type, raw: a.raw, str: a.str, string: a.string, num: goNum(a.num) };
  if (req.op === 'marshal') return a.err !== undefined ? { err: a.err } : { out: a.out };
  if (a.err !== undefined) return { err: a.err };
  if (!a.found) return {};
  if (a.map !== undefined || req.op === 'awsMap' || req.op === 'vaultMap') {
    const out: Record<string, string> = {};
    for (const k of Object.keys(a.map ?? {}).sort()) out[k] = a.map![k]!;
    return { found: true, map: Object.keys(out).length ? out : undefined };
  }
  return { found: true, out: a.out };
}

function same(x: Mine, y: Mine): boolean {
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const a = x[k];
    const b = y[k];
    if (typeof a === 'number' || typeof b === 'number') {
      if (!Object.is(a ?? 0, b ?? 0)) return false;
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      return false;
    }
  }
  return true;
}

interface Outcome {
  total: number;
  /** Cases where the oracle found a value (exists/found) and where it returned an error. */
  found: number;
  errors: number;
  mismatches: { req: OracleRequest; mine: Mine; theirs: Mine }[];
}

async function differ(reqs: OracleRequest[]): Promise<Outcome> {
  const answers = await oracle.run(reqs);
  const out: Outcome = { total: reqs.length, found: 0, errors: 0, mismatches: [] };
  reqs.forEach((req, i) => {
    const mine = mineFor(req);
    const theirs = theirsFor(req, answers[i]!);
    if (theirs.exists || theirs.found || theirs.out !== undefined) out.found++;
    if (theirs.err !== undefined) out.errors++;
    if (!same(mine, theirs)) out.mismatches.push({ req, mine, theirs });
  });
  return out;
}

function show(o: Outcome): string {
  return JSON.stringify(
    o.mismatches.slice(0, 5).map((m) => ({
      ...m,
      req: { ...m.req, json: (typeof m.req.json === 'string' ? m.req.json : Buffer.from(m.req.json).toString('latin1')).slice(0, 600) },
    })),
    null,
    1,
  );
}

const counts: Record<string, { compared: number; found: number; errors: number }> = {};
afterAll(() => {
  // The report's numbers: how many cases each suite compared against the Go oracle.
  console.log(`differential cases: ${JSON.stringify(counts)}`);
});

function expectNoDifference(name: string, o: Outcome): void {
  counts[name] = { compared: o.total, found: o.found, errors: o.errors };
  expect(o.mismatches.length, show(o)).toBe(0);
}

describe('gjson matches github.com/tidwall/gjson v1.18.0', () => {
  test('on every table case', async () => {
    const reqs: OracleRequest[] = TABLE_GETS.map(([json, path]) => ({ op: 'get', json, path }));
    expectNoDifference('table-get', await differ(reqs));
  }, TIMEOUT);

  test('on generated documents and paths biased toward their keys, indexes and queries', async () => {
    const arb = fc.record({
      tree: fc.oneof(rootObjectArb, treeArb),
      style: styleArb,
      mutation: mutationArb,
      paths: fc.array(choicesArb, { minLength: 1, maxLength: 4 }),
      junk: junkPathArb,
    });
    const reqs: OracleRequest[] = [];
    for (const s of fc.sample(arb, { numRuns: RUNS, seed: SEED })) {
      const json = mutate(render(s.tree, s.style), s.mutation);
      for (const choices of s.paths) reqs.push({ op: 'get', json, path: pathFor(s.tree, choices) });
      reqs.push({ op: 'get', json, path: s.junk });
    }
    expectNoDifference('generated-get', await differ(reqs));
  }, TIMEOUT);

  test('on raw bytes that are not valid UTF-8', async () => {
    const arb = fc.record({
      bytes: fc.uint8Array({ maxLength: 40 }),
      prefix: fc.constantFrom('{"a":"', '{"a":', '["', '{"\u00e9', '{"a":["x",'),
      path: fc.constantFrom('a', 'a.0', 'a.#', '#', '0', 'a*', '?', '*', '\u00e9*', 'a.#(%"*")#'),
    });
    const reqs: OracleRequest[] = fc.sample(arb, { numRuns: 600, seed: SEED }).map((s) => ({
      op: 'get',
      json: Buffer.concat([Buffer.from(s.prefix), Buffer.from(s.bytes), Buffer.from('"}')]),
      path: s.path,
    }));
    expectNoDifference('bytes-get', await differ(reqs));
  }, TIMEOUT);
});

describe("ESO's provider lookups match ESO's Go code paths", () => {
  test('AWS and fake property lookups (literal dotted key first, then gjson)', async () => {
    const reqs: OracleRequest[] = [];
    const arb = fc.record({ tree: rootObjectArb, style: styleArb, mutation: mutationArb, paths: fc.array(choicesArb, { minLength: 1, maxLength: 3 }) });
    for (const s of fc.sample(arb, { numRuns: RUNS, seed: SEED + 2 })) {
      const json = mutate(render(s.tree, s.style), s.mutation);
      for (const c of s.paths) {
        const path = pathFor(s.tree, c);
        reqs.push({ op: 'awsProperty', json, path }, { op: 'fakeProperty', json, path });
      }
      for (const [k] of s.tree.t === 'obj' ? s.tree.e : []) reqs.push({ op: 'awsProperty', json, path: k });
    }
    expectNoDifference('aws/fake-property', await differ(reqs));
  }, TIMEOUT);

  test('Vault value selection and extract, AWS extract, json.Marshal round trips', async () => {
    const reqs: OracleRequest[] = [];
    const arb = fc.record({ tree: fc.oneof(rootObjectArb, treeArb), style: styleArb, mutation: mutationArb, paths: fc.array(choicesArb, { minLength: 1, maxLength: 3 }) });
    for (const s of fc.sample(arb, { numRuns: RUNS, seed: SEED + 3 })) {
      const json = mutate(render(s.tree, s.style), s.mutation);
      reqs.push({ op: 'awsMap', json }, { op: 'vaultMap', json });
      // A nil KV map never reaches getSecretValue (ESO answers NoSecretErr for `data: null` first).
      if (json.trim() !== 'null') {
        reqs.push({ op: 'vaultGet', json, path: '' });
        for (const c of s.paths) reqs.push({ op: 'vaultGet', json, path: pathFor(s.tree, c) });
        for (const [k] of s.tree.t === 'obj' ? s.tree.e : []) reqs.push({ op: 'vaultGet', json, path: k });
      }
      for (const useNumber of [false, true]) {
        for (const escape of [true, false]) reqs.push({ op: 'marshal', json, useNumber, escape });
      }
    }
    for (const json of TABLE_DOCS) {
      reqs.push({ op: 'awsMap', json }, { op: 'vaultMap', json });
      if (json.trim() !== 'null') reqs.push({ op: 'vaultGet', json, path: '' });
      reqs.push({ op: 'marshal', json, useNumber: true }, { op: 'marshal', json, useNumber: false });
    }
    expectNoDifference('eso-values', await differ(reqs));
  }, TIMEOUT);
});
