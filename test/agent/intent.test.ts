import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/main/agent/language';
import { parseIntent, type Intent } from '../../src/main/agent/offline/intent';

const cases: [string, Intent][] = [
  ['tìm sữa tươi', { kind: 'search', query: 'sữa tươi' }],
  ['tim sua tuoi', { kind: 'search', query: 'sua tuoi' }],
  ['Tìm sữa tươi Vinamilk không đường nhé', { kind: 'search', query: 'sữa tươi Vinamilk không đường' }],
  ['có bia Tiger không?', { kind: 'search', query: 'bia Tiger' }],
  ['dầu ăn Neptune giá bao nhiêu?', { kind: 'search', query: 'dầu ăn Neptune' }],
  ['gạo ST25', { kind: 'search', query: 'gạo ST25' }],
  ['find beer', { kind: 'search', query: 'beer' }],
  ['how much is Neptune cooking oil?', { kind: 'search', query: 'Neptune cooking oil' }],
  ['thêm 2 hộp sữa tươi TH true MILK vào giỏ', { kind: 'add', query: 'hộp sữa tươi TH true MILK', quantity: 2 }],
  ['them 2 hop sua tuoi vao gio hang', { kind: 'add', query: 'hop sua tuoi', quantity: 2 }],
  ['thêm một thùng bia Tiger', { kind: 'add', query: 'thùng bia Tiger', quantity: 1 }],
  ['bỏ 2 gói mì Hảo Hảo vào giỏ', { kind: 'add', query: 'gói mì Hảo Hảo', quantity: 2 }],
  ['add 3 bottles of fish sauce to the cart', { kind: 'add', query: 'bottles of fish sauce', quantity: 3 }],
  ['đổi số lượng sữa tươi thành 3', { kind: 'update', query: 'sữa tươi', quantity: 3 }],
  ['doi so luong sua tuoi thanh 3', { kind: 'update', query: 'sua tuoi', quantity: 3 }],
  ['change milk to 5', { kind: 'update', query: 'milk', quantity: 5 }],
  ['xóa sữa tươi khỏi giỏ', { kind: 'remove', query: 'sữa tươi' }],
  ['xoa sua tuoi khoi gio hang', { kind: 'remove', query: 'sua tuoi' }],
  ['remove fish sauce from the cart', { kind: 'remove', query: 'fish sauce' }],
  ['xem giỏ hàng', { kind: 'show_cart' }],
  ['xem gio hang', { kind: 'show_cart' }],
  ['giỏ hàng', { kind: 'show_cart' }],
  ['show cart', { kind: 'show_cart' }],
  ['chi tiết nước mắm Nam Ngư', { kind: 'details', query: 'nước mắm Nam Ngư' }],
  ['show details of ST25 rice', { kind: 'details', query: 'ST25 rice' }],
  ['so sánh nước mắm Nam Ngư và Chinsu', { kind: 'compare', first: 'nước mắm Nam Ngư', second: 'Chinsu' }],
  ['nhớ rằng khách thích sữa không đường', { kind: 'remember', fact: 'khách thích sữa không đường' }],
  ['nho rang khach thich sua khong duong', { kind: 'remember', fact: 'khach thich sua khong duong' }],
  ['remember that the customer prefers brown rice', { kind: 'remember', fact: 'customer prefers brown rice' }],
  ['khách thích gì?', { kind: 'recall', topic: '' }],
  ['bạn nhớ gì về khách', { kind: 'recall', topic: '' }],
  ['what do you know about this customer', { kind: 'recall', topic: '' }],
  ['khách thích cà phê gì?', { kind: 'recall', topic: 'cà phê' }],
  ['quên sở thích sữa', { kind: 'forget', topic: 'sở thích sữa' }],
  ['forget the milk preference', { kind: 'forget', topic: 'milk preference' }],
  ['gợi ý nguyên liệu nấu phở bò cho khách', { kind: 'ingredients', dish: 'phở bò' }],
  ['ingredients for canh chua', { kind: 'ingredients', dish: 'canh chua' }],
  ['nấu bò kho cần mua gì?', { kind: 'ingredients', dish: 'bò kho' }],
  ['xin chào', { kind: 'greet' }],
  ['hello', { kind: 'greet' }],
  ['hôm nay trời đẹp quá nhỉ, bạn nghĩ sao về thời tiết?', { kind: 'unknown' }],
];

describe('offline intent parsing (Vietnamese with and without accents, English)', () => {
  it.each(cases)('%s', (message, intent) => {
    expect(parseIntent(message)).toEqual(intent);
  });

  it("keeps the staff member's spelling in what it extracts", () => {
    expect(parseIntent('TÌM Sữa Tươi   Vinamilk')).toEqual({ kind: 'search', query: 'Sữa Tươi Vinamilk' });
  });

  it('detects the language of a message, falling back to the settings', () => {
    expect(detectLanguage('tìm sữa tươi', 'en')).toBe('vi');
    expect(detectLanguage('tim sua tuoi cho khach', 'en')).toBe('vi');
    expect(detectLanguage('add 2 boxes of milk to the cart', 'vi')).toBe('en');
    expect(detectLanguage('ST25', 'en')).toBe('en');
    expect(detectLanguage('ST25', 'vi')).toBe('vi');
  });
});
