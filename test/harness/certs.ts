// Per-run certificates with Debian's openssl: one EC P-256 CA for serving and client
// auth, the apiserver serving cert (SAN IP:127.0.0.1), an admin client cert in system:masters, and the
// service-account signing key pair. Files are 0600 inside the run's 0700 directory; never cached.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${((e as { stderr?: string }).stderr ?? (e as Error).message).slice(0, 500)}`);
  }
}

export interface CertPaths {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

/** Issues a leaf certificate signed by the CA in `dir`. */
export async function issueCert(
  dir: string,
  name: string,
  subject: string,
  ext: string,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject, '-keyout', key, '-out', csr]);
  await writeFile(extFile, ext, { mode: 0o600 });
  await openssl([
    // A random serial per certificate: -CAcreateserial read-modify-writes ca.srl, which two test files
    // issuing at once (two e2e workers) raced on ("openssl x509 failed").
    'x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '7', '-out', cert, '-extfile', extFile,
  ]);
  await rm(csr, { force: true });
  await rm(extFile, { force: true });
  await chmod(key, 0o600);
  return { cert, key };
}

/** A serving cert for 127.0.0.1 (and localhost), e.g. for the esi webhook. */
export async function issueServingCert(dir: string, name: string, extraSans: string[] = []): Promise<{ cert: string; key: string }> {
  const sans = ['DNS:localhost', 'IP:127.0.0.1', ...extraSans].join(',');
  return issueCert(dir, name, `/CN=${name}`,
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
}

export async function generateCerts(dir: string): Promise<CertPaths> {
  const p = (f: string) => join(dir, f);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '7',
    '-subj', '/O=esi-e2e/CN=esi-e2e-ca', '-keyout', p('ca.key'), '-out', p('ca.crt')]);
  await chmod(p('ca.key'), 0o600);
  const api = await issueServingCert(dir, 'apiserver');
  const admin = await issueCert(dir, 'admin', '/O=system:masters/CN=esi-e2e-admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('sa.key')]);
  await chmod(p('sa.key'), 0o600);
  await openssl(['ec', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')]);
  return {
    dir, caCert: p('ca.crt'), caKey: p('ca.key'), apiserverCert: api.cert, apiserverKey: api.key,
    adminCert: admin.cert, adminKey: admin.key, saKey: p('sa.key'), saPub: p('sa.pub'),
  };
}
