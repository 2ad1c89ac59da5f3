import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerRecord } from '@shared/contract/customers';
import type { Services } from '../../src/main/app/services';
import type { Hub } from '../../src/hub';
import { startTestHub } from '../hub/helpers';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tempDir';
import { canonicalJson, deskState, enroll, hashOf, hubState, invoke, NetworkSwitch, put, settled, startDesk, type SharedState } from './helpers';

/**
 * A seeded random run against a reference model: 4 desks, each behind its own network switch,
 * write, forget, save records and erase customers at random while their networks go up and down
 * and the hub restarts once. Every change a desk makes is noted with the stamp it got; the model
 * is last-writer-wins over those stamps, an erasure dropping every older change of its customer.
 * At the end every desk, the hub and the model hold the same shared state.
 */

let postgres: TestPostgres;
const open: Services[] = [];
const switches: NetworkSwitch[] = [];
let hub: Hub | null = null;

beforeAll(async () => {
  postgres = await startTestPostgres();
});

afterAll(async () => {
  await postgres?.stop();
});

afterEach(async () => {
  for (const desk of open.splice(0)) await desk.close();
  for (const relay of switches.splice(0)) await relay.close();
  await hub?.close();
  hub = null;
});

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Noted =
  | { kind: 'put'; customer: string; key: string; value: unknown; hlc: string }
  | { kind: 'forget'; customer: string; key: string; hlc: string }
  | { kind: 'record'; customer: string; fields: [string | null, string | null, string | null]; hlc: string }
  | { kind: 'erase'; customer: string; hlc: string };

