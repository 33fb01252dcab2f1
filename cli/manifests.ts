import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { isObject, ValidationError, type KubeObject } from '../core/index.ts';

/**
 * Parses YAML or JSON text holding one or more documents (a `List` kind is flattened) into objects.
 * `yaml` parses JSON too, so one path serves both.
 */
export function parseManifests(text: string, source = '<input>'): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      throw new ValidationError(`${source}: document ${i + 1}: ${doc.errors[0]!.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new ValidationError(`${source}: document ${i + 1}: expected a mapping`);
    if (value['kind'] === 'List' && Array.isArray(value['items'])) {
      for (const item of value['items']) out.push(asKubeObject(item, `${source}: document ${i + 1}`));
    } else {
      out.push(asKubeObject(value, `${source}: document ${i + 1}`));
    }
  }
  return out;
}

function asKubeObject(v: unknown, where: string): KubeObject {
  if (!isObject(v)) throw new ValidationError(`${where}: expected a mapping`);
  if (typeof v['kind'] !== 'string' || v['kind'] === '') throw new ValidationError(`${where}: kind: required`);
  if (typeof v['apiVersion'] !== 'string' || v['apiVersion'] === '') {
    throw new ValidationError(`${where}: apiVersion: required`);
  }
  if (v['metadata'] === undefined) v['metadata'] = {};
  if (!isObject(v['metadata'])) throw new ValidationError(`${where}: metadata: expected a mapping`);
  return v as KubeObject;
}

export async function readManifests(path: string): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseManifests(text, path);
}
