import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Services } from '../../src/main/app/services';
import { contract } from '@shared/contract';
import { canonicalCustomerId, canonicalMemoryKey } from '@shared/identity';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const call = { transport: 'test' } as const;
const idOf = (input: string) => {
  const result = canonicalCustomerId(input);
  if (!result.ok) throw new Error(`refused ${JSON.stringify(input)}: ${result.message}`);
  return result.id;
};

/** Nine digits after the leading 0 (a mobile number), written every way staff write them. */
const mobile = fc.stringMatching(/^[35789]\d{8}$/);
const writings = (digits: string): string[] => [
  `0${digits}`,
  `+84${digits}`,
  `84${digits}`,
  `0${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`,
  `0${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6)}`,
  `+84 ${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5)}`,
  `(0${digits.slice(0, 2)}) ${digits.slice(2, 5)}-${digits.slice(5)}`,
  `  0${digits}  `,
];

describe('customer identity', () => {
  it('maps every common way of writing one phone number to one id', () => {
    fc.assert(
      fc.property(mobile, (digits) => {
        for (const written of writings(digits)) expect(idOf(written)).toBe(`0${digits}`);
      }),
    );
    expect(idOf('+84 (90) 123-4567')).toBe('0901234567');
    expect(idOf('028 3812 3456')).toBe('02838123456');
  });

  it('is idempotent, and two different phone numbers never meet', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const first = canonicalCustomerId(text);
        if (first.ok) expect(idOf(first.id)).toBe(first.id);
      }),
    );
    fc.assert(
      fc.property(mobile, mobile, (a, b) => {
        fc.pre(a !== b);
        expect(idOf(`+84${a}`)).not.toBe(idOf(`0${b}`));
      }),
    );
  });

  it('writes customer numbers in one case, names as typed, all in one normal form with whitespace collapsed', () => {
    expect(idOf('KH-001')).toBe('kh-001');
    expect(idOf(' kh-001 ')).toBe('kh-001');
    expect(idOf('MM.12345/A')).toBe('mm.12345/a');
    expect(idOf('Chị  Lan\tQuận 3')).toBe('Chị Lan Quận 3');
    // "ệ" as one code point and as e + two combining marks.
    expect(idOf('Nguy\u1EC7n')).toBe(idOf('Nguye\u0323\u0302n'));
    // A number that is not a Vietnamese phone number stays as typed.
    expect(idOf('123456')).toBe('123456');
  });

  it('refuses what is not an identity, naming the problem', () => {
    expect(canonicalCustomerId('cust\udbff')).toMatchObject({ ok: false, problem: 'malformed_utf16' });
    expect(canonicalCustomerId('\udc00abc')).toMatchObject({ ok: false, problem: 'malformed_utf16' });
    expect(canonicalCustomerId('kh\u0000001')).toMatchObject({ ok: false, problem: 'control_character' });
    expect(canonicalCustomerId('kh\u202e100')).toMatchObject({ ok: false, problem: 'format_character' });
    expect(canonicalCustomerId('kh\u200b001')).toMatchObject({ ok: false, problem: 'format_character' });
    expect(canonicalCustomerId(' \t\n ')).toMatchObject({ ok: false, problem: 'empty' });
    expect(canonicalCustomerId('x'.repeat(129))).toMatchObject({ ok: false, problem: 'too_long' });
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\ud800', '\udfff', '\u0007', '\u202d', '\u2066', '\ufeff'), fc.string(), (before, bad, after) => {
        expect(canonicalCustomerId(`${before}${bad}${after}`).ok).toBe(false);
      }),
    );
  });
});

