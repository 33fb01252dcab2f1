// Child-process probe for readAwsSecretWithEnv(): GetSecretValue with the SDK's default credential chain,
// configured only by this process's environment. Prints one JSON line with a hash of the value.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';

const secretId = process.argv[2];
const client = new SecretsManagerClient({});
try {
  const r = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const value = r.SecretString ?? Buffer.from(r.SecretBinary ?? []).toString('utf8');
  console.log(JSON.stringify({ ok: true, valueSha256: createHash('sha256').update(value).digest('hex') }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, errorName: e?.name, errorMessage: String(e?.message ?? e).slice(0, 300) }));
}
client.destroy();
