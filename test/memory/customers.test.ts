import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src/main/app/config';
import type { Services } from '../../src/main/app/services';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import type { CustomerRecord } from '@shared/contract/customers';
import type { CustomerExport } from '@shared/contract/memory';
import type { Result } from '@shared/errors';
import { canonicalDisplayName, canonicalMembershipNumber, canonicalPhone, customerLabel, formatPhone, looksLikePersonName } from '@shared/identity';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { ManualClock, openMemory } from './helpers';

const call = { transport: 'test' } as const;

let services: Services | null = null;
afterEach(async () => {
  await services?.close();
  services = null;
});

async function started(): Promise<Services> {
  services = await startServices(tempDir());
  return services;
}

function value<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

const ids = (records: CustomerRecord[]) => records.map((record) => record.customerId);

describe('customer display', () => {
  it('formats mobile numbers and 11-digit landlines in groups, and leaves anything else as it is', () => {
    expect(formatPhone('0901234567')).toBe('0901 234 567');
    expect(formatPhone('02838123456')).toBe('028 3812 3456');
    for (const other of ['090123456', '090123456789', 'kh-001', '', '+84901234567', '0901 234 567']) expect(formatPhone(other)).toBe(other);
  });

  it('labels a customer by name and phone, name alone, phone alone, else the id', () => {
    const base = { customerId: '0901234567', displayName: null, phone: null };
    expect(customerLabel({ ...base, displayName: 'Chị Lan', phone: '0901234567' })).toBe('Chị Lan · 0901 234 567');
    expect(customerLabel({ ...base, displayName: 'Chị Lan' })).toBe('Chị Lan');
    expect(customerLabel({ ...base, phone: '02838123456' })).toBe('028 3812 3456');
    expect(customerLabel({ ...base, customerId: 'kh-001' })).toBe('kh-001');
  });

  it('puts record fields in one form and names what is wrong with them', () => {
    expect(canonicalDisplayName('  Chi\u0323  Lan\t')).toEqual({ ok: true, value: 'Chị Lan' });
    expect(canonicalDisplayName('x'.repeat(81))).toMatchObject({ ok: false, problem: 'too_long' });
    expect(canonicalDisplayName('x'.repeat(80))).toMatchObject({ ok: true });
    expect(canonicalDisplayName('Lan\u200b')).toMatchObject({ ok: false, problem: 'format_character' });
    expect(canonicalDisplayName('Lan\u0007')).toMatchObject({ ok: false, problem: 'control_character' });
    expect(canonicalDisplayName('Lan\ud800')).toMatchObject({ ok: false, problem: 'malformed_utf16' });
    expect(canonicalDisplayName('   ')).toMatchObject({ ok: false, problem: 'empty' });
    expect(canonicalPhone('+84 (90) 123-4567')).toEqual({ ok: true, value: '0901234567' });
    expect(canonicalPhone('kh-001')).toMatchObject({ ok: false, problem: 'not_a_phone' });
    expect(canonicalMembershipNumber(' MM-00042 ')).toEqual({ ok: true, value: 'mm-00042' });
    expect(canonicalMembershipNumber('MM 42')).toMatchObject({ ok: false, problem: 'not_a_code' });
    expect(looksLikePersonName('Chị Lan')).toBe(true);
    expect(looksLikePersonName('Lê')).toBe(true);
    expect(looksLikePersonName('kh-001')).toBe(false);
  });
});

