/**
 * Unit tests call the pure cores (injector, eso/conditions, rewrite, providers' find) directly; in the
 * product every entry point loads the lazily imported regexp engine first (eso/goregexp.ts
 * loadRegexpEngine: the webhook server, esi inject/demo, renderExternalSecret, the template engine).
 * The e2e suite runs those entry points from the bundle, so a missing load fails there.
 */
import { loadRegexpEngine } from '../../eso/goregexp.ts';

await loadRegexpEngine();
