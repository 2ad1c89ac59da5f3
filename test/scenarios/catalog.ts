/**
 * The scripted scenarios, Vietnamese and English. Each runs against the offline planner and, when
 * a turn has a `gemini` script, against the Gemini stand-in through the real SDK. The store is the
 * stand-in Magento store; memory is the real service on a real SQLite file.
 */
import { expect } from 'vitest';
import { AGENT_NAMES } from '../../src/main/agent/agents';
import { firstSku, g, lastResponse, lineId, packSku, scenario, type Scenario } from './script';

const A = 'kh-a';
const B = 'kh-b';
const PRODUCT = AGENT_NAMES.product;
const CART = AGENT_NAMES.cart;
const memoryTools = ['memorize', 'memorize_list', 'get_memory', 'forget', 'search_memory'];

const searchFlow = (query: string, answer: string) => [
  g.transfer(PRODUCT, { tools: [...memoryTools, 'transfer_to_agent'], noTools: ['search_products', 'add_to_cart'] }),
  g.call(
    'search_products',
    { query },
    { tools: ['search_products', 'get_product_details', 'compare_products', 'find_ingredients'], noTools: memoryTools },
  ),
  g.answer(answer, { functionResponse: 'search_products', contentsExclude: ['<p>', '<div', '<br', 'graphql'] }),
];

const addFlow = (query: string, quantity: number) => [
  g.transfer(CART),
  g.call('search_products', { query, limit: 3 }, { tools: ['add_to_cart', 'get_cart', 'update_cart_item', 'remove_cart_item', 'create_cart'] }),
  g.callFrom('add_to_cart', (body) => ({ sku: firstSku(body), quantity }), { functionResponse: 'search_products' }),
  g.answer(`Đã thêm ${quantity} sản phẩm.`, { functionResponse: 'add_to_cart' }),
];

const cartChangeFlow = (name: string, change: 'update' | 'remove', quantity = 0) => [
  g.transfer(CART),
  g.call('get_cart', {}),
  g.callFrom(change === 'update' ? 'update_cart_item' : 'remove_cart_item', (body) =>
    change === 'update' ? { item_id: lineId(body, name), quantity } : { item_id: lineId(body, name) },
  ),
  g.answer('Đã cập nhật giỏ hàng.', { functionResponse: change === 'update' ? 'update_cart_item' : 'remove_cart_item' }),
];

/** The model's side of "add N packs": search with the pack words, add the first product of that pack, with the pack. */
function packAddFlow(query: string, quantity: number, pack: string) {
  return [
    g.transfer(CART),
    g.call('search_products', { query, limit: 5 }),
    g.callFrom('add_to_cart', (body) => ({ sku: packSku(body), quantity, pack }), { functionResponse: 'search_products' }),
    g.answer(`Đã thêm ${quantity} ${pack}.`, { functionResponse: 'add_to_cart' }),
  ];
}

async function cartLines(
  h: { commerce: { getCart(input: { customerId: string }): Promise<{ cart: { lines: { name: string; quantity: number }[] } }> } },
  customerId: string,
) {
  const { cart } = await h.commerce.getCart({ customerId });
  return cart.lines.map((line) => ({ name: line.name, quantity: line.quantity }));
}

async function cartQuantity(
  h: { commerce: { getCart(input: { customerId: string }): Promise<{ cart: { lines: { sku: string; name: string; quantity: number }[] } }> } },
  customerId: string,
  nameIncludes: string,
): Promise<number> {
  const { cart } = await h.commerce.getCart({ customerId });
  return cart.lines.filter((line) => line.name.toLowerCase().includes(nameIncludes.toLowerCase())).reduce((sum, line) => sum + line.quantity, 0);
}

