/**
 * Search quality and speed against the stand-in store (the demo catalog, in a child process so it
 * does not share the client's event loop). The labelled staff-style queries of
 * bench/fixtures/search-queries.json — typed without accents, brands run together or split, pack
 * and unit words, typos, English, extra words, and typed as the catalog writes them — each name the
 * products that belong in the first five. Measured in the same run: recall@5 of the app's search
 * (CommerceClient with an empty vocabulary that learns as results arrive, queries in a fixed
 * shuffled order) and of the stand-in's own search (the query sent as typed, as Magento gets it),
 * overall, per kind and for the queries written after the rules were done (`heldOut`); p50/p95 of
 * the app's search on loopback, and recall without the vocabulary's warm-up. recall@5 of a query is the share of
 * its first five results that are expected, out of min(5, expected). `BENCH_VERBOSE=1` lists misses.
 * The fixture is data for this benchmark only: the app never reads it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { MemoryCartIdStore } from '../src/main/commerce/cartIds';
import { CommerceClient } from '../src/main/commerce/client';
import { prng } from '../src/main/commerce/demo/catalog';
import { percentile, round } from './_stats';

const here = path.dirname(fileURLToPath(import.meta.url));
const GOAL_OVERALL = 0.95;
const GOAL_PER_KIND = 0.9;
const TOP = 5;

interface LabelledQuery {
  query: string;
  kind: string;
  expect: string[];
  /** Written after the search rules were done (see the fixture's `about`). */
  heldOut?: boolean;
}

async function startStore(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const child: ChildProcess = fork(path.join(here, '_commerce-standin.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { endpoint: string }).endpoint));
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  return {
    endpoint,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}

/** The stand-in's own answer to the query as typed: Magento's per-word search, no accents folded. */
async function storeSearch(endpoint: string, query: string): Promise<string[]> {
  const response = await request(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Store: 'b2c_10010_vi' },
    body: JSON.stringify({ query: `query ($q: String) { products(search: $q, pageSize: ${TOP}) { items { name } } }`, variables: { q: query } }),
  });
  const body = (await response.body.json()) as { data?: { products?: { items?: { name: string }[] } | null } | null };
  return (body.data?.products?.items ?? []).map((item) => item.name);
}

function recallAt(names: readonly string[], expected: ReadonlySet<string>): number {
  const hits = names.slice(0, TOP).filter((name) => expected.has(name)).length;
  return hits / Math.min(TOP, expected.size);
}

function byKind(queries: LabelledQuery[], recalls: number[]): Record<string, number> {
  const kinds: Record<string, number[]> = {};
  queries.forEach((query, index) => (kinds[query.kind] ??= []).push(recalls[index]!));
  return Object.fromEntries(Object.entries(kinds).map(([kind, values]) => [kind, round(mean(values), 3)]));
}

interface Run {
  recalls: number[];
  latencies: number[];
  spellings: number;
}

/**
 * The app's search over every query, in order, on one client with an empty vocabulary. With the
 * warm-up (as the app runs), the first search starts it and the run waits for it to end before the
 * second, as when staff have used the app for a minute.
 */
async function runApp(endpoint: string, queries: LabelledQuery[], warmUp: boolean, verbose: boolean): Promise<Run> {
  const client = new CommerceClient({
    endpoint,
    cartIds: new MemoryCartIdStore(),
    rateLimit: { maxRequests: 100_000, windowMs: 60_000, maxQueue: 10_000 },
    warmUpVocabulary: warmUp,
  });
  const recalls: number[] = [];
  const latencies: number[] = [];
  try {
    for (const labelled of queries) {
      const expected = new Set(labelled.expect);
      const started = performance.now();
      const result = await client.searchProducts({ query: labelled.query, pageSize: TOP });
      latencies.push(performance.now() - started);
      const names = result.items.map((item) => item.name);
      recalls.push(recallAt(names, expected));
      if (verbose && recalls.at(-1)! < 1) {
        console.error(
          `${round(recalls.at(-1)!, 2)} [${labelled.kind}] "${labelled.query}" → ${result.fallback.step} "${result.query}": ${names.join(' | ')}`,
        );
      }
      // The warm-up starts with the first search that needs the vocabulary; it is let finish before the next.
      await client.whenVocabularyWarm();
    }
    return { recalls, latencies, spellings: client.vocabulary.size };
  } finally {
    await client.close();
  }
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

export default async function searchBenchmark(): Promise<Record<string, unknown>> {
  const fixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/search-queries.json'), 'utf8')) as { queries: LabelledQuery[] };
  // A fixed shuffle: the kinds mixed, as staff type them through a day; the vocabulary starts empty.
  const random = prng(12);
  const queries = [...fixture.queries];
  for (let i = queries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [queries[i], queries[j]] = [queries[j]!, queries[i]!];
  }
  const store = await startStore();
  const verbose = process.env.BENCH_VERBOSE === '1';
  const storeRecalls: number[] = [];
  let app: Run;
  let fromEmpty: Run;
  try {
    for (const labelled of queries) storeRecalls.push(recallAt(await storeSearch(store.endpoint, labelled.query), new Set(labelled.expect)));
    app = await runApp(store.endpoint, queries, true, verbose);
    fromEmpty = await runApp(store.endpoint, queries, false, false);
  } finally {
    await store.close();
  }
  const appRecalls = app.recalls;
  const appByKind = byKind(queries, appRecalls);
  const overall = round(mean(appRecalls), 3);
  return {
    queries: queries.length,
    kinds: Object.fromEntries(Object.keys(appByKind).map((kind) => [kind, queries.filter((query) => query.kind === kind).length])),
    recallAt5: { app: overall, store: round(mean(storeRecalls), 3) },
    recallAt5ByKind: { app: appByKind, store: byKind(queries, storeRecalls) },
    recallAt5HeldOut: {
      queries: queries.filter((query) => query.heldOut).length,
      app: round(mean(appRecalls.filter((_recall, index) => queries[index]!.heldOut)), 3),
      store: round(mean(storeRecalls.filter((_recall, index) => queries[index]!.heldOut)), 3),
    },
    latencyMs: { p50: round(percentile(app.latencies, 50), 1), p95: round(percentile(app.latencies, 95), 1) },
    vocabularySpellings: app.spellings,
    // Without the warm-up: the vocabulary learns only from each search's own results, from empty.
    withoutWarmUp: { recallAt5: round(mean(fromEmpty.recalls), 3), byKind: byKind(queries, fromEmpty.recalls) },
    goals: {
      overall: GOAL_OVERALL,
      perKind: GOAL_PER_KIND,
      met: overall >= GOAL_OVERALL && Object.values(appByKind).every((value) => value >= GOAL_PER_KIND),
    },
  };
}