/** The reference model: per customer and key the newest noted change wins, an erasure drops everything of its customer older than it. */
function model(log: readonly Noted[]): SharedState {
  const erasedAt = new Map<string, string>();
  for (const change of log)
    if (change.kind === 'erase' && change.hlc > (erasedAt.get(change.customer) ?? '')) erasedAt.set(change.customer, change.hlc);
  const newest = new Map<string, Noted>();
  for (const change of log) {
    if (change.kind === 'erase' || change.hlc < (erasedAt.get(change.customer) ?? '')) continue;
    const slot = change.kind === 'record' ? `record\u0000${change.customer}` : `memory\u0000${change.customer}\u0000${change.key}`;
    const current = newest.get(slot);
    if (!current || change.hlc > current.hlc) newest.set(slot, change);
  }
  const state: SharedState = { memories: {}, customers: {} };
  for (const change of newest.values()) {
    if (change.kind === 'put') state.memories[`${change.customer}\u0000${change.key}`] = canonicalJson(change.value);
    if (change.kind === 'record') state.customers[change.customer] = canonicalJson(change.fields);
  }
  return { memories: sortKeys(state.memories), customers: sortKeys(state.customers) };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const CUSTOMERS = ['0901234567', 'kh-001', 'Chị Lan', 'kh-777', '0912000111'];
const KEYS = ['dị ứng', 'thích', 'size', 'ghi chú', 'món quen', 'giờ ghé'];
const NAMES = ['Chị Lan', 'Anh Minh', 'Cô Hoa', null];

async function run(seed: number, deskCount: number, steps: number): Promise<void> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const databaseUrl = await postgres.createDatabase();
  hub = await startTestHub(databaseUrl);
  const hubPort = Number(new URL(hub.url).port);
  const desks: { services: Services; network: NetworkSwitch; dir: string }[] = [];
  for (let n = 0; n < deskCount; n++) {
    const network = new NetworkSwitch(() => hubPort);
    switches.push(network);
    const url = await network.start();
    const dir = tempDir();
    const services = await startDesk(dir, { pullIntervalMs: 500 });
    open.push(services);
    const current = hub;
    await enroll(services, { url, enroll: (store, name) => current.enroll(store, name) }, `Quầy ${n + 1}`);
    desks.push({ services, network, dir });
  }

  const log: Noted[] = [];
  const restartAt = Math.floor(steps / 3 + next() * (steps / 3));
  for (let step = 0; step < steps; step++) {
    const desk = pick(desks);
    const { services, network } = desk;
    const db = services.db!;
    const customer = pick(CUSTOMERS);
    const key = pick(KEYS);
    const roll = next();
    if (step === restartAt) {
      // The hub goes away under everyone and comes back on the same port. The networks drop with it:
      // a live stream the hub accepted while it was closing would otherwise hold its close open
      // (reported to the hub side: /sync/live registers its stream after an await, past endStreams).
      const connected = desks.filter((other) => other.network.isConnected);
      for (const other of connected) other.network.cut();
      await hub.close();
      hub = await startTestHub(databaseUrl, { port: hubPort });
      for (const other of connected) other.network.restore();
    } else if (roll < 0.45) {
      const value = { step, by: desks.indexOf(desk), text: pick(['sữa không đường', 'trà xanh', 'cà phê']) };
      await put(services, customer, key, value);
      const hlc = db.prepare("SELECT hlc FROM memory_entries WHERE user_id = ? AND session_id = '' AND key = ?").pluck().get(customer, key) as string;
      log.push({ kind: 'put', customer, key, value, hlc });
    } else if (roll < 0.6) {
      await invoke(services, 'memory.forget', { userId: customer, key });
      const hlc = db.prepare('SELECT hlc FROM sync_tombstones WHERE customer_id = ? AND key = ?').pluck().get(customer, key) as string;
      log.push({ kind: 'forget', customer, key, hlc });
    } else if (roll < 0.72) {
      const before = db.prepare('SELECT hlc FROM customers WHERE id = ?').pluck().get(customer) as string | undefined;
      const record = await invoke<CustomerRecord>(services, 'customers.save', {
        customerId: customer,
        displayName: pick(NAMES),
        membershipNumber: `mm-${step % 5}`,
      });
      const hlc = db.prepare('SELECT hlc FROM customers WHERE id = ?').pluck().get(customer) as string;
      // A save that changes nothing writes nothing, and shares nothing.
      if (hlc !== before) log.push({ kind: 'record', customer, fields: [record.displayName, record.phone, record.membershipNumber], hlc });
    } else if (roll < 0.75) {
      await invoke(services, 'memory.deleteCustomer', { userId: customer });
      const hash = createHash('sha256').update(customer).digest('hex');
      const hlc = db.prepare('SELECT hlc FROM sync_erasures WHERE customer_hash = ?').pluck().get(hash) as string;
      log.push({ kind: 'erase', customer, hlc });
    } else if (roll < 0.86) {
      if (network.isConnected) network.cut();
      else network.restore();
    } else if (roll < 0.88) {
      // The desk is closed (pending changes stay in its outbox) and started again on its folder.
      open.splice(open.indexOf(services), 1);
      await services.close();
      desk.services = await startDesk(desk.dir, { pullIntervalMs: 500 });
      open.push(desk.services);
    } else {
      // Let the desks' timers and streams run between changes (interleavings, not a wait for a result).
      await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 20)));
    }
  }

  for (const { network } of desks) network.restore();
  for (let pass = 0; pass < 2; pass++) for (const { services } of desks) await settled(services, databaseUrl, 60_000);

  const expected = model(log);
  const onHub = await hubState(databaseUrl);
  expect(onHub, `seed ${seed}: the hub against the model`).toEqual(expected);
  for (const [index, { services }] of desks.entries()) {
    expect(hashOf(deskState(services)), `seed ${seed}: desk ${index + 1}`).toBe(hashOf(expected));
  }
  expect(log.length).toBeGreaterThan(steps / 2);
}

describe('a seeded random run of desks, disconnects and a hub restart', () => {
  it('ends with every desk equal to the hub and to the reference model (seed 11, 4 desks, 1,000 steps)', async () => {
    await run(11, 4, 1000);
  });

  it('ends with every desk equal to the hub and to the reference model (seed 2026, 5 desks, 1,000 steps)', async () => {
    await run(2026, 5, 1000);
  });
});
