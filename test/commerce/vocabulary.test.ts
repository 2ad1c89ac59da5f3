import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/main/core/logger';
import { SearchVocabulary } from '../../src/main/commerce/vocabulary';
import { SqliteVocabularyStore } from '../../src/main/commerce/vocabularyStore';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { captureLog, LEVEL } from '../helpers/logCapture';
import { tempDir } from '../helpers/tempDir';

/** Names as a store shows them: the only source the vocabulary learns from. */
const names = [
  'Đường tinh luyện Biên Hòa gói 1kg',
  'Đường tinh luyện Biên Hòa bao 10kg',
  'Rong biển Vissan gói 200g',
  'Rong biển Nestlé hộp 155g',
  'Dầu hướng dương Simply chai 1L',
  'Dầu hướng dương Neptune chai 2L',
  'Sữa tươi Vinamilk không đường hộp 180ml',
  'Sữa tươi Vinamilk có đường hộp 1L',
  'Sữa tươi tiệt trùng TH true MILK ít đường hộp 180ml',
  'Mì ăn liền Hảo Hảo tôm chua cay gói 75g',
  'Mì ăn liền Hảo Hảo gà thùng 30 gói',
  'Nước khoáng Vĩnh Hảo chai 500ml',
  'Nước rửa chén Mỹ Hảo chai 750g',
  'Dầu hào Maggi chai 250g',
  'Trứng gà CP hộp 10 quả',
  'Trứng gà Ba Huân vỉ 10 quả',
  'Cà phê hòa tan Trung Nguyên G7 túi 500g',
  'Bánh trung thu Kinh Đô hộp 300g',
  'Bánh quy bơ Danisa hộp 300g',
  'Bơ lạt Anchor gói 200g',
  'Thịt bò xay Vissan khay 500g',
  'Bắp bò Vissan khay 250g',
  'Nước tăng lực Red Bull lon 330ml',
  'Nước ngọt có gas Coca-Cola thùng 24 lon',
  'Dầu ăn Tường An chai 1L',
  'Dầu ăn Simply chai 1L',
  'Mì ăn liền Cung Đình gà gói 75g',
  'Bia Heineken lon 330ml',
  'Bia 333 thùng 24 lon',
  'Nước ngọt 7Up lon 330ml',
  'Gạo ST25 Ông Cua túi 5kg',
  'Sữa Vinamilk hộp 1L',
];

function learned(): SearchVocabulary {
  const vocabulary = new SearchVocabulary(null, silentLogger());
  for (const name of names) vocabulary.learn(name);
  return vocabulary;
}

const restored = (vocabulary: SearchVocabulary, query: string) =>
  vocabulary
    .restore(query.split(' '))
    .flatMap((term) => term.words)
    .join(' ');

