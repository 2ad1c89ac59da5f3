import { describe, expect, it } from 'vitest';
import {
  describePack,
  nameWithoutPack,
  normalizeUnits,
  packAgreement,
  packOfProduct,
  packTextOf,
  parsePackQuery,
  productPackOf,
} from '@shared/packs';

/** A query as staff type it → quantity, the pack in the catalog's words, and the other words. */
const queries: [string, { quantity: number | null; pack: string | null; words: string }][] = [
  ['1 thung bia tiger', { quantity: 1, pack: 'thùng', words: 'bia tiger' }],
  ['2 thùng bia tiger', { quantity: 2, pack: 'thùng', words: 'bia tiger' }],
  ['1 lốc 6 bia heineken', { quantity: 1, pack: 'lốc 6', words: 'bia heineken' }],
  ['bia heineken 1 loc 6', { quantity: 1, pack: 'lốc 6', words: 'bia heineken' }],
  ['lốc 4 hộp sữa chua', { quantity: null, pack: 'lốc 4 hộp', words: 'sữa chua' }],
  ['thùng 24 lon bia tiger', { quantity: null, pack: 'thùng 24 lon', words: 'bia tiger' }],
  ['bia tiger 24 lon', { quantity: null, pack: '24 lon', words: 'bia tiger' }],
  ['sua tuoi vinamilk hop 1 lit', { quantity: null, pack: 'hộp 1l', words: 'sua tuoi vinamilk' }],
  ['dầu ăn 1,5 L', { quantity: null, pack: '1.5l', words: 'dầu ăn' }],
  ['gao st25 bao 25kg', { quantity: null, pack: 'bao 25kg', words: 'gao st25' }],
  ['trung ga vi 10 qua', { quantity: null, pack: 'vỉ 10 quả', words: 'trung ga' }],
  ['1 vi trung ga', { quantity: 1, pack: 'vỉ', words: 'trung ga' }],
  ['két bia sài gòn', { quantity: null, pack: 'két', words: 'bia sài gòn' }],
  ['gói mì hảo hảo 75 gram', { quantity: null, pack: 'gói 75g', words: 'mì hảo hảo' }],
  ['túi gạo 5 ký', { quantity: null, pack: 'túi 5kg', words: 'gạo' }],
  ['dau an can 5 lit', { quantity: null, pack: 'can 5l', words: 'dau an' }],
  ['a case of tiger beer', { quantity: null, pack: 'thùng', words: 'tiger beer' }],
  ['2 cases of heineken', { quantity: 2, pack: 'thùng', words: 'heineken' }],
  ['six pack heineken', { quantity: null, pack: 'lốc 6', words: 'heineken' }],
  ['a 6-pack of pepsi', { quantity: null, pack: 'lốc 6', words: 'pepsi' }],
  ['case of 24 cans pepsi', { quantity: null, pack: 'thùng 24 lon', words: 'pepsi' }],
  ['3 bottles of fish sauce', { quantity: 3, pack: 'chai', words: 'fish sauce' }],
  ['2 sua tuoi', { quantity: 2, pack: null, words: 'sua tuoi' }],
];

/** Words that look like pack words but are not, where they stand. */
const notPacks: [string, string][] = [
  ['dau goi clear', 'dầu gội: shampoo, not a packet'],
  ['dầu gội clear', 'accents say it'],
  ['nước cam vị chanh', 'vị is a flavour, vỉ a card'],
  ['sua chua vi dau', 'without accents, neither first nor next to a number: a word'],
  ['banh bao', 'bánh bao: steamed buns, not a sack'],
  ['bia 333', 'a brand, not 333 of anything'],
];

