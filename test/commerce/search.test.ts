import { describe, expect, it } from 'vitest';
import { SqliteVocabularyStore } from '../../src/main/commerce/vocabularyStore';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { tempDir } from '../helpers/tempDir';
import { clientFor, startStandin } from './helpers';

const names = (result: { items: { name: string }[] }) => result.items.map((item) => item.name);

describe('search ranking staff can trust', () => {
  it('re-ranks widened results by the typed words each name has: "duong bien hoa loai 1" is Biên Hòa sugar, not milk "có đường"', async () => {
    const client = clientFor(await startStandin(), { warmUpVocabulary: true });
    await client.searchProducts({ query: 'xyzzy' });
    await client.whenVocabularyWarm();
    const result = await client.searchProducts({ query: 'duong bien hoa loai 1', pageSize: 5 });
    expect(result.fallback.step).toBe('fewer_terms');
    expect(names(result).length).toBeGreaterThan(0);
    for (const name of names(result)) expect(name).toMatch(/^Đường tinh luyện Biên Hòa/);
  });

  it('can leave out any typed word, the first included, and ranks what has the most of them first', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'kẹo nước mắm nam ngư', pageSize: 5 });
    expect(result.fallback.step).toBe('fewer_terms');
    expect(result.fallback.attempts.some((attempt) => attempt.dropped?.join() === 'kẹo')).toBe(true);
    for (const name of names(result)) expect(name).toMatch(/^Nước mắm.* Nam Ngư/);
  });

  it('gives the same order whatever the page size, on every page', async () => {
    const server = await startStandin();
    for (const query of ['sua tuoi', 'nuoc mam nam ngu sieu ngon', 'thung bia tiger', 'fish sauce']) {
      // A fresh client each time: the same vocabulary, so only the page size differs.
      const small = await clientFor(server).searchProducts({ query, pageSize: 5 });
      const large = await clientFor(server).searchProducts({ query, pageSize: 50 });
      const second = await clientFor(server).searchProducts({ query, pageSize: 5, currentPage: 2 });
      expect(names(small), query).toEqual(names(large).slice(0, 5));
      expect(names(second), query).toEqual(names(large).slice(5, 10));
      expect(small.fallback.step).toBe(large.fallback.step);
    }
  });

  it('puts the pack asked for first and says which products are that pack', async () => {
    const client = clientFor(await startStandin());
    const cases = await client.searchProducts({ query: '1 thung bia tiger', pageSize: 5 });
    expect(cases).toMatchObject({ pack: 'thùng', quantity: 1 });
    for (const item of cases.items) expect(item).toMatchObject({ name: expect.stringMatching(/Tiger.* thùng 24 lon$/) as string, packMatch: true });
    const cans = await client.searchProducts({ query: 'lon bia tiger', pageSize: 5 });
    for (const item of cans.items) expect(item).toMatchObject({ name: expect.stringMatching(/Tiger.* lon 330ml$/) as string, packMatch: true });
    const sixPacks = await client.searchProducts({ query: 'a six-pack of Heineken', pageSize: 5 });
    for (const item of sixPacks.items)
      expect(item).toMatchObject({ name: expect.stringMatching(/Heineken.* lốc 6 lon$/) as string, packMatch: true });
    const litre = await client.searchProducts({ query: 'sua tuoi vinamilk 1000ml', pageSize: 5 });
    for (const item of litre.items) expect(item).toMatchObject({ name: expect.stringMatching(/Vinamilk.* hộp 1L$/) as string, packMatch: true });
  });

  it('says when the pack asked for is not sold, still showing the product in its other packs', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'thùng nước mắm nam ngư', pageSize: 5 });
    expect(result.pack).toBe('thùng');
    expect(result.items.length).toBeGreaterThan(0);
    for (const item of result.items) expect(item).toMatchObject({ name: expect.stringMatching(/^Nước mắm.* Nam Ngư/) as string, packMatch: false });
  });

  it('spells a query it could not at first once the results of a narrower one taught it the words', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'mi hao hao', pageSize: 5 });
    expect(result).toMatchObject({ query: 'mì hảo hảo', fallback: { step: 'folded' } });
    expect(result.fallback.attempts.length).toBeGreaterThan(2);
    expect(names(result)[0]).toMatch(/^Mì ăn liền Hảo Hảo/);
    for (const name of names(result)) expect(name).toMatch(/Hảo Hảo/);
  });

  it("learns a new store's words from its departments once, in the background, and not again once it knows them", async () => {
    const server = await startStandin();
    const { db } = openDatabase(`${tempDir()}/data.sqlite`, migrations);
    const first = clientFor(server, { warmUpVocabulary: true, vocabulary: new SqliteVocabularyStore(db, 'standin') });
    await first.searchProducts({ query: 'xyzzy', pageSize: 5 });
    await first.whenVocabularyWarm();
    expect(first.vocabulary.size).toBeGreaterThan(500);
    expect(server.stats.operations.SearchProducts).toBeGreaterThan(20);
    // Known words now: a cold query the store's own search misses is found at once.
    expect((await first.searchProducts({ query: 'banh quy bo danisa', pageSize: 5 })).fallback.step).toBe('folded');
    server.resetStats();
    const next = clientFor(server, { warmUpVocabulary: true, vocabulary: new SqliteVocabularyStore(db, 'standin') });
    const result = await next.searchProducts({ query: 'tra xanh khong do', pageSize: 5 });
    await next.whenVocabularyWarm();
    expect(result.fallback.step).toBe('folded');
    expect(server.stats.operations.SearchProducts).toBe(2);
    db.close();
  });
});