describe('search vocabulary learned from the store', () => {
  it('gives words typed without accents the spelling their neighbours have in the names', () => {
    const vocabulary = learned();
    expect(restored(vocabulary, 'duong bien hoa')).toBe('đường biên hòa');
    expect(restored(vocabulary, 'rong bien')).toBe('rong biển');
    expect(restored(vocabulary, 'dau huong duong')).toBe('dầu hướng dương');
    expect(restored(vocabulary, 'sua tuoi khong duong')).toBe('sữa tươi không đường');
    expect(restored(vocabulary, 'mi hao hao')).toBe('mì hảo hảo');
    expect(restored(vocabulary, 'dau hao')).toBe('dầu hào');
    expect(restored(vocabulary, 'trung ga')).toBe('trứng gà');
    expect(restored(vocabulary, 'ca phe trung nguyen')).toBe('cà phê trung nguyên');
    expect(restored(vocabulary, 'banh trung thu')).toBe('bánh trung thu');
    expect(restored(vocabulary, 'banh quy bo')).toBe('bánh quy bơ');
    expect(restored(vocabulary, 'thit bo xay')).toBe('thịt bò xay');
    // "an" is also how the store writes "Tường An": typed without accents, the neighbours decide.
    expect(restored(vocabulary, 'dau an tuong an')).toBe('dầu ăn tường an');
  });

  it('splits brands run together and joins words typed apart, from the pairs and words of the names', () => {
    const vocabulary = learned();
    expect(vocabulary.restore(['redbull'])).toEqual([expect.objectContaining({ words: ['red', 'bull'], changes: ['split'] })]);
    expect(restored(vocabulary, 'cocacola')).toBe('coca cola');
    expect(restored(vocabulary, 'haohao')).toBe('hảo hảo');
    expect(vocabulary.restore(['vina', 'milk'])).toEqual([expect.objectContaining({ words: ['vinamilk'], changes: ['joined'] })]);
    expect(restored(vocabulary, '7 up')).toBe('7up');
    expect(restored(vocabulary, 'red bull')).toBe('red bull');
  });

  it('mends a typo to a word the store uses, and reads English grocery words it can say in Vietnamese', () => {
    const vocabulary = learned();
    expect(vocabulary.restore(['heniken'])).toEqual([expect.objectContaining({ words: ['heineken'], changes: ['typo'] })]);
    expect(restored(vocabulary, 'vinamlik')).toBe('vinamilk');
    expect(restored(vocabulary, 'fresh milk vinamilk')).toBe('sữa tươi vinamilk');
    expect(restored(vocabulary, 'fish sauce')).toBe('fish sauce');
    expect(restored(vocabulary, 'th true milk')).toBe('th true milk');
  });

  it('never changes a word into a spelling the names do not have, nor a word that needs no change', () => {
    const vocabulary = learned();
    // Unknown words, model numbers and brands with digits are sent as typed.
    expect(restored(vocabulary, 'sieu ngon xyzabc')).toBe('sieu ngon xyzabc');
    expect(restored(vocabulary, 'gao st25')).toBe('gạo st25');
    expect(restored(vocabulary, 'bia 333')).toBe('bia 333');
    // Typed with accents the store uses: kept, even where another spelling is more frequent.
    expect(restored(vocabulary, 'sữa tiệt trùng')).toBe('sữa tiệt trùng');
    expect(restored(vocabulary, 'dầu hướng dương')).toBe('dầu hướng dương');
    // An English word is not a typo of a Vietnamese one (`dish` is not `đình`), nor a short word another word.
    expect(restored(vocabulary, 'dish')).toBe('dish');
    expect(restored(vocabulary, 'bia tigr')).toBe('bia tigr');
    // Whatever it restores, every word sent is one the store writes, or the word as typed.
    const spellings = new Set(names.flatMap((name) => name.toLowerCase().split(/[\s-]+/)));
    for (const query of ['duong bien hoa', 'trung', 'bo', 'hao', 'dau an', 'vi chanh', 'ca phe']) {
      for (const word of restored(vocabulary, query).split(' '))
        expect(spellings.has(word) || query.split(' ').includes(word), `${query}: ${word}`).toBe(true);
    }
    const onlyButter = new SearchVocabulary(null, silentLogger());
    onlyButter.learn('Bơ lạt Anchor gói 200g');
    expect(restored(onlyButter, 'bo')).toBe('bơ');
    expect(restored(onlyButter, 'trung')).toBe('trung');
  });

  it('stays within its bounds however many names it sees, keeping the words seen most', () => {
    const vocabulary = new SearchVocabulary(null, silentLogger(), { words: 60, pairs: 120, names: 50 });
    for (let i = 0; i < 400; i++) vocabulary.learn(`Sữa tươi Vinamilk mẫu${i} hộp ${i}ml`);
    expect(vocabulary.size).toBeLessThanOrEqual(60 + 120);
    expect(restored(vocabulary, 'sua tuoi')).toBe('sữa tươi');
  });

  it('is kept in SQLite per store, counts a name once across restarts, and another store has its own', () => {
    const { db } = openDatabase(`${tempDir()}/data.sqlite`, migrations);
    const first = new SearchVocabulary(new SqliteVocabularyStore(db, 'https://store|b2c'), silentLogger());
    for (const name of names) first.learn(name);
    first.flush();
    const again = new SearchVocabulary(new SqliteVocabularyStore(db, 'https://store|b2c'), silentLogger());
    expect(again.size).toBe(first.size);
    expect(restored(again, 'duong bien hoa')).toBe('đường biên hòa');
    const weight = () => db.prepare("SELECT weight FROM commerce_vocabulary WHERE kind = 'word' AND term = 'đường'").pluck().get();
    const before = weight();
    for (const name of names) again.learn(name);
    again.flush();
    expect(weight()).toBe(before);
    const other = new SearchVocabulary(new SqliteVocabularyStore(db, 'demo|b2c'), silentLogger());
    expect(other.size).toBe(0);
    expect(restored(other, 'duong bien hoa')).toBe('duong bien hoa');
    db.close();
  });

  it('goes on learning in memory when the data file refuses writes, and says so once', () => {
    const { db } = openDatabase(`${tempDir()}/data.sqlite`, migrations);
    const log = captureLog();
    const vocabulary = new SearchVocabulary(new SqliteVocabularyStore(db, 'store'), log.child('commerce'));
    db.pragma('query_only = ON');
    vocabulary.learn('Đường tinh luyện Biên Hòa gói 1kg');
    expect(() => vocabulary.flush()).not.toThrow();
    vocabulary.learn('Dầu hướng dương Simply chai 1L');
    vocabulary.flush();
    expect(restored(vocabulary, 'duong bien hoa')).toBe('đường biên hòa');
    const warnings = log.lines().filter((line) => line.level === LEVEL.warn);
    expect(warnings.map((line) => line.msg)).toEqual(['the search vocabulary could not be saved']);
    db.pragma('query_only = OFF');
    vocabulary.flush();
    expect(db.prepare('SELECT COUNT(*) FROM commerce_vocabulary').pluck().get()).toBeGreaterThan(0);
    db.close();
  });
});
