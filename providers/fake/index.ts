/** ESO's `fake` provider: the data is in the store spec; no network, no credentials (demos and tests). */
import type { Provider } from '../provider.ts';
import type { SyncClient } from '../context.ts';
import { FakeSecretsClient, fakeStoreErrors } from './eso.ts';

export { FakeSecretsClient, validateFakeStore, fakeStoreErrors } from './eso.ts';

export const fake: Provider = {
  name: 'fake',
  parseBlock(block, f) {
    const data = f.optArray(block['data'], 'data') ?? f.fail('data', 'required');
    data.forEach((d, i) => {
      const o = f.optObject(d, `data[${i}]`) ?? f.fail(`data[${i}]`, 'expected a mapping');
      f.optString(o['key'], `data[${i}].key`);
      f.optString(o['value'], `data[${i}].value`);
      f.optString(o['version'], `data[${i}].version`);
    });
  },
  validateStore: (store) => fakeStoreErrors(store.spec.provider.fake!),
  inMemory: true,
  async open(store) {
    const data = store.spec.provider.fake!;
    return {
      forSync(): SyncClient {
        const c = new FakeSecretsClient(data);
        return {
          getSecret: (ref) => c.getSecret(ref),
          getSecretMap: (ref) => c.getSecretMap(ref),
          getAllSecrets: (find) => c.getAllSecrets(find),
          prefetch: async () => undefined,
        };
      },
      async close() {},
    };
  },
};
