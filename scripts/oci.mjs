// OCI image archives written from a list of files: no Docker, no registry, no daemon. The result is an
// OCI image layout in one tar (oci-layout, index.json, blobs/sha256/…), which `ctr images import` reads.
// Formats: OCI image-spec v1.1 (image-layout.md, manifest.md, config.md, layer.md) and POSIX tar
// (ustar headers, pax extended headers for long names; IEEE Std 1003.1 `pax`).
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/**
 * @typedef {{ path: string, type: 'file', mode: number, data: Buffer, uid?: number }
 *   | { path: string, type: 'dir', mode: number, uid?: number }
 *   | { path: string, type: 'symlink', target: string }} Entry
 */

const BLOCK = 512;

function octal(n, width) {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One pax record: "<len> key=value\n" where <len> counts the whole record, itself included. */
function paxRecord(key, value) {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function header({ name, size, mode, typeflag, linkname = '', uid = 0 }) {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(uid, 8), 108, 'ascii'); // uid, and the same gid (root, or the image's non-root user)
  h.write(octal(uid, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: fixed, so the same files give the same digest
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write(typeflag, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function padded(data) {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)];
}

/** A tar of `entries` in the given order; names longer than ustar allows get a pax header. */
export function tar(entries) {
  const parts = [];
  for (const e of entries) {
    const name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
    const linkname = e.type === 'symlink' ? e.target : '';
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkname) > 100) {
      const pax = Buffer.from(paxRecord('path', name) + (linkname ? paxRecord('linkpath', linkname) : ''));
      parts.push(header({ name: 'PaxHeader', size: pax.length, mode: 0o644, typeflag: 'x' }), ...padded(pax));
    }
    if (e.type === 'file') parts.push(header({ name, size: e.data.length, mode: e.mode, typeflag: '0', uid: e.uid }), ...padded(e.data));
    else if (e.type === 'dir') parts.push(header({ name, size: 0, mode: e.mode, typeflag: '5', uid: e.uid }));
    else parts.push(header({ name, size: 0, mode: 0o777, typeflag: '2', linkname }));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * Parent directories first, each once: a layer must create `a/` before `a/b`.
 * @param {Entry[]} entries
 * @returns {Entry[]}
 */
export function withParents(entries) {
  const seen = new Set(entries.filter((e) => e.type === 'dir').map((e) => e.path.replace(/\/$/, '')));
  const out = [];
  for (const e of entries) {
    const parts = e.path.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        out.push({ path: dir, type: 'dir', mode: 0o755 });
      }
    }
    out.push(e);
  }
  return out;
}

/**
 * The image's OCI config (config.md): what `docker inspect` shows as Config, from the Dockerfile's
 * USER, WORKDIR, ENV and ENTRYPOINT.
 * @typedef {{ User?: string, WorkingDir?: string, Env?: string[], Entrypoint?: string[], Cmd?: string[] }} ImageConfig
 */

/**
 * Writes a one-layer OCI image archive to `out` and returns the manifest digest.
 * @param {{ name: string, entries: Entry[], config: ImageConfig, out: string, createdBy?: string }} o
 */
export async function writeOciArchive(o) {
  const layer = tar(withParents(o.entries));
  const blobs = new Map();
  const blob = (data, mediaType) => {
    const digest = sha256(data);
    blobs.set(digest, data);
    return { mediaType, digest, size: data.length };
  };
  const layerDesc = blob(layer, 'application/vnd.oci.image.layer.v1.tar');
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: o.config,
    rootfs: { type: 'layers', diff_ids: [layerDesc.digest] },
    history: [{ created_by: o.createdBy ?? 'scripts/oci.mjs' }],
  };
  const configDesc = blob(Buffer.from(JSON.stringify(config)), 'application/vnd.oci.image.config.v1+json');
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: [layerDesc] };
  const manifestDesc = blob(Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  const tag = o.name.slice(o.name.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      ...manifestDesc,
      platform: { architecture: 'amd64', os: 'linux' },
      // containerd names the imported image after this annotation (ctr images import).
      annotations: { 'io.containerd.image.name': o.name, 'org.opencontainers.image.ref.name': tag },
    }],
  };
  const files = [
    { path: 'oci-layout', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { path: 'index.json', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify(index)) },
    ...[...blobs].map(([digest, data]) => ({ path: `blobs/sha256/${digest.slice(7)}`, type: 'file', mode: 0o644, data })),
  ];
  await writeFile(o.out, tar(withParents(files)));
  return manifestDesc.digest;
}