describe('customer records', () => {
  it('are found by name with or without accents, by any phone spelling and by membership number in any case', async () => {
    const s = await started();
    const saved = value<CustomerRecord>(
      await s.dispatch('customers.save', { customerId: '+84 901 234 567', displayName: '  Chị   Lan ', membershipNumber: 'MM-00042' }, call),
    );
    expect(saved).toMatchObject({ customerId: '0901234567', displayName: 'Chị Lan', phone: '0901234567', membershipNumber: 'mm-00042' });
    value(await s.dispatch('customers.save', { customerId: 'kh-777', displayName: 'Anh Minh', phone: '028 3812 3456' }, call));

    const find = async (query: string) => ids(value<CustomerRecord[]>(await s.dispatch('customers.find', { query }, call)));
    for (const query of ['chi lan', 'Chị Lan', 'lan', 'CHI', 'Chi\u0323 La']) expect(await find(query), query).toEqual(['0901234567']);
    for (const query of ['0901234567', '0901 234 567', '+84901234567', '84 90 123 4567', '(090) 123-4567', '0901.234.567', '0901 23'])
      expect(await find(query), query).toEqual(['0901234567']);
    for (const query of ['MM-00042', 'mm-00042', ' Mm-00042 ']) expect(await find(query), query).toEqual(['0901234567']);
    expect(await find('minh')).toEqual(['kh-777']);
    expect(await find('02838123456')).toEqual(['kh-777']);
    expect(await find('KH-777')).toEqual(['kh-777']);
    expect(value(await s.dispatch('customers.get', { customerId: '0901 234 567' }, call))).toEqual(saved);
    expect(value(await s.dispatch('customers.get', { customerId: 'nobody' }, call))).toBeNull();
  });

  it("never return another customer's record for a query that does not match it, and treat LIKE wildcards as text", async () => {
    const s = await started();
    value(await s.dispatch('customers.save', { customerId: '0901234567', displayName: 'Chị Lan' }, call));
    value(await s.dispatch('customers.save', { customerId: '0912345678', displayName: 'Cô Hoa', membershipNumber: 'mm-1' }, call));
    value(await s.dispatch('customers.save', { customerId: 'kh_1', displayName: '100% Hạnh' }, call));
    const find = async (query: string) => ids(value<CustomerRecord[]>(await s.dispatch('customers.find', { query }, call)));
    expect(await find('hoa')).toEqual(['0912345678']);
    expect(await find('0912345678')).toEqual(['0912345678']);
    expect(await find('mm-1')).toEqual(['0912345678']);
    expect(await find('mm')).toEqual([]);
    expect(await find('0901234568')).toEqual([]);
    expect(await find('lan hoa')).toEqual([]);
    expect(await find('%')).toEqual(['kh_1']);
    expect(await find('_')).toEqual([]);
    expect(await find('h_nh')).toEqual([]);
    expect(await find('c%')).toEqual([]);
    expect(await find('   ')).toEqual([]);
  });

  it('put exact matches first, then names starting with the query, each most recently updated first, within the limit', async () => {
    const clock = new ManualClock(1_000);
    const m = openMemory(tempDir(), { clock });
    try {
      m.customers.save({ customerId: 'kh-1', displayName: 'Bà Lan' });
      clock.advanceTo(2_000);
      m.customers.save({ customerId: 'kh-2', displayName: 'Lan Anh' });
      clock.advanceTo(3_000);
      m.customers.save({ customerId: 'kh-3', displayName: 'Chị Lan' });
      clock.advanceTo(4_000);
      m.customers.save({ customerId: 'lan', displayName: 'Ông Tư' });
      expect(ids(m.customers.find('lan'))).toEqual(['lan', 'kh-2', 'kh-3', 'kh-1']);
      expect(ids(m.customers.find('lan', 2))).toEqual(['lan', 'kh-2']);
      // A save that changes nothing writes nothing: the order stays.
      clock.advanceTo(5_000);
      expect(m.customers.save({ customerId: 'kh-1', displayName: 'Bà Lan' }).updatedAt).toBe(1_000);
      m.customers.save({ customerId: 'kh-1', displayName: 'Bà Lan Phạm' });
      expect(ids(m.customers.find('lan'))).toEqual(['lan', 'kh-2', 'kh-1', 'kh-3']);
      expect(m.customers.get('kh-1')).toMatchObject({ createdAt: 1_000, updatedAt: 5_000 });
      for (let i = 0; i < 60; i++) m.customers.save({ customerId: `kh-x${i}`, displayName: `Khách ${i}` });
      expect(m.customers.find('khach')).toHaveLength(10);
      expect(m.customers.find('khach', 50)).toHaveLength(50);
      expect(() => m.customers.find('khach', 51)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    } finally {
      await m.shutdown();
    }
  });

  it('are made on first use with what the id says, keep fields left out and clear fields set to null', async () => {
    const s = await started();
    expect(value(await s.dispatch('customers.save', { customerId: '0901 234 567' }, call))).toMatchObject({
      customerId: '0901234567',
      displayName: null,
      phone: '0901234567',
      membershipNumber: null,
    });
    expect(value(await s.dispatch('customers.save', { customerId: 'KH-001' }, call))).toMatchObject({
      customerId: 'kh-001',
      displayName: null,
      phone: null,
    });
    expect(value(await s.dispatch('customers.save', { customerId: 'Chị Lan' }, call))).toMatchObject({
      customerId: 'Chị Lan',
      displayName: 'Chị Lan',
    });
    value(await s.dispatch('customers.save', { customerId: '0901234567', displayName: 'Chị Lan', membershipNumber: 'MM-9' }, call));
    expect(value(await s.dispatch('customers.save', { customerId: '0901234567' }, call))).toMatchObject({
      displayName: 'Chị Lan',
      phone: '0901234567',
      membershipNumber: 'mm-9',
    });
    expect(value(await s.dispatch('customers.save', { customerId: '0901234567', membershipNumber: null, phone: null }, call))).toMatchObject({
      displayName: 'Chị Lan',
      phone: null,
      membershipNumber: null,
    });
    expect(
      ids(value<CustomerRecord[]>(await s.dispatch('customers.find', { query: '0901234567' }, call))),
      'the id is still found as a phone',
    ).toEqual(['0901234567']);
  });

  it('refuse bad input with invalid_request naming the field, and write nothing', async () => {
    const s = await started();
    value(await s.dispatch('customers.save', { customerId: 'kh-1', displayName: 'Chị Lan' }, call));
    const before = snapshotDatabase(s.db!);
    const refused: [string, Record<string, unknown>, string][] = [
      ['customers.save', { customerId: 'kh-1', displayName: 'x'.repeat(81) }, 'displayName'],
      ['customers.save', { customerId: 'kh-1', displayName: 'Lan\u200b' }, 'displayName'],
      ['customers.save', { customerId: 'kh-1', displayName: 'Lan\u0000' }, 'displayName'],
      ['customers.save', { customerId: 'kh-1', displayName: '' }, 'displayName'],
      ['customers.save', { customerId: 'kh-1', displayName: 42 }, 'displayName'],
      ['customers.save', { customerId: 'kh-1', phone: '12345' }, 'phone'],
      ['customers.save', { customerId: 'kh-1', phone: 'kh-2' }, 'phone'],
      ['customers.save', { customerId: 'kh-1', membershipNumber: 'MM 42' }, 'membershipNumber'],
      ['customers.save', { customerId: 'kh-1', membershipNumber: 'số-1' }, 'membershipNumber'],
      ['customers.save', { customerId: 'kh-1', displayName: 'Lan', phone: 'not a phone' }, 'phone'],
      ['customers.save', { customerId: '', displayName: 'Lan' }, 'customerId'],
      ['customers.save', { customerId: 'kh\u200b-2' }, 'customerId'],
      ['customers.save', { customerId: 'kh-1', other: 1 }, ''],
      ['customers.get', { customerId: 'x'.repeat(129) }, 'customerId'],
      ['customers.find', { query: '' }, 'query'],
      ['customers.find', { query: 'x'.repeat(129) }, 'query'],
      ['customers.find', { query: 'lan', limit: 51 }, 'limit'],
      ['customers.find', { query: 'lan', limit: 0 }, 'limit'],
    ];
    for (const [channel, request, field] of refused) {
      const result = await s.dispatch(channel, request, call);
      expect(result, `${channel} ${JSON.stringify(request)}`).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      if (!result.ok && field !== '') expect((result.error.details as { path: string[] }[])[0]!.path).toEqual([field]);
    }
    // The service itself refuses the same way when called from inside main.
    expect(() => s.memory!.customers.save({ customerId: 'kh-1', phone: '12345' })).toThrow(
      expect.objectContaining({ code: 'invalid_request', details: [expect.objectContaining({ path: ['phone'] })] }),
    );
    expect(() => s.memory!.customers.find('Lan\u200b')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(snapshotDatabase(s.db!)).toBe(before);
    expect(value(await s.dispatch('customers.get', { customerId: 'kh-1' }, call))).toMatchObject({ displayName: 'Chị Lan', phone: null });
  });

  it("go with the customer's data: exported with it, erased with it, and another customer's stays", async () => {
    const s = await started();
    value(await s.dispatch('customers.save', { customerId: '0901234567', displayName: 'Chị Lan', membershipNumber: 'mm-1' }, call));
    value(await s.dispatch('customers.save', { customerId: '0912345678', displayName: 'Cô Hoa' }, call));
    value(await s.dispatch('memory.put', { userId: '0901234567', key: 'sữa', value: 'không đường' }, call));
    const exported = value<CustomerExport>(await s.dispatch('memory.export', { userId: '0901 234 567' }, call));
    expect(exported.customer).toMatchObject({ customerId: '0901234567', displayName: 'Chị Lan', membershipNumber: 'mm-1' });
    expect(value<CustomerExport>(await s.dispatch('memory.export', { userId: 'kh-none' }, call)).customer).toBeUndefined();

    value(await s.dispatch('memory.deleteCustomer', { userId: '0901234567' }, call));
    expect(value(await s.dispatch('customers.get', { customerId: '0901234567' }, call))).toBeNull();
    expect(value(await s.dispatch('customers.find', { query: 'lan' }, call))).toEqual([]);
    expect(s.db!.prepare("SELECT count(*) AS n FROM customers WHERE id = '0901234567'").get()).toEqual({ n: 0 });
    expect(value(await s.dispatch('customers.get', { customerId: '0912345678' }, call))).toMatchObject({ displayName: 'Cô Hoa' });
    // Deleting one conversation keeps the record.
    value(await s.dispatch('sessions.create', { userId: '0912345678', sessionId: 's1' }, call));
    value(await s.dispatch('sessions.delete', { userId: '0912345678', sessionId: 's1' }, call));
    expect(value(await s.dispatch('customers.get', { customerId: '0912345678' }, call))).toMatchObject({ displayName: 'Cô Hoa' });
  });

  it('answer storage_unavailable when the data file is damaged', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, DB_FILE_NAME), 'this is not a database, just text'.repeat(200));
    services = await startServices(dir);
    expect(services.db).toBeNull();
    for (const [channel, request] of [
      ['customers.find', { query: 'lan' }],
      ['customers.get', { customerId: 'kh-1' }],
      ['customers.save', { customerId: 'kh-1', displayName: 'Lan' }],
    ] as const)
      expect(await services.dispatch(channel, request, call), channel).toMatchObject({ ok: false, error: { code: 'storage_unavailable' } });
  });
});

