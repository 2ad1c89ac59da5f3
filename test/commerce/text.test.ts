import { describe, expect, it } from 'vitest';
import { plainText, unitFromName } from '../../src/main/commerce/shape';
import { generateCatalog } from '../../src/main/commerce/demo/catalog';
import { foldAccents } from '@shared/text';

describe('Vietnamese text and store shapes', () => {
  it('folds accents, đ and Đ included', () => {
    expect(foldAccents('Sữa tươi ĐÀ LẠT đặc biệt')).toBe('sua tuoi da lat dac biet');
    expect(foldAccents('Nước mắm Phú Quốc')).toBe('nuoc mam phu quoc');
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

  it('sells the packs staff ask for: cases, six-packs, crates, sacks and egg cards, after the generated grid', () => {
    const units = new Set(catalog.products.map((product) => product.unit));
    for (const unit of ['thùng 24 lon', 'lốc 6 lon', 'thùng 48 hộp 180ml', 'két 20 chai 450ml', 'bao 25kg', 'vỉ 10 quả', 'lốc 6 chai 500ml']) {
      expect(units).toContain(unit);
    }
    // Appended with their own seed: the first products, their SKUs and stock are as before.
    expect(catalog.products[0]).toMatchObject({ sku: '100007' });
    expect(catalog.bySku.get('112586')).toMatchObject({ name: 'Bia Tiger lon 330ml', salableQty: 29 });
  });
});
