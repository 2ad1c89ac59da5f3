import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SYNC_MAX_BATCH_BYTES, SYNC_MAX_BATCH_OPS, SYNC_MAX_PULL, SYNC_MAX_VALUE_BYTES, type SyncErrorBody } from '@shared/sync';
import type { Hub } from '../../src/hub';
import type { HubClient } from '../helpers/hubClient';
import { enrollDesks, snapshotHub } from './helpers';
import { hubTestBed } from './testBed';

const bed = hubTestBed();

async function freshDesk(options: Parameters<typeof bed.hub>[0] = {}): Promise<{ hub: Hub; desk: HubClient }> {
  const hub = await bed.hub(options);
  const [desk] = await enrollDesks(hub, 1);
  // Something already there, so "unchanged" means more than "still empty".
  await desk!.pushOk([desk!.put('0901234567', 'sữa', 'không đường'), desk!.customer('0901234567', 'Chị Lan')]);
  return { hub, desk: desk! };
}

function errorOf(body: unknown): SyncErrorBody['error'] {
  return (body as SyncErrorBody).error;
}

describe('hub refuses bad batches whole', () => {
  it('answers 400 invalid_request for malformed batches and applies none of their valid ops', async () => {
    const { hub, desk } = await freshDesk();
    const before = await snapshotHub(hub.databaseUrl);
    const good = desk.put('0912345678', 'bia', 'Sài Gòn');
    const cases: [string, string][] = [
      ['not JSON', '{"ops": ['],
      ['empty batch', JSON.stringify({ ops: [] })],
      ['no ops', JSON.stringify({ op: [good] })],
      ['extra top-level field', JSON.stringify({ ops: [good], extra: 1 })],
      ['unknown kind', JSON.stringify({ ops: [good, { ...good, id: crypto.randomUUID(), kind: 'memory.steal' }] })],
      ['bad op id', JSON.stringify({ ops: [good, { ...good, id: 'op-1' }] })],
      ['bad hlc', JSON.stringify({ ops: [good, { ...good, id: crypto.randomUUID(), hlc: '2026-03-01T08:00:00Z' }] })],
      ['extra op field', JSON.stringify({ ops: [good, { ...good, id: crypto.randomUUID(), sessionId: 's1' }] })],
      ['too many ops', JSON.stringify({ ops: Array.from({ length: SYNC_MAX_BATCH_OPS + 1 }, () => desk.put('0912345678', 'k', 1)) })],
      [
        'value nested too deep',
        // Written as text: JSON.stringify itself would overflow the stack on it.
        JSON.stringify({ ops: [good, desk.put('0912345678', 'deep', 0)] }).replace('"value":0', `"value":${'['.repeat(50_000)}${']'.repeat(50_000)}`),
      ],
      ['value over the value limit', JSON.stringify({ ops: [good, desk.put('0912345678', 'big', 'x'.repeat(SYNC_MAX_VALUE_BYTES))] })],
      ['__proto__ key', `{"ops":[${JSON.stringify(good).slice(0, -1)},"value":{"__proto__":{"admin":true}}}]}`],
    ];
    for (const [name, body] of cases) {
      const answer = await desk.pushRaw(body);
      expect(answer.status, name).toBe(400);
      expect(errorOf(answer.body).code, name).toBe('invalid_request');
    }
    const wrongType = await desk.pushRaw(JSON.stringify({ ops: [good] }), 'text/plain');
    expect(wrongType.status).toBe(400);
    expect(await snapshotHub(hub.databaseUrl)).toBe(before);
  });

  it('answers 400 for ops breaking the identity rules (customer ids, keys) and names where', async () => {
    const { hub, desk } = await freshDesk();
    const before = await snapshotHub(hub.databaseUrl);
    const good = desk.put('0912345678', 'bia', 'Sài Gòn');
    const broken = [
      { ...good, id: crypto.randomUUID(), customerId: '' },
      { ...good, id: crypto.randomUUID(), customerId: 'Chị Lan\u0000' },
      { ...good, id: crypto.randomUUID(), key: 'line\nbreak' },
      { ...good, id: crypto.randomUUID(), key: 'zero\u200bwidth' },
      { ...good, id: crypto.randomUUID(), key: 'broken \ud800 surrogate' },
      { ...good, id: crypto.randomUUID(), key: 'k'.repeat(257) },
    ];
    for (const op of broken) {
      const answer = await desk.push([good, op]);
      expect(answer.status, JSON.stringify(op.key)).toBe(400);
      const error = errorOf(answer.body);
      expect(error.code).toBe('invalid_request');
      expect(JSON.stringify(error.details)).toContain('"1"');
    }
    expect(await snapshotHub(hub.databaseUrl)).toBe(before);
  });

  it('stores ids and keys in canonical form (NFC, one phone form), so spellings of one customer meet', async () => {
    const { desk } = await freshDesk();
    const decomposed = 'su\u0303a'.normalize('NFD');
    await desk.pushOk([desk.put('090 123 4567', decomposed, 1)]);
    const changes = await desk.pullAll();
    expect(changes.at(-1)!.op).toMatchObject({ kind: 'memory.put', customerId: changes[0]!.op.customerId, key: decomposed.normalize('NFC') });
  });

  it('answers 413 too_large for a batch over the byte limit, before reading it', async () => {
    const { hub, desk } = await freshDesk();
    const before = await snapshotHub(hub.databaseUrl);
    const filler = 'x'.repeat(400 * 1024);
    const ops = Array.from({ length: Math.ceil(SYNC_MAX_BATCH_BYTES / filler.length) + 1 }, (_, n) => desk.put('0912345678', `k${n}`, filler));
    const answer = await desk.push(ops);
    expect(answer.status).toBe(413);
    expect(errorOf(answer.body).code).toBe('too_large');
    expect(await snapshotHub(hub.databaseUrl)).toBe(before);
  });

  it('answers 422 quota_exceeded when a customer’s memories would pass the quota, and applies nothing of the batch', async () => {
    const { hub, desk } = await freshDesk({ quotaBytesPerCustomer: 10_000 });
    await desk.pushOk([desk.put('0912345678', 'a', 'x'.repeat(6000))]);
    const before = await snapshotHub(hub.databaseUrl);
    const answer = await desk.push([desk.put('0987654321', 'other customer', 'fine'), desk.put('0912345678', 'b', 'x'.repeat(5000))]);
    expect(answer.status).toBe(422);
    expect(errorOf(answer.body)).toMatchObject({ code: 'quota_exceeded', details: { quotaBytes: 10_000, customers: 1 } });
    expect(await snapshotHub(hub.databaseUrl)).toBe(before);
    // Replacing a value by a smaller one, or forgetting, is always accepted; so is growth within the quota.
    const shrink = await desk.push([desk.put('0912345678', 'a', 'x'.repeat(2000)), desk.put('0912345678', 'b', 'x'.repeat(5000))]);
    expect(shrink.status).toBe(200);
    expect((await desk.push([desk.forget('0912345678', 'b')])).status).toBe(200);
  });

  it('answers 400 for a bad pull cursor or limit, and caps the limit', async () => {
    const { desk } = await freshDesk();
    for (const query of ['after=-1', 'after=abc', 'after=1&limit=0', 'limit=x']) {
      const response = await fetch(`${desk.hubUrl}/sync/pull?${query}`, { headers: { authorization: `Bearer ${desk.token}` } });
      expect(response.status, query).toBe(400);
    }
    const big = await desk.pull(0, SYNC_MAX_PULL * 10);
    expect(big.status).toBe(200);
  });
});
