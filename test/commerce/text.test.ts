import { describe, expect, it } from 'vitest';
import { plainText, unitFromName } from '../../src/main/commerce/shape';
import { generateCatalog } from '../../src/main/commerce/demo/catalog';
import { foldAccents } from '@shared/text';
import { groceryPhrases, normalizeUnits, Vocabulary } from '../../src/main/commerce/text';

describe('Vietnamese text', () => {
  it('folds accents, đ and Đ included', () => {
    expect(foldAccents('Sữa tươi ĐÀ LẠT đặc biệt')).toBe('sua tuoi da lat dac biet');
    expect(foldAccents('Nước mắm Phú Quốc')).toBe('nuoc mam phu quoc');
  });

  it('normalises units and numbers the way the catalog writes them', () => {
    expect(normalizeUnits('sữa tươi 1 lít')).toBe('sữa tươi 1l');
    expect(normalizeUnits('dầu ăn 1,5 L')).toBe('dầu ăn 1.5l');
    expect(normalizeUnits('gạo 5 ký')).toBe('gạo 5kg');
    expect(normalizeUnits('bột giặt 500 gram')).toBe('bột giặt 500g');
    expect(normalizeUnits('thùng 24 lon')).toBe('thùng 24 lon');
  });

  it('restores diacritics from what it learned, keeping words typed with accents', () => {
    const vocabulary = new Vocabulary(groceryPhrases);
    expect(vocabulary.restore('sua tuoi')).toBe('sữa tươi');
    expect(vocabulary.restore('nuoc mam nam ngu')).toBe('nước mắm nam ngu');
    vocabulary.learn('Nước mắm Nam Ngư chai 500ml');
    expect(vocabulary.restore('nuoc mam nam ngu')).toBe('nước mắm nam ngư');
    expect(vocabulary.restore('dầu an')).toBe('dầu ăn');
  });

  it('reads the selling unit from a stock name and strips HTML to text', () => {
    expect(unitFromName('Sữa tươi tiệt trùng Vinamilk có đường hộp 1L')).toBe('hộp 1L');
    expect(unitFromName('Bia Tiger thùng 24 lon')).toBe('thùng 24 lon');
    expect(unitFromName('Kem hộp Merino vani hộp 450ml')).toBe('hộp 450ml');
    expect(unitFromName('Táo Envy')).toBeUndefined();
    expect(plainText('<p>Sữa <b>tươi</b> &amp; bơ&nbsp;<script>alert(1)</script></p>')).toBe('Sữa tươi & bơ');
  });
});

describe('generated catalog', () => {
  const catalog = generateCatalog();

  it('has at least 5,000 Vietnamese products across MM departments, the same on every run', () => {
    expect(catalog.products.length).toBeGreaterThanOrEqual(5000);
    expect(new Set(catalog.products.map((product) => product.sku)).size).toBe(catalog.products.length);
    const departments = catalog.root.children.map((category) => category.name);
    expect(departments).toEqual(
      expect.arrayContaining([
        'Thực phẩm tươi sống',
        'Sữa & sản phẩm từ sữa',
        'Đồ uống',
        'Thực phẩm khô',
        'Thực phẩm đông lạnh',
        'Hóa phẩm & gia dụng',
        'Chăm sóc cá nhân',
      ]),
    );
    expect(
      catalog.products.filter((product) => /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i.test(product.name)).length,
    ).toBeGreaterThan(4000);
    expect(generateCatalog().products.slice(0, 50)).toEqual(catalog.products.slice(0, 50));
  });

  it('has VND prices, discounts, stock and the units staff use', () => {
    for (const product of catalog.products) {
      expect(Number.isInteger(product.regularPrice) && Number.isInteger(product.finalPrice)).toBe(true);
      expect(product.finalPrice).toBeLessThanOrEqual(product.regularPrice);
    }
    const discounted = catalog.products.filter((product) => product.finalPrice < product.regularPrice).length;
    const outOfStock = catalog.products.filter((product) => product.salableQty === 0).length;
    expect(discounted).toBeGreaterThan(500);
    expect(outOfStock).toBeGreaterThan(100);
    const units = new Set(catalog.products.map((product) => product.unit));
    for (const unit of ['chai 1L', 'thùng 24 lon', 'túi 2kg']) expect(units).toContain(unit);
  });
});