describe('memory keys', () => {
  it('follow the same well-formedness rules: one normal form, no broken, control or invisible characters', () => {
    expect(canonicalMemoryKey('note:khach-thich-sua')).toEqual({ ok: true, key: 'note:khach-thich-sua' });
    expect(canonicalMemoryKey('dị ứng')).toEqual({ ok: true, key: 'dị ứng' });
    expect(canonicalMemoryKey('Nguye\u0323\u0302n')).toEqual({ ok: true, key: 'Nguy\u1EC7n' });
    expect(canonicalMemoryKey('sua\ud800')).toMatchObject({ ok: false, problem: 'malformed_utf16' });
    expect(canonicalMemoryKey('sua\nduong')).toMatchObject({ ok: false, problem: 'control_character' });
    expect(canonicalMemoryKey('sua\u202eduong')).toMatchObject({ ok: false, problem: 'format_character' });
  });

  it('are refused or normalised the same way through the inspector channel and the memory service', async () => {
    const services = await startServices(tempDir());
    try {
      for (const key of ['sua\ud800', 'a\u0000b', 'x\u200by']) {
        expect(await services.dispatch('memory.put', { userId: 'kh-1', key, value: 1 }, call), key).toMatchObject({
          ok: false,
          error: { code: 'invalid_request' },
        });
        expect(() => services.memory!.memory.memorize({ userId: 'kh-1' }, key, 1), key).toThrow(expect.objectContaining({ code: 'invalid_request' }));
      }
      expect(await services.dispatch('memory.put', { userId: 'kh-1', key: 'Nguye\u0323\u0302n', value: 1 }, call)).toMatchObject({ ok: true });
      expect(services.memory!.memory.getMemory({ userId: 'kh-1' }, 'Nguy\u1EC7n').value).toBe(1);
    } finally {
      await services.close();
    }
  });
});

describe('every channel that takes a customer', () => {
  let services: Services | null = null;
  afterEach(async () => {
    await services?.close();
    services = null;
  });

  /** The channels whose request names a customer (`userId` or `customerId`). */
  const customerChannels = Object.entries(contract).flatMap(([name, definition]) => {
    const shape = (definition.request as z.ZodObject<z.ZodRawShape>).shape as Record<string, unknown> | undefined;
    const field = shape && 'userId' in shape ? 'userId' : shape && 'customerId' in shape ? 'customerId' : null;
    return field ? [{ name, field }] : [];
  });

  it('refuses a malformed id the same way, naming it, before anything runs', async () => {
    expect(customerChannels.length).toBeGreaterThanOrEqual(15);
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    for (const { name, field } of customerChannels) {
      const result = await services.dispatch(name, { [field]: 'cust\ud800' }, call);
      expect(result, name).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      const details = (result as { error: { details: { path: string[]; message: string }[] } }).error.details;
      expect(details, name).toContainEqual(
        expect.objectContaining({ path: [field], message: expect.stringContaining('broken character') as string }),
      );
    }
  });

  it('finds one customer however the phone number is written: memory, sessions and the cart', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const put = await services.dispatch('memory.put', { userId: '0901 234 567', key: 'sua', value: 'không đường' }, call);
    expect(put).toMatchObject({ ok: true, value: { userId: '0901234567' } });
    expect(await services.dispatch('memory.get', { userId: '+84901234567', key: 'sua' }, call)).toMatchObject({
      ok: true,
      value: { value: 'không đường' },
    });
    const session = await services.dispatch('sessions.create', { userId: '0901.234.567' }, call);
    expect(session).toMatchObject({ ok: true, value: { userId: '0901234567' } });
    expect(await services.dispatch('sessions.list', { userId: '84901234567' }, call)).toMatchObject({
      ok: true,
      value: { sessions: [{ userId: '0901234567' }] },
    });
    const search = await services.dispatch('catalog.search', { query: 'sữa tươi' }, call);
    const sku = (search as { value: { items: { sku: string }[] } }).value.items[0]!.sku;
    expect(await services.dispatch('cart.add', { customerId: '0901 234 567', sku, quantity: 2 }, call)).toMatchObject({ ok: true });
    // A leading space used to reach another customer's cart through the cart tools; now it is the same customer.
    const cart = await services.dispatch('cart.get', { customerId: ' +84 901 234 567' }, call);
    expect(cart).toMatchObject({ ok: true, value: { cart: { itemCount: 2, lines: [{ sku, quantity: 2 }] } } });
  });
});
