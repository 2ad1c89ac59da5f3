// Vite (electron-vite, vitest) inlines `?raw` imports as strings, so the schema ships inside the bundle.
declare module '*.graphql?raw' {
  const source: string;
  export default source;
}