export const scenarios: Scenario[] = [
  // ---- search ----
  scenario('vi: search with accents', 'vi', [
    {
      say: 'tìm sữa tươi',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: [/Tìm thấy \d+ sản phẩm cho "sữa tươi"/, 'Sữa tươi', '₫', 'còn hàng'] },
      gemini: searchFlow('sữa tươi', 'Có 184 sản phẩm sữa tươi.'),
    },
  ]),
  scenario('vi: search without accents finds the same products', 'vi', [
    {
      say: 'tim sua tuoi',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['Sữa tươi thanh trùng Nutifood', '(tìm theo "sữa tươi")'] },
      gemini: searchFlow('sua tuoi', 'Có sữa tươi.'),
    },
  ]),
  scenario('vi: product name without a verb', 'vi', [
    {
      say: 'gạo ST25',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['Gạo ST25'] },
      gemini: searchFlow('gạo ST25', 'Có gạo ST25.'),
    },
  ]),
  scenario('vi: price question', 'vi', [
    {
      say: 'dầu ăn Neptune giá bao nhiêu?',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['Dầu ăn Neptune', 'hết hàng'] },
      gemini: searchFlow('dầu ăn Neptune', 'Dầu ăn Neptune 2L giá 124.500 ₫.'),
    },
  ]),
  scenario('en: search answers in English', 'en', [
    {
      say: 'find Heineken beer',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['Found', 'Bia Heineken', 'in stock'], notText: ['Tìm thấy'] },
      gemini: searchFlow('Heineken beer', 'Heineken is in stock.'),
    },
  ]),
  scenario('vi: empty results say what was tried, in words', 'vi', [
    {
      say: 'tìm xyzabc123',
      expect: {
        tools: ['transfer_to_agent', 'search_products'],
        text: ['Không tìm thấy', 'Đã thử: “xyzabc123”', 'tên sản phẩm có “xyzabc123”'],
        notText: ['~', 'name_match'],
      },
      gemini: searchFlow('xyzabc123', 'Không tìm thấy; đã thử xyzabc123.'),
    },
  ]),
  scenario('en: empty results say what was tried and offer alternatives', 'en', [
    {
      say: 'find unicorn steak',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['No products found', 'Tried', 'unicorn', 'Try other words'] },
      gemini: searchFlow('unicorn steak', 'Nothing found; tried unicorn steak.'),
    },
  ]),
  scenario('vi: product details', 'vi', [
    {
      say: 'chi tiết nước mắm Nam Ngư',
      expect: {
        tools: ['transfer_to_agent', 'search_products', 'get_product_details'],
        text: ['Chi tiết sản phẩm', 'Nước mắm Nam Ngư'],
        notText: ['<p>', 'http'],
      },
      gemini: [
        g.transfer(PRODUCT),
        g.call('search_products', { query: 'nước mắm Nam Ngư', limit: 1 }),
        g.callFrom('get_product_details', (body) => ({ sku: firstSku(body) })),
        g.answer('Nước mắm Nam Ngư chai 750ml.', { functionResponse: 'get_product_details', contentsExclude: ['<p>', '<br'] }),
      ],
    },
  ]),
  scenario('en: product details', 'en', [
    {
      say: 'show details of ST25 rice',
      expect: { tools: ['transfer_to_agent', 'search_products', 'get_product_details'], text: ['Product details', 'Gạo ST25'] },
      gemini: [
        g.transfer(PRODUCT),
        g.call('search_products', { query: 'ST25 rice', limit: 1 }),
        g.callFrom('get_product_details', (body) => ({ sku: firstSku(body) })),
        g.answer('ST25 rice, 10 kg.'),
      ],
    },
  ]),
  scenario('vi: compare two products', 'vi', [
    {
      say: 'so sánh bia Tiger và bia Heineken',
      expect: { tools: ['transfer_to_agent', 'search_products', 'search_products', 'compare_products'], text: ['So sánh', 'Tiger', 'Heineken'] },
      gemini: [
        g.transfer(PRODUCT),
        g.call('search_products', { query: 'bia Tiger', limit: 1 }),
        g.call('search_products', { query: 'bia Heineken', limit: 1 }),
        g.callFrom('compare_products', () => ({ skus: ['112586', '112803'] })),
        g.answer('Tiger rẻ hơn Heineken.', { functionResponse: 'compare_products' }),
      ],
    },
  ]),
  scenario('vi: ingredients for a dish', 'vi', [
    {
      say: 'gợi ý nguyên liệu nấu phở bò cho khách',
      expect: { tools: ['transfer_to_agent', 'find_ingredients'], text: ['Nguyên liệu gợi ý cho phở bò', 'thịt bò: Thịt bò', 'nước mắm: Nước mắm'] },
      gemini: [
        g.transfer(PRODUCT),
        g.call('find_ingredients', { dish: 'phở bò', ingredients: ['thịt bò', 'hành tây', 'nước mắm'] }, { tools: ['find_ingredients'] }),
        g.answer('Nguyên liệu: thịt bò, hành tây, nước mắm.', { functionResponse: 'find_ingredients', contentsInclude: ['Thịt bò'] }),
      ],
    },
  ]),
  // ---- cart ----
  scenario('vi: add to cart', 'vi', [
    {
      say: 'thêm 2 hộp sữa tươi vào giỏ',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Đã thêm 2 ×', 'Giỏ hàng hiện tại', 'Tổng: 2 sản phẩm'] },
      gemini: addFlow('sữa tươi', 2),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'sữa tươi')).toBe(2) },
  ]),
  scenario('vi: add without accents', 'vi', [
    {
      say: 'them 3 hop sua tuoi khong duong vao gio hang',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Đã thêm 3 ×', 'không đường'] },
      gemini: addFlow('sua tuoi khong duong', 3),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'không đường')).toBe(3) },
  ]),
  scenario('en: add to cart', 'en', [
    {
      say: 'add 2 cans of Tiger beer to the cart',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Added 2 ×', 'Tiger', 'Total: 2 items'] },
      gemini: addFlow('Tiger beer', 2),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'tiger')).toBe(2) },
  ]),
  scenario('vi: change a quantity', 'vi', [
    { say: 'thêm 2 hộp sữa tươi', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('sữa tươi', 2) },
    {
      say: 'đổi số lượng sữa tươi thành 5',
      expect: { tools: ['transfer_to_agent', 'get_cart', 'update_cart_item'], text: ['Đã đổi số lượng', 'thành 5'] },
      gemini: cartChangeFlow('sữa tươi', 'update', 5),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'sữa tươi')).toBe(5) },
  ]),
  scenario('en: change a quantity', 'en', [
    { say: 'add 1 Tiger beer', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('Tiger beer', 1) },
    {
      say: 'change tiger to 4',
      expect: { tools: ['transfer_to_agent', 'get_cart', 'update_cart_item'], text: ['Changed the quantity', 'to 4'] },
      gemini: cartChangeFlow('tiger', 'update', 4),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'tiger')).toBe(4) },
  ]),
  scenario('vi: remove from the cart', 'vi', [
    {
      say: 'thêm 1 chai nước mắm Nam Ngư',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] },
      gemini: addFlow('nước mắm Nam Ngư', 1),
    },
    {
      say: 'xóa nước mắm khỏi giỏ',
      expect: { tools: ['transfer_to_agent', 'get_cart', 'remove_cart_item'], text: ['Đã xóa', 'Giỏ hàng đang trống'] },
      gemini: cartChangeFlow('nước mắm', 'remove'),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'nước mắm')).toBe(0) },
  ]),
  scenario('en: remove from the cart', 'en', [
    { say: 'add 2 Heineken beer', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('Heineken beer', 2) },
    {
      say: 'remove heineken from the cart',
      expect: { tools: ['transfer_to_agent', 'get_cart', 'remove_cart_item'], text: ['Removed', 'The cart is empty'] },
      gemini: cartChangeFlow('heineken', 'remove'),
    },
    { act: async (h) => expect(await cartQuantity(h, A, 'heineken')).toBe(0) },
  ]),
  scenario('vi: show an empty cart', 'vi', [
    {
      say: 'xem giỏ hàng',
      expect: { tools: ['transfer_to_agent', 'get_cart'], text: ['Giỏ hàng đang trống'] },
      gemini: [g.transfer(CART), g.call('get_cart', {}), g.answer('Giỏ hàng trống.', { functionResponse: 'get_cart' })],
    },
  ]),
  scenario('en: show the cart after adding', 'en', [
    { say: 'add 3 Tiger beer', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('Tiger beer', 3) },
    {
      say: 'show cart',
      expect: { tools: ['transfer_to_agent', 'get_cart'], text: ['Current cart', '3 × Bia Tiger'] },
      gemini: [g.transfer(CART), g.call('get_cart', {}), g.answer('3 Tiger.', { functionResponse: 'get_cart', contentsInclude: ['Tiger'] })],
    },
  ]),
  scenario('vi: adding something the store does not have adds nothing', 'vi', [
    {
      say: 'thêm 1 hộp xyzabc123',
      expect: { tools: ['transfer_to_agent', 'search_products'], text: ['Không tìm thấy'] },
      gemini: [g.transfer(CART), g.call('search_products', { query: 'xyzabc123' }), g.answer('Không có sản phẩm này.')],
    },
    { act: async (h) => expect((await h.commerce.getCart({ customerId: A })).cart.lines).toEqual([]) },
  ]),
  scenario('vi: changing a line that is not in the cart', 'vi', [
    {
      say: 'đổi số lượng bia thành 2',
      expect: { tools: ['transfer_to_agent', 'get_cart'], text: ['Không thấy "bia" trong giỏ hàng'] },
      gemini: [g.transfer(CART), g.call('get_cart', {}), g.answer('Giỏ không có bia.')],
    },
  ]),
  scenario(
    'vi: no double add when the model repeats add_to_cart',
    'vi',
    [
      {
        say: 'thêm 2 hộp sữa tươi',
        expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart', 'add_to_cart'] },
        gemini: [
          g.transfer(CART),
          g.call('search_products', { query: 'sữa tươi', limit: 1 }),
          g.callFrom('add_to_cart', (body) => ({ sku: firstSku(body), quantity: 2 })),
          g.callFrom('add_to_cart', () => ({ sku: '106286', quantity: 2 })),
          {
            reply: (body) => {
              expect(lastResponse(body)).toMatchObject({ alreadyAdded: true });
              return { text: 'Đã thêm 2 hộp.' };
            },
          },
        ],
      },
      { act: async (h) => expect(await cartQuantity(h, A, 'sữa tươi')).toBe(2) },
    ],
    ['gemini'],
  ),
  scenario('vi: carts are per customer', 'vi', [
    { say: 'thêm 2 hộp sữa tươi', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('sữa tươi', 2) },
    {
      say: 'xem giỏ hàng',
      user: B,
      expect: { tools: ['transfer_to_agent', 'get_cart'], text: ['Giỏ hàng đang trống'] },
      gemini: [g.transfer(CART), g.call('get_cart', {}), g.answer('Trống.', { functionResponse: 'get_cart', contentsExclude: ['Sữa tươi'] })],
    },
  ]),
  // ---- packs: the pack asked for, or nothing and the closest alternatives ----
  scenario('vi: "thêm 1 thùng bia tiger" adds the case of 24, not a can', 'vi', [
    {
      say: 'thêm 1 thùng bia tiger',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Đã thêm 1 ×', 'thùng 24 lon'], notText: ['lon 330ml'] },
      gemini: packAddFlow('thùng bia tiger', 1, 'thùng'),
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([{ name: expect.stringMatching(/Tiger.* thùng 24 lon$/) as string, quantity: 1 }]) },
  ]),
  scenario('vi: "1 lốc 6" without accents adds one six-pack', 'vi', [
    {
      say: 'them 1 loc 6 bia heineken',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Đã thêm 1 ×', 'lốc 6 lon'] },
      gemini: packAddFlow('loc 6 bia heineken', 1, 'lốc 6'),
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([{ name: expect.stringMatching(/Heineken.* lốc 6 lon$/) as string, quantity: 1 }]) },
  ]),
  scenario('vi: a case out of stock is said so with alternatives, and nothing is added', 'vi', [
    { act: (h) => void h.store.setStock((product) => /Tiger bạc thùng 24 lon$/.test(product.name), 0) },
    {
      say: 'thêm 2 thùng bia tiger bạc',
      expect: {
        tools: ['transfer_to_agent', 'search_products', 'add_to_cart'],
        text: ['đang hết hàng, nên chưa thêm vào giỏ', 'Lựa chọn gần nhất còn hàng:', 'thùng 24 lon'],
        notText: ['Đã thêm'],
      },
      gemini: [
        ...packAddFlow('thùng bia tiger bạc', 2, 'thùng').slice(0, 3),
        g.answer('Thùng bia Tiger bạc đang hết hàng; có thể lấy thùng Tiger khác.', {
          functionResponse: 'add_to_cart',
          contentsInclude: ['"reason":"out_of_stock"', 'alternatives'],
        }),
      ],
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([]) },
  ]),
  scenario('vi: a pack the store does not sell is said so, nothing is added', 'vi', [
    {
      say: 'thêm 1 thùng nước mắm nam ngư',
      expect: {
        tools: ['transfer_to_agent', 'search_products'],
        text: ['Cửa hàng không có loại “thùng” cho “nước mắm nam ngư”', 'Lựa chọn gần nhất còn hàng:', 'Nước mắm Nam Ngư'],
        notText: ['Đã thêm'],
      },
      gemini: [
        g.transfer(CART),
        g.call('search_products', { query: 'thùng nước mắm Nam Ngư', limit: 5 }),
        g.answer('Nam Ngư không có thùng; có chai 500ml và 750ml.', {
          functionResponse: 'search_products',
          contentsInclude: ['"pack":"thùng"', '"packMatch":false'],
        }),
      ],
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([]) },
  ]),
  scenario('en: "2 cases of Tiger beer" adds two cases', 'en', [
    {
      say: 'add 2 cases of Tiger beer',
      expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'], text: ['Added 2 ×', 'thùng 24 lon'], notText: ['lon 330ml'] },
      gemini: packAddFlow('case of Tiger beer', 2, 'case'),
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([{ name: expect.stringMatching(/Tiger.* thùng 24 lon$/) as string, quantity: 2 }]) },
  ]),
  scenario('en: a six-pack out of stock is said so with alternatives, nothing added', 'en', [
    { act: (h) => void h.store.setStock((product) => /Heineken.* lốc 6 lon$/.test(product.name), 0) },
    {
      say: 'add a six-pack of Heineken',
      expect: {
        tools: ['transfer_to_agent', 'search_products', 'add_to_cart'],
        text: ['is out of stock, so it was not added', 'Closest alternatives in stock:', 'Heineken'],
        notText: ['Added'],
      },
      gemini: [
        ...packAddFlow('six-pack Heineken', 1, 'six-pack').slice(0, 3),
        g.answer('The Heineken six-packs are sold out; a can or a case is in stock.', {
          functionResponse: 'add_to_cart',
          contentsInclude: ['"reason":"out_of_stock"'],
        }),
      ],
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([]) },
  ]),
  scenario('en: a pack the store does not sell is said so, nothing is added', 'en', [
    {
      say: 'add 1 case of Nam Ngu fish sauce',
      expect: {
        tools: ['transfer_to_agent', 'search_products'],
        text: ['The store has no “thùng” of', 'Closest alternatives in stock:'],
        notText: ['Added'],
      },
      gemini: [
        g.transfer(CART),
        g.call('search_products', { query: 'case of Nam Ngu fish sauce', limit: 5 }),
        g.answer('Nam Ngư fish sauce comes in bottles, not cases.', { functionResponse: 'search_products', contentsInclude: ['"pack":"thùng"'] }),
      ],
    },
    { act: async (h) => expect(await cartLines(h, A)).toEqual([]) },
  ]),
  scenario(
    'vi: the model picks a can for "thùng" and the cart tool refuses it, offering the cases',
    'vi',
    [
      {
        say: 'thêm 1 thùng bia tiger',
        expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] },
        gemini: [
          g.transfer(CART),
          g.call('search_products', { query: 'bia tiger', limit: 10 }),
          g.callFrom('add_to_cart', (body) => ({ sku: firstSku(body), quantity: 1, pack: 'thùng' })),
          {
            reply: (body) => {
              expect(lastResponse(body)).toMatchObject({ added: null, notAdded: { reason: 'other_pack', requestedPack: 'thùng' } });
              const alternatives = lastResponse(body).alternatives as { name: string }[];
              expect(alternatives.length).toBeGreaterThan(0);
              expect(alternatives.every((product) => product.name.endsWith('thùng 24 lon'))).toBe(true);
              return { text: 'Đó là lon lẻ; chọn thùng nào?' };
            },
          },
        ],
      },
      { act: async (h) => expect(await cartLines(h, A)).toEqual([]) },
    ],
    ['gemini'],
  ),
  // ---- memory ----
  scenario('vi: remember and recall in the same session', 'vi', [
    {
      say: 'nhớ rằng khách thích sữa không đường',
      expect: { tools: ['memorize'], text: ['Đã ghi nhớ', 'sữa không đường'] },
      gemini: [
        g.call('memorize', { key: 'so_thich_sua', value: 'khách thích sữa không đường' }, { tools: memoryTools }),
        g.answer('Đã ghi nhớ.', { functionResponse: 'memorize' }),
      ],
    },
    {
      say: 'khách thích gì?',
      expect: { tools: [], text: ['sữa không đường'] },
      gemini: [g.answer('Khách thích sữa không đường.', { systemIncludes: ['khách thích sữa không đường'] })],
    },
  ]),
  scenario('vi: remember without accents', 'vi', [
    {
      say: 'nho rang khach thich gao ST25',
      expect: { tools: ['memorize'], text: ['khach thich gao ST25'] },
      gemini: [g.call('memorize', { key: 'gao', value: 'khach thich gao ST25' }), g.answer('Da ghi nho.')],
    },
    {
      say: 'khach thich gao gi?',
      expect: { tools: ['search_memory'], text: ['gao ST25'] },
      gemini: [g.call('search_memory', { query: 'gao' }), g.answer('Gạo ST25.', { functionResponse: 'search_memory', contentsInclude: ['ST25'] })],
    },
  ]),
  scenario('en: remember in one session, recall in the next', 'en', [
    {
      say: 'remember that the customer prefers brown rice',
      expect: { tools: ['memorize'], text: ['Remembered for this customer', 'brown rice'] },
      gemini: [g.call('memorize', { key: 'rice', value: 'prefers brown rice' }), g.answer('Noted.')],
    },
    {
      say: 'what do you know about this customer?',
      session: 's2',
      expect: { tools: [], text: ['brown rice'] },
      gemini: [g.answer('They prefer brown rice.', { systemIncludes: ['brown rice'], maxContents: 1 })],
    },
  ]),
  scenario('vi: a preference survives a restart (served from the warm tier) and shapes the next search', 'vi', [
    {
      say: 'nhớ rằng khách thích sữa tươi không đường',
      expect: { tools: ['memorize'] },
      gemini: [g.call('memorize', { key: 'sua', value: 'khách thích sữa tươi không đường' }), g.answer('Đã nhớ.')],
    },
    {
      act: async (h) => {
        await h.restartMemory();
        const entry = h.memory.memory.getMemory({ userId: A }, h.mode === 'offline' ? 'note:khach-thich-sua-tuoi-khong-duong' : 'sua');
        expect(entry.tier).toBe('warm');
      },
    },
    {
      say: 'tìm sữa tươi',
      session: 's2',
      expect: { tools: ['transfer_to_agent', 'search_products'] },
      gemini: [
        g.transfer(PRODUCT, { systemIncludes: ['sữa tươi không đường'] }),
        g.call('search_products', { query: 'sữa tươi không đường' }, { systemIncludes: ['sữa tươi không đường'] }),
        g.answer('Sữa tươi không đường.'),
      ],
    },
    {
      say: 'khách thích gì',
      session: 's3',
      expect: { text: ['sữa tươi không đường'] },
      gemini: [g.answer('Sữa tươi không đường.', { systemIncludes: ['sữa tươi không đường'] })],
    },
  ]),
  scenario('vi: after summarization the next session gets the summary', 'vi', [
    {
      say: 'nhớ rằng khách hay mua thùng bia Tiger',
      expect: { tools: ['memorize'] },
      gemini: [g.call('memorize', { key: 'bia', value: 'khách hay mua thùng bia Tiger' }), g.answer('Đã nhớ.')],
    },
    { say: 'thêm 1 thùng bia Tiger', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('bia Tiger', 1) },
    {
      act: async (h) => {
        h.memory.sessions.closeSession({ userId: A, sessionId: 's1' });
        h.clock.advanceTo(h.clock.now() + 8 * 24 * 3600_000);
        const report = await h.memory.scheduler.run('summarize', 'manual');
        expect(report.summarized).toBeGreaterThan(0);
        expect(h.memory.memory.latestSummary(A)).not.toBeNull();
      },
    },
    {
      say: 'khách thích gì?',
      session: 's2',
      expect: { text: ['bia Tiger'] },
      gemini: [g.answer('Khách hay mua bia Tiger.', { systemIncludes: ['Tóm tắt các lần trò chuyện trước', 'bia Tiger'] })],
    },
  ]),
  scenario('vi: forget', 'vi', [
    {
      say: 'nhớ rằng khách thích sữa không đường',
      expect: { tools: ['memorize'] },
      gemini: [g.call('memorize', { key: 'note:khach-thich-sua-khong-duong', value: 'khách thích sữa không đường' }), g.answer('Đã nhớ.')],
    },
    {
      say: 'quên sở thích sữa',
      expect: { tools: ['search_memory', 'forget'], text: ['Đã quên'] },
      gemini: [
        g.call('search_memory', { query: 'sữa' }),
        g.callFrom('forget', (body) => ({
          key: (lastResponse(body).hits as { kind: string; key: string }[]).find((hit) => hit.kind === 'memory')!.key,
        })),
        g.answer('Đã quên.', { functionResponse: 'forget' }),
      ],
    },
    {
      say: 'khách thích gì?',
      session: 's2',
      expect: { text: ['Chưa ghi nhớ điều gì'], notText: ['sữa không đường'] },
      gemini: [g.answer('Chưa có.', { systemExcludes: ['sữa không đường'] })],
    },
  ]),
  scenario('en: forget', 'en', [
    {
      say: 'remember that the customer is allergic to peanuts',
      expect: { tools: ['memorize'] },
      gemini: [g.call('memorize', { key: 'note:customer-is-allergic-to-peanuts', value: 'customer is allergic to peanuts' }), g.answer('Noted.')],
    },
    {
      say: 'forget the peanuts',
      expect: { tools: ['search_memory', 'forget'], text: ['Forgotten', 'peanuts'] },
      gemini: [
        g.call('search_memory', { query: 'peanuts' }),
        g.call('forget', { key: 'note:customer-is-allergic-to-peanuts' }),
        g.answer('Forgotten.', { functionResponse: 'forget' }),
      ],
    },
    { act: (h) => expect(h.memory.memory.searchMemory({ userId: A }, 'peanuts').filter((hit) => hit.kind === 'memory')).toEqual([]) },
  ]),
  scenario("vi: customer A's memory never reaches customer B", 'vi', [
    {
      say: 'nhớ rằng khách thích cà phê Trung Nguyên',
      expect: { tools: ['memorize'] },
      gemini: [g.call('memorize', { key: 'ca_phe', value: 'khách thích cà phê Trung Nguyên' }), g.answer('Đã nhớ.')],
    },
    {
      say: 'khách thích gì?',
      user: B,
      expect: { text: ['Chưa ghi nhớ điều gì'], notText: ['Trung Nguyên'] },
      gemini: [g.answer('Chưa có gì.', { systemExcludes: ['Trung Nguyên'], contentsExclude: ['Trung Nguyên'] })],
    },
    {
      say: 'khách thích cà phê gì?',
      user: B,
      expect: { tools: ['search_memory'], notText: ['Trung Nguyên'] },
      gemini: [
        g.call('search_memory', { query: 'cà phê' }),
        { reply: (body) => ({ text: JSON.stringify(lastResponse(body)).includes('Trung') ? 'LEAK Trung Nguyên' : 'Chưa có.' }) },
      ],
    },
    { act: (h) => expect(JSON.stringify(h.memory.memory.searchMemory({ userId: B }, 'Trung Nguyên'))).not.toContain('Trung') },
  ]),
  scenario(
    'en: a model cannot pick another customer by argument',
    'en',
    [
      {
        say: 'remember that the customer likes green tea',
        user: B,
        expect: { tools: ['memorize'] },
        gemini: [g.call('memorize', { key: 'tea', value: 'likes green tea' }), g.answer('Noted.')],
      },
      {
        say: 'what does customer kh-b like?',
        expect: { toolsOk: false },
        gemini: [
          g.call('search_memory', { query: 'tea', userId: B }),
          { reply: (body) => ({ text: JSON.stringify(lastResponse(body)).includes('green tea') ? 'LEAK' : 'Not allowed.' }) },
        ],
      },
    ],
    ['gemini'],
  ),
  // ---- cancel, errors, limits ----
  scenario(
    'vi: cancel while the model is answering',
    'vi',
    [
      {
        say: 'tìm sữa tươi',
        cancelOn: 'text',
        expect: { status: 'cancelled', error: 'cancelled' },
        gemini: [{ reply: { text: 'Đang tìm', hang: true } }],
      },
    ],
    ['gemini'],
  ),
  scenario('vi: cancel while a store call is pending', 'vi', [
    { act: (h) => h.store.setFaults({ latencyMs: 30_000 }) },
    {
      say: 'tìm nước suối Lavie',
      cancelOn: 'search_products',
      expect: { status: 'cancelled', error: 'cancelled' },
      gemini: [g.transfer(PRODUCT), g.call('search_products', { query: 'nước suối Lavie' })],
    },
    { act: (h) => h.store.setFaults({}) },
  ]),
  scenario('vi: store down', 'vi', [
    { act: (h) => h.store.setFaults({ maintenance: true }) },
    {
      say: 'tìm bánh quy bơ Danisa',
      expect: {
        tools: ['transfer_to_agent', 'search_products'],
        toolsOk: false,
        text: ['Không thực hiện được', 'Cửa hàng đang bảo trì'],
        notText: ['maintenance'],
      },
      gemini: [
        g.transfer(PRODUCT),
        g.call('search_products', { query: 'bánh quy bơ Danisa' }),
        g.answer('Cửa hàng đang bảo trì, thử lại sau.', {
          functionResponse: 'search_products',
          contentsInclude: ['store_unavailable'],
          contentsExclude: ['<html', '<!doctype'],
        }),
      ],
    },
  ]),
  scenario('en: store down while adding', 'en', [
    { act: (h) => h.store.setFaults({ maintenance: true }) },
    {
      say: 'add 2 Omachi noodles',
      expect: { tools: ['transfer_to_agent', 'search_products'], toolsOk: false, text: ['Could not do that', 'The store is under maintenance'] },
      gemini: [
        g.transfer(CART),
        g.call('search_products', { query: 'Omachi noodles' }),
        g.answer('The store is down.', { functionResponse: 'search_products' }),
      ],
    },
    { act: (h) => h.store.setFaults({}) },
  ]),
  scenario('en: ingredients for a dish the offline planner does not know', 'en', [
    {
      say: 'what ingredients for banh xeo?',
      expect: { text: ['Offline mode knows the ingredients of a few dishes only'] },
      gemini: [
        g.transfer(PRODUCT),
        g.call('find_ingredients', { dish: 'bánh xèo', ingredients: ['bột gạo', 'tôm thẻ'] }),
        g.answer('Bột gạo, tôm.', { functionResponse: 'find_ingredients' }),
      ],
    },
  ]),
  scenario('vi: greeting', 'vi', [
    {
      say: 'xin chào',
      expect: { tools: [], text: ['Xin chào'] },
      gemini: [g.answer('Xin chào!', { tools: memoryTools, systemIncludes: ['MM Mega Market', 'tiếng Việt'] })],
    },
  ]),
  scenario('en: greeting gets an English instruction', 'en', [
    { say: 'hello', expect: { tools: [], text: ['Hello'] }, gemini: [g.answer('Hello!', { systemIncludes: ['Answer in English'] })] },
  ]),
  scenario(
    'vi: a request offline mode does not know gets the help text',
    'vi',
    [{ say: 'hôm nay trời đẹp quá nhỉ, bạn nghĩ sao về thời tiết?', expect: { tools: [], text: ['Chế độ ngoại tuyến hiểu'] } }],
    ['offline'],
  ),
  scenario(
    'vi: malformed arguments become a tool error the model reads',
    'vi',
    [
      {
        say: 'tìm sữa chua',
        expect: { tools: ['transfer_to_agent', 'search_products', 'search_products'] },
        gemini: [
          g.transfer(PRODUCT),
          g.call('search_products', { query: 42, colour: 'red' }),
          g.call('search_products', { query: 'sữa chua' }, { functionResponse: 'search_products', contentsInclude: ['invalid_arguments'] }),
          g.answer('Có sữa chua.'),
        ],
      },
    ],
    ['gemini'],
  ),
  scenario(
    'en: an unknown tool becomes a tool error',
    'en',
    [
      {
        say: 'track my order',
        expect: { tools: ['track_order'], toolsOk: false },
        gemini: [g.call('track_order', { id: 1 }), g.answer('I cannot track orders.', { contentsInclude: ['unknown_tool'] })],
      },
    ],
    ['gemini'],
  ),
  scenario(
    'vi: the tool loop is bounded',
    'vi',
    [
      {
        say: 'tìm bia',
        expect: { status: 'failed', error: 'tool_error' },
        gemini: Array.from({ length: 8 }, () => g.call('search_memory', { query: 'bia' })),
      },
    ],
    ['gemini'],
  ),
  scenario(
    'vi: Gemini rate limit is a typed error',
    'vi',
    [
      {
        say: 'tìm bia',
        expect: { status: 'failed', error: 'rate_limited' },
        gemini: [{ reply: { error: { status: 429 } } }, { reply: { error: { status: 429 } } }],
      },
    ],
    ['gemini'],
  ),
  scenario(
    'vi: Gemini recovers after one 503',
    'vi',
    [{ say: 'xin chào', expect: { tools: [] }, gemini: [{ reply: { error: { status: 503 } } }, g.answer('Xin chào!')] }],
    ['gemini'],
  ),
  scenario('vi: only the last 20 events reach the model', 'vi', [
    ...Array.from({ length: 8 }, (_, index) => ({ say: `tìm bia số ${index}`, expect: {}, gemini: searchFlow(`bia ${index}`, `Kết quả ${index}.`) })),
    { say: 'xin chào', expect: { tools: [] }, gemini: [g.answer('Chào!', { maxContents: 21, contentsExclude: ['tìm bia số 0', 'tìm bia số 1"'] })] },
  ]),
  scenario('en: cart ids and store URLs never reach the model', 'en', [
    { say: 'add 1 Heineken beer', expect: { tools: ['transfer_to_agent', 'search_products', 'add_to_cart'] }, gemini: addFlow('Heineken beer', 1) },
    {
      act: (h) => {
        const sessionEvents = h.memory.sessions.getSession({ userId: A, sessionId: 's1' }).events;
        const toolResults = JSON.stringify(sessionEvents.filter((event) => event.kind === 'tool_result'));
        expect(toolResults).not.toMatch(/"id":"[A-Za-z0-9]{20,}"/);
        expect(toolResults).not.toContain('cart_id');
        expect(toolResults).not.toContain('<p>');
      },
    },
  ]),
];
