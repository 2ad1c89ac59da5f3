/**
 * The stand-in store for `npm run bench -- commerce`, in its own process so the store's work does
 * not share an event loop with the clients being measured. HTTPS when BENCH_TLS_KEY/BENCH_TLS_CERT
 * name PEM files. Answers `stats` and `reset` over IPC.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { standinSchema, StoreStandin } from '../test/helpers/storeStandin';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaSdl = fs.readFileSync(path.resolve(here, '../src/main/commerce/demo/schema.graphql'), 'utf8');
const { BENCH_TLS_KEY: keyFile, BENCH_TLS_CERT: certFile } = process.env;
const tls = keyFile && certFile ? { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') } : undefined;
const server = await StoreStandin.start({ schema: standinSchema(schemaSdl), ...(tls ? { tls } : {}) });

process.on('message', (message: { type: 'stats' | 'reset' | 'close' }) => {
  if (message.type === 'reset') server.resetStats();
  if (message.type === 'close') {
    void server.close().then(() => process.exit(0));
    return;
  }
  process.send?.({ type: message.type, stats: server.stats });
});
process.send?.({ type: 'ready', endpoint: server.endpoint, skus: server.catalog.products.map((product) => product.sku) });
