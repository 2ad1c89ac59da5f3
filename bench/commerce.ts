/**
 * The pooled store client against the stand-in store (a trivial by-SKU resolver, in a child
 * process), in the same run as two baselines: raw `undici.request` on an equivalent pool, and a
 * naive client that opens a new connection per call. Throughput and p50/p99 at concurrency
 * 1/16/64/256, peak open sockets (counted by the server), sockets after close, heap growth per 10k
 * calls. Then the naive comparison again over HTTPS, as the real store is served, where every new
 * connection costs a TLS handshake (skipped when the `openssl` command is missing).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Agent, Client, request } from 'undici';
import { GraphQLTransport } from '../src/main/commerce/transport';
import type { StoreStandinStats } from '../test/helpers/storeStandin';
import { round, median } from './_stats';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = [1, 16, 64, 256] as const;
const CALLS: Record<number, number> = { 1: 1000, 16: 2500, 64: 3000, 256: 3000 };
const NAIVE_CALLS: Record<number, number> = { 1: 300, 16: 600, 64: 800, 256: 800 };
/** Back-to-back client/raw pairs per concurrency; the machines are shared and noisy. */
const ROUNDS = 4;
const POOL_LIMIT = 30;
const STORE_CODE = 'b2c_10010_vi';
// A trivial resolver: one product by SKU, two fields; a different SKU per call, so nothing is shared.
const QUERY = 'query Sku($sku: String!) { products(filter: { sku: { eq: $sku } }) { items { sku name } } }';

type Call = (sku: string) => Promise<unknown>;

interface Run {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
}

interface Tls {
  keyFile: string;
  certFile: string;
  ca: string;
}

class StoreProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
    readonly skus: string[],
  ) {}

  static async start(tls?: Tls): Promise<StoreProcess> {
    const child = fork(path.join(here, '_commerce-standin.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_TLS_KEY: tls?.keyFile ?? '', BENCH_TLS_CERT: tls?.certFile ?? '' },
    });
    const ready = await new Promise<{ endpoint: string; skus: string[] }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { endpoint: string; skus: string[] }));
      child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
    });
    return new StoreProcess(child, ready.endpoint, ready.skus);
  }

  ask(type: 'stats' | 'reset'): Promise<StoreStandinStats> {
    return new Promise((resolve) => {
      this.child.once('message', (message) => resolve((message as { stats: StoreStandinStats }).stats));
      this.child.send({ type });
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'close' });
    await exited;
  }
}

