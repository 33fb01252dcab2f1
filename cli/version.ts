/** Replaced at build time by esbuild's `define` with package.json's version. */
declare const __ESI_VERSION__: string | undefined;
export const VERSION: string = typeof __ESI_VERSION__ === 'string' ? __ESI_VERSION__ : '0.0.0-dev';