describe('migration 7', () => {
  it('makes a record for every customer already in the file: phones as phones, names as names', () => {
    const file = path.join(tempDir(), 'memory.sqlite');
    const before = openDatabase(
      file,
      migrations.filter((migration) => migration.version < 7),
    ).db;
    const session = before.prepare('INSERT INTO memory_sessions (user_id, session_id, created_at) VALUES (?, ?, ?)');
    session.run('0901234567', 's1', 5_000);
    session.run('0901234567', 's2', 7_000);
    session.run('Chị Lan', 's3', 3_000);
    before
      .prepare(
        `INSERT INTO memory_entries (user_id, session_id, key, tier, codec, value, size, stored_bytes, created_at, updated_at, accessed_at)
         VALUES (?, '', 'k', 'warm', 'none', '1', 2, 1, ?, ?, ?)`,
      )
      .run('kh-001', 2_000, 9_000, 9_000);
    const cart = before.prepare('INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)');
    cart.run('0901234567', 'demo', 'cart-1', 8_000);
    cart.run('Anh Minh', 'demo', 'cart-2', 4_000);
    cart.run('02838123456', 'demo', 'cart-3', 6_000);
    before.close();

    const { db } = openDatabase(file, migrations);
    try {
      const rows = db
        .prepare('SELECT id, display_name, name_folded, phone, membership_number, created_at, updated_at FROM customers ORDER BY id')
        .all();
      expect(rows).toEqual([
        {
          id: '02838123456',
          display_name: null,
          name_folded: null,
          phone: '02838123456',
          membership_number: null,
          created_at: 6_000,
          updated_at: 6_000,
        },
        {
          id: '0901234567',
          display_name: null,
          name_folded: null,
          phone: '0901234567',
          membership_number: null,
          created_at: 5_000,
          updated_at: 8_000,
        },
        {
          id: 'Anh Minh',
          display_name: 'Anh Minh',
          name_folded: 'anh minh',
          phone: null,
          membership_number: null,
          created_at: 4_000,
          updated_at: 4_000,
        },
        {
          id: 'Chị Lan',
          display_name: 'Chị Lan',
          name_folded: 'chi lan',
          phone: null,
          membership_number: null,
          created_at: 3_000,
          updated_at: 3_000,
        },
        { id: 'kh-001', display_name: null, name_folded: null, phone: null, membership_number: null, created_at: 2_000, updated_at: 9_000 },
      ]);
      const indexes = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers'").all() as { sql: string | null }[])
        .map((index) => index.sql ?? '')
        .join('\n');
      for (const column of ['phone', 'membership_number', 'name_folded']) expect(indexes).toContain(`(${column})`);
    } finally {
      db.close();
    }
  });
});
