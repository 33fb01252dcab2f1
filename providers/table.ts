/**
 * The provider table: one line per provider esi supports (ESO's pkg/register/<name>.go). The store parser,
 * admission validation, the injector, `esi render` and the agent find a store's provider here.
 */
import { aws } from './aws/index.ts';
import { azurekv } from './azure/keyvault/index.ts';
import { fake } from './fake/index.ts';
import type { Provider } from './provider.ts';
import { vault } from './vault/index.ts';

export const PROVIDERS: readonly Provider[] = [aws, vault, azurekv, fake];