/** The three ways to call the store, all sending the same GET request with the same headers. */
function callers(store: StoreProcess, ca?: string) {
  const client = new GraphQLTransport({
    endpoint: store.endpoint,
    storeCode: STORE_CODE,
    connectionsPerOrigin: POOL_LIMIT,
    // Every layer stays on (limiter, breaker, retries, deadline, in-flight sharing); the cache is
    // off and the limit out of reach so that the HTTP path itself is measured.
    cache: { ttlMs: 0, maxEntries: 0 },
    rateLimit: { maxRequests: 1e9, windowMs: 60_000, maxQueue: 1e6 },
    ...(ca ? { ca } : {}),
  });
  const connect = ca ? { connect: { ca } } : {};
  const headers = { Store: STORE_CODE, Accept: 'application/json', 'User-Agent': client.options.userAgent };
  const urlFor = (sku: string) => `${store.endpoint}?${new URLSearchParams({ query: QUERY, variables: JSON.stringify({ sku }) }).toString()}`;
  let rawAgent = new Agent({ connections: POOL_LIMIT, pipelining: 1, ...connect });
  const origin = new URL(store.endpoint).origin;
  return {
    client,
    viaClient: ((sku) => client.execute({ query: QUERY, variables: { sku }, kind: 'query', cacheable: true })) as Call,
    viaRaw: (async (sku) => (await request(urlFor(sku), { method: 'GET', headers, dispatcher: rawAgent })).body.json()) as Call,
    // What the prototype effectively did: a fresh connection for every call.
    viaNaive: (async (sku) => {
      const single = new Client(origin, { pipelining: 1, ...connect });
      try {
        return await (await request(urlFor(sku), { method: 'GET', headers, dispatcher: single })).body.json();
      } finally {
        await single.close();
      }
    }) as Call,
    /**
     * Closes the raw pool (a fresh one per run) and waits until the server saw every socket but the
     * client's go (raw and naive ones), so they never count as the client's.
     */
    async retireRaw(): Promise<void> {
      await rawAgent.close();
      rawAgent = new Agent({ connections: POOL_LIMIT, pipelining: 1, ...connect });
      for (let i = 0; i < 100 && (await store.ask('stats')).openConnections > client.openSockets(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

async function measure(call: Call, skus: string[], concurrency: number, total: number): Promise<Run> {
  const latencies = new Float64Array(total);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < total; index = next++) {
        const begun = performance.now();
        await call(skus[index % skus.length]!);
        latencies[index] = performance.now() - begun;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort();
  const at = (q: number) => round(latencies[Math.min(total - 1, Math.floor(q * total))]!, 3);
  return { throughput: round(total / elapsed, 1), p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** The run with the median throughput, so its latencies belong to the same run. */
function medianRun(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.throughput - b.throughput)[Math.floor((runs.length - 1) / 2)]!;
}

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** A throwaway self-signed certificate for 127.0.0.1, or null without the `openssl` command. */
function selfSignedCertificate(): Tls | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { keyFile, certFile, ca: fs.readFileSync(certFile, 'utf8') };
  } catch {
    return null;
  }
}

async function plainHttp(gc: () => void) {
  const store = await StoreProcess.start();
  const { client, viaClient, viaRaw, viaNaive, retireRaw } = callers(store);
  for (let i = 0; i < 2; i++) {
    await measure(viaClient, store.skus, 16, 2000);
    await measure(viaRaw, store.skus, 16, 2000);
  }
  await measure(viaNaive, store.skus, 4, 200);
  await retireRaw();

  // Figures are medians; the ratio to raw is the median of back-to-back pairs (order alternating),
  // so a burst of load elsewhere skews one pair, not the result.
  const results: Record<string, Record<string, Run>> = { client: {}, rawUndici: {}, naive: {} };
  const ratioToRaw: Record<string, number> = {};
  const ratioToNaive: Record<string, number> = {};
  const peakOpenSockets: Record<string, number> = {};
  for (const concurrency of CONCURRENCY) {
    const clientRuns: Run[] = [];
    const rawRuns: Run[] = [];
    const pairRatios: number[] = [];
    let peak = 0;
    const runClient = async () => {
      // Only the client's own sockets may be open when the server starts counting.
      await retireRaw();
      await store.ask('reset');
      clientRuns.push(await measure(viaClient, store.skus, concurrency, CALLS[concurrency]!));
      peak = Math.max(peak, (await store.ask('stats')).peakOpenConnections);
    };
    const runRaw = async () => {
      rawRuns.push(await measure(viaRaw, store.skus, concurrency, CALLS[concurrency]!));
      await retireRaw();
    };
    for (let pass = 0; pass < ROUNDS; pass++) {
      for (const run of pass % 2 === 0 ? [runClient, runRaw] : [runRaw, runClient]) await run();
      pairRatios.push(clientRuns.at(-1)!.throughput / rawRuns.at(-1)!.throughput);
    }
    const naiveRuns: Run[] = [];
    for (let pass = 0; pass < 3; pass++) naiveRuns.push(await measure(viaNaive, store.skus, concurrency, NAIVE_CALLS[concurrency]!));
    results.client![concurrency] = medianRun(clientRuns);
    results.rawUndici![concurrency] = medianRun(rawRuns);
    results.naive![concurrency] = medianRun(naiveRuns);
    ratioToRaw[concurrency] = round(median(pairRatios), 2);
    ratioToNaive[concurrency] = round(results.client![concurrency]!.throughput / results.naive![concurrency]!.throughput, 2);
    peakOpenSockets[concurrency] = peak;
  }

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  await measure(viaClient, store.skus, 64, 10_000);
  gc();
  const heapGrowthBytesPer10kCalls = process.memoryUsage().heapUsed - heapBefore;

  await client.close();
  const clientSocketsAfterClose = client.openSockets();
  await retireRaw();
  let serverSocketsAfterClose = (await store.ask('stats')).openConnections;
  for (let i = 0; i < 100 && serverSocketsAfterClose > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    serverSocketsAfterClose = (await store.ask('stats')).openConnections;
  }
  await store.close();
  return {
    results,
    ratioToRaw,
    ratioToNaive,
    peakOpenSockets,
    heapGrowthBytesPer10kCalls,
    socketsAfterClose: { client: clientSocketsAfterClose, server: serverSocketsAfterClose },
  };
}

async function overHttps(tls: Tls) {
  const store = await StoreProcess.start(tls);
  const { client, viaClient, viaNaive, retireRaw } = callers(store, tls.ca);
  await measure(viaClient, store.skus, 16, 1000);
  await measure(viaNaive, store.skus, 4, 100);
  const results: Record<string, Record<string, Run>> = { client: {}, naive: {} };
  const ratioToNaive: Record<string, number> = {};
  for (const concurrency of CONCURRENCY) {
    const clientRuns: Run[] = [];
    const naiveRuns: Run[] = [];
    for (let pass = 0; pass < 3; pass++) {
      clientRuns.push(await measure(viaClient, store.skus, concurrency, CALLS[concurrency]! / 2));
      naiveRuns.push(await measure(viaNaive, store.skus, concurrency, NAIVE_CALLS[concurrency]! / 2));
    }
    results.client![concurrency] = medianRun(clientRuns);
    results.naive![concurrency] = medianRun(naiveRuns);
    ratioToNaive[concurrency] = round(results.client![concurrency]!.throughput / results.naive![concurrency]!.throughput, 2);
  }
  await client.close();
  await retireRaw();
  await store.close();
  fs.rmSync(path.dirname(tls.keyFile), { recursive: true, force: true });
  return { results, ratioToNaive };
}

export default async function commerceBench(): Promise<Record<string, unknown>> {
  const gc = collectGarbage();
  const http = await plainHttp(gc);
  const tls = selfSignedCertificate();
  const https = tls ? await overHttps(tls) : null;
  const peakOpenSockets = Math.max(...Object.values(http.peakOpenSockets));
  return {
    unit: { throughput: 'calls/s', latency: 'ms' },
    poolLimit: POOL_LIMIT,
    results: http.results,
    ratioToRaw: http.ratioToRaw,
    ratioToNaive: http.ratioToNaive,
    peakOpenSocketsByConcurrency: http.peakOpenSockets,
    peakOpenSockets,
    socketsAfterClose: http.socketsAfterClose,
    heapGrowthBytesPer10kCalls: http.heapGrowthBytesPer10kCalls,
    https: https ?? 'skipped: no openssl command to make a test certificate',
    goals: {
      atLeast08xRawAtEveryConcurrency: Object.values(http.ratioToRaw).every((ratio) => ratio >= 0.8),
      atLeast3xNaiveAt64: http.ratioToNaive[64]! >= 3,
      atLeast3xNaiveAt64OverHttps: https ? https.ratioToNaive[64]! >= 3 : null,
      peakSocketsWithinLimit: peakOpenSockets <= POOL_LIMIT,
      zeroSocketsAfterClose: http.socketsAfterClose.client === 0 && http.socketsAfterClose.server === 0,
    },
  };
}
