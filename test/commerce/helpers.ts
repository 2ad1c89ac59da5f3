import { afterEach } from 'vitest';
import { CommerceClient, type CommerceClientOptions } from '../../src/main/commerce/client';
import { MemoryCartIdStore } from '../../src/main/commerce/cartIds';
import { generateCatalog, type DemoCatalog } from '../../src/main/commerce/demo/catalog';
import { demoSchemaSdl } from '../../src/main/commerce/demo/schemaSource';
import { standinSchema, StoreStandin, type StoreStandinOptions } from '../helpers/storeStandin';

let catalog: DemoCatalog | null = null;
const opened: { close(): Promise<void> }[] = [];

/** The stand-in store (the demo store with faults and counters) on 127.0.0.1 port 0, closed after the test. The catalog is generated once per file. */
export async function startStandin(
  options: Omit<StoreStandinOptions, 'schema'> & { mmExtensions?: boolean; withoutCreateGuestCart?: boolean } = {},
): Promise<StoreStandin> {
  catalog ??= generateCatalog();
  const { mmExtensions, withoutCreateGuestCart, ...rest } = options;
  const server = await StoreStandin.start({ schema: standinSchema(demoSchemaSdl, { mmExtensions, withoutCreateGuestCart }), catalog, ...rest });
  opened.push(server);
  return server;
}

/** A client on the stand-in, closed after the test; limits generous unless the test sets them. */
export function clientFor(server: { endpoint: string }, options: Partial<CommerceClientOptions> = {}): CommerceClient {
  const client = new CommerceClient({
    endpoint: server.endpoint,
    cartIds: new MemoryCartIdStore(),
    rateLimit: { maxRequests: 100_000, windowMs: 60_000, maxQueue: 10_000 },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000 },
    ...options,
  });
  opened.push(client);
  return client;
}

afterEach(async () => {
  // Clients first, so a store never waits on a client's sockets.
  const all = opened.splice(0).reverse();
  for (const item of all) await item.close();
});

export { flush, ManualClock } from '../helpers/manualClock';
