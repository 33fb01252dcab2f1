// Text imports (`./file.yaml?raw`): vite serves them in tests, the esbuild plugin in scripts/build.mjs in the bundle.
declare module '*?raw' {
  const text: string;
  export default text;
}