describe('pack and unit words', () => {
  it.each(queries)('%s', (query, expected) => {
    const parsed = parsePackQuery(query);
    expect({ quantity: parsed.quantity, pack: parsed.pack ? describePack(parsed.pack) : null, words: parsed.words.join(' ') }).toEqual(expected);
  });

  it.each(notPacks)('%s stays words (%s)', (query) => {
    const parsed = parsePackQuery(query);
    expect(parsed.pack).toBeNull();
    expect(parsed.quantity).toBeNull();
  });

  it('asks the catalog before taking a word typed without accents for a pack ("bàn chải", not "chai"), and keeps a number glued to a name ("7 up")', () => {
    const spellingBeside = (word: string, previous: string | undefined) => (word === 'chai' && previous === 'ban' ? 'chải' : null);
    expect(parsePackQuery('ban chai danh rang', { spellingBeside }).pack).toBeNull();
    expect(parsePackQuery('vi chanh', { spellingBeside: () => 'vị' }).pack).toBeNull();
    expect(parsePackQuery('vi trung ga').pack).toMatchObject({ containers: ['vỉ'] });
    expect(parsePackQuery('nuoc mam chai 500ml', { spellingBeside })).toMatchObject({ pack: { containers: ['chai'] } });
    expect(parsePackQuery('7 up', { knows: (folded) => folded === '7up' })).toMatchObject({ quantity: null, words: ['7', 'up'] });
    expect(parsePackQuery('spring rolls', { inPhrase: (word, previous) => word === 'rolls' && previous === 'spring' }).pack).toBeNull();
  });

  it('writes quantities the way the catalog does', () => {
    expect(normalizeUnits('sữa tươi 1 lít')).toBe('sữa tươi 1l');
    expect(normalizeUnits('dầu ăn 1,5 L')).toBe('dầu ăn 1.5l');
    expect(normalizeUnits('gạo 5 ký')).toBe('gạo 5kg');
    expect(normalizeUnits('bột giặt 500 gram')).toBe('bột giặt 500g');
    expect(normalizeUnits('thùng 24 lon')).toBe('thùng 24 lon');
  });

  it("reads a product's pack from the end of its name, the leftmost container that fits", () => {
    expect(productPackOf('Bia lon Tiger thùng 24 lon')).toEqual({ container: 'thùng', count: 24, inner: 'lon', size: null });
    expect(productPackOf('Bia lon Tiger lon 330ml')).toEqual({ container: 'lon', count: null, inner: null, size: { value: 330, unit: 'ml' } });
    expect(productPackOf('Sữa tươi TH true MILK lốc 4 hộp 180ml')).toEqual({
      container: 'lốc',
      count: 4,
      inner: 'hộp',
      size: { value: 180, unit: 'ml' },
    });
    expect(productPackOf('Trà xanh C2 hộp 25 túi lọc')).toMatchObject({ container: 'hộp', count: 25, inner: 'túi' });
    expect(productPackOf('Dầu gội Clear gói 6g')).toMatchObject({ container: 'gói', size: { value: 6, unit: 'g' } });
    expect(productPackOf('Táo Envy MM')).toBeNull();
    expect(packOfProduct({ name: 'Bia Tiger', unit: 'Thùng' })).toMatchObject({ container: 'thùng' });
    expect(nameWithoutPack('Bia Tiger bạc thùng 24 lon')).toBe('Bia Tiger bạc');
    expect(packTextOf('Kem hộp Merino vani hộp 450ml')).toBe('hộp 450ml');
  });

  it('says whether a product is the pack asked for: container, count and size, 1 L being 1000 ml', () => {
    const fit = (query: string, name: string) => packAgreement(parsePackQuery(query).pack!, productPackOf(name)).agrees;
    expect(fit('thùng bia tiger', 'Bia Tiger thùng 24 lon')).toBe(true);
    expect(fit('thùng bia tiger', 'Bia Tiger lon 330ml')).toBe(false);
    expect(fit('lon bia tiger', 'Bia lon Tiger thùng 24 lon')).toBe(false);
    expect(fit('bia tiger 24 lon', 'Bia Tiger thùng 24 lon')).toBe(true);
    expect(fit('lốc 6 heineken', 'Bia Heineken lốc 6 lon')).toBe(true);
    expect(fit('lốc 6 heineken', 'Bia Heineken thùng 24 lon')).toBe(false);
    expect(fit('sữa tươi 1000ml', 'Sữa tươi Vinamilk hộp 1L')).toBe(true);
    expect(fit('sữa tươi 1000ml', 'Sữa tươi Vinamilk hộp 180ml')).toBe(false);
    expect(fit('a case of pepsi', 'Nước ngọt Pepsi thùng 24 lon')).toBe(true);
  });
});
