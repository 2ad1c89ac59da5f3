import { foldAccents } from '@shared/text';

/**
 * A deterministic generated catalog in the shape of MM Mega Market's: departments, categories,
 * Vietnamese names with diacritics, brands, selling units, VND prices, discounts and stock.
 */

export interface DemoCategory {
  id: number;
  uid: string;
  name: string;
  urlKey: string;
  urlPath: string;
  parentId: number;
  children: DemoCategory[];
}

export interface DemoProduct {
  id: number;
  uid: string;
  sku: string;
  artNo: string;
  name: string;
  brand: string;
  unit: string;
  urlKey: string;
  categoryIds: number[];
  /** VND. */
  regularPrice: number;
  finalPrice: number;
  salableQty: number;
  description: string;
}

export interface DemoCatalog {
  root: DemoCategory;
  categories: Map<number, DemoCategory>;
  products: DemoProduct[];
  bySku: Map<string, DemoProduct>;
}

/** [unit, min VND, max VND] */
type UnitPrice = [string, number, number];

interface Template {
  department: string;
  category: string;
  bases: string[];
  brands: string[];
  variants: string[];
  units: UnitPrice[];
}

const t = (department: string, category: string, bases: string[], brands: string[], variants: string[], units: UnitPrice[]): Template => ({
  department,
  category,
  bases,
  brands,
  variants,
  units,
});

const FRESH = 'Thực phẩm tươi sống';
const DAIRY = 'Sữa & sản phẩm từ sữa';
const DRINKS = 'Đồ uống';
const DRY = 'Thực phẩm khô';
const FROZEN = 'Thực phẩm đông lạnh';
const HOUSEHOLD = 'Hóa phẩm & gia dụng';
const CARE = 'Chăm sóc cá nhân';
const SNACKS = 'Bánh kẹo & ăn vặt';

const templates: Template[] = [
  t(
    FRESH,
    'Thịt heo',
    ['Thịt ba rọi heo', 'Thịt nạc vai heo', 'Sườn non heo', 'Thịt đùi heo', 'Thịt heo xay'],
    ['MM', 'Meat Deli', 'CP', 'Vissan', 'Ba Huân'],
    ['', 'tươi', 'cắt lát'],
    [
      ['khay 300g', 45000, 60000],
      ['khay 500g', 75000, 99000],
      ['khay 1kg', 140000, 190000],
    ],
  ),
  t(
    FRESH,
    'Thịt bò',
    ['Thịt bò thăn', 'Bắp bò', 'Gầu bò', 'Thịt bò xay', 'Ba chỉ bò'],
    ['MM', 'Vissan', 'Úc Angus', 'Mỹ Black Angus'],
    ['', 'tươi', 'cắt lát'],
    [
      ['khay 250g', 80000, 150000],
      ['khay 500g', 150000, 290000],
    ],
  ),
  t(
    FRESH,
    'Thịt gà & trứng',
    ['Đùi gà góc tư', 'Ức gà phi lê', 'Cánh gà', 'Trứng gà', 'Trứng vịt'],
    ['CP', 'Ba Huân', 'Dabaco', 'MM'],
    ['', 'tươi', 'ta'],
    [
      ['khay 500g', 45000, 70000],
      ['hộp 10 quả', 28000, 42000],
    ],
  ),
  t(
    FRESH,
    'Hải sản',
    ['Cá hồi phi lê', 'Tôm thẻ', 'Mực ống', 'Cá basa phi lê', 'Nghêu trắng', 'Cá thu cắt khúc'],
    ['MM', 'Vĩnh Hoàn', 'Minh Phú', 'Sài Gòn Food'],
    ['', 'tươi', 'làm sạch'],
    [
      ['khay 300g', 60000, 180000],
      ['khay 500g', 95000, 290000],
    ],
  ),
  t(
    FRESH,
    'Rau củ',
    ['Rau muống', 'Cải thìa', 'Cà chua', 'Khoai tây', 'Hành tây', 'Cà rốt', 'Bông cải xanh', 'Dưa leo'],
    ['Đà Lạt GAP', 'VietGAP', 'MM Organic', 'Rau Sạch Bình Điền'],
    ['', 'hữu cơ'],
    [
      ['túi 500g', 12000, 35000],
      ['túi 1kg', 22000, 60000],
    ],
  ),
  t(
    FRESH,
    'Trái cây',
    ['Táo Envy', 'Cam sành', 'Xoài cát Hòa Lộc', 'Chuối già', 'Nho xanh không hạt', 'Dưa hấu', 'Bưởi da xanh', 'Thanh long ruột đỏ'],
    ['MM', 'Vinfruits', 'Klever Fruits', 'Đà Lạt GAP'],
    ['', 'loại 1', 'nhập khẩu'],
    [
      ['túi 1kg', 30000, 180000],
      ['hộp 500g', 25000, 120000],
    ],
  ),
  t(
    DAIRY,
    'Sữa tươi',
    ['Sữa tươi tiệt trùng', 'Sữa tươi thanh trùng', 'Sữa tươi nguyên chất'],
    ['Vinamilk', 'TH true MILK', 'Dalat Milk', 'Dutch Lady', 'Nutifood', 'Mộc Châu'],
    ['có đường', 'ít đường', 'không đường', 'hương dâu', 'socola'],
    [
      ['hộp 180ml', 7000, 9500],
      ['hộp 1L', 30000, 42000],
      ['lốc 4 hộp 180ml', 28000, 37000],
      ['thùng 48 hộp 180ml', 320000, 420000],
    ],
  ),
  t(
    DAIRY,
    'Sữa chua',
    ['Sữa chua ăn', 'Sữa chua uống', 'Sữa chua Hy Lạp'],
    ['Vinamilk', 'TH true MILK', 'Yakult', 'Probi', 'Nutifood', 'Mộc Châu'],
    ['có đường', 'ít đường', 'nha đam', 'dâu'],
    [
      ['hộp 100g', 6000, 9000],
      ['lốc 4 hộp 100g', 24000, 34000],
      ['chai 65ml', 5000, 7000],
      ['lốc 5 chai 65ml', 24000, 33000],
    ],
  ),
  t(
    DAIRY,
    'Sữa đặc & sữa bột',
    ['Sữa đặc', 'Sữa bột', 'Sữa bột pha sẵn'],
    ['Ông Thọ', 'Ngôi Sao Phương Nam', 'Vinamilk', 'Abbott Grow', 'Nestlé NAN', 'Friso'],
    ['', 'ít đường', 'cho trẻ từ 1 tuổi'],
    [
      ['lon 380g', 22000, 450000],
      ['hộp 900g', 250000, 650000],
      ['hũ 1.5kg', 180000, 900000],
    ],
  ),
  t(
    DAIRY,
    'Bơ & phô mai',
    ['Phô mai lát', 'Phô mai que', 'Bơ lạt', 'Bơ mặn', 'Phô mai con bò cười'],
    ['Président', 'Anchor', 'Emborg', 'Con Bò Cười', 'Bottega Zelachi'],
    ['', 'nhập khẩu'],
    [
      ['gói 200g', 45000, 120000],
      ['hộp 250g', 60000, 160000],
    ],
  ),
  t(
    DRINKS,
    'Nước ngọt',
    ['Nước ngọt có gas', 'Nước tăng lực', 'Nước uống thể thao'],
    ['Coca-Cola', 'Pepsi', '7Up', 'Fanta', 'Sprite', 'Mirinda', 'Sting', 'Red Bull'],
    ['', 'không đường', 'vị chanh'],
    [
      ['lon 330ml', 8000, 12000],
      ['chai 390ml', 8000, 11000],
      ['chai 1.5L', 18000, 24000],
      ['thùng 24 lon', 180000, 260000],
      ['lốc 6 lon', 45000, 66000],
    ],
  ),
  t(
    DRINKS,
    'Nước suối',
    ['Nước khoáng', 'Nước tinh khiết', 'Nước khoáng có gas'],
    ['Lavie', 'Aquafina', 'Vĩnh Hảo', 'Dasani', 'Evian'],
    [''],
    [
      ['chai 500ml', 4000, 9000],
      ['chai 1.5L', 9000, 25000],
      ['thùng 24 chai 500ml', 90000, 190000],
      ['bình 19L', 55000, 80000],
    ],
  ),
  t(
    DRINKS,
    'Bia',
    ['Bia', 'Bia lon', 'Bia chai'],
    ['Heineken', 'Tiger', 'Sài Gòn Special', '333', 'Budweiser', 'Larue', 'Hà Nội'],
    ['', 'bạc', 'không cồn'],
    [
      ['lon 330ml', 11000, 22000],
      ['lốc 6 lon', 65000, 125000],
      ['thùng 24 lon', 250000, 480000],
    ],
  ),
  t(
    DRINKS,
    'Cà phê',
    ['Cà phê hòa tan', 'Cà phê rang xay', 'Cà phê sữa đá'],
    ['Trung Nguyên G7', 'Nescafé', 'Highlands', 'Vinacafé', 'Phúc Long', 'MacCoffee'],
    ['', '3 trong 1', 'đậm đặc'],
    [
      ['hộp 18 gói', 45000, 70000],
      ['túi 500g', 80000, 180000],
      ['lon 235ml', 10000, 16000],
    ],
  ),
  t(
    DRINKS,
    'Trà & nước trái cây',
    ['Trà xanh', 'Trà ô long', 'Trà đào', 'Nước cam ép', 'Nước táo ép', 'Trà sữa'],
    ['C2', 'Tea+ Plus', 'Không Độ', 'Twister', 'Vfresh', 'Lipton', 'Cozy'],
    ['', 'ít đường', 'không đường'],
    [
      ['chai 455ml', 9000, 14000],
      ['hộp 1L', 25000, 55000],
      ['thùng 24 chai 455ml', 190000, 300000],
      ['hộp 25 túi lọc', 25000, 60000],
    ],
  ),
  t(
    DRY,
    'Gạo',
    ['Gạo ST25', 'Gạo thơm Jasmine', 'Gạo nếp', 'Gạo lứt', 'Gạo thơm lài'],
    ['Ông Cua', 'Neptune', 'Vinaseed', 'MM', 'Hạt Ngọc Trời', 'Lotus Rice'],
    ['', 'hữu cơ'],
    [
      ['túi 2kg', 45000, 90000],
      ['túi 5kg', 105000, 220000],
      ['túi 10kg', 200000, 420000],
    ],
  ),
  t(
    DRY,
    'Nước mắm & nước chấm',
    ['Nước mắm', 'Nước mắm cá cơm', 'Nước tương', 'Nước chấm'],
    ['Nam Ngư', 'Chinsu', 'Liên Thành', 'Hồng Hạnh', 'Thuận Phát', 'Red Boat', 'Maggi'],
    ['', '40 độ đạm', 'cao đạm', 'tỏi ớt'],
    [
      ['chai 500ml', 18000, 90000],
      ['chai 750ml', 28000, 120000],
      ['can 5L', 150000, 450000],
    ],
  ),
  t(
    DRY,
    'Dầu ăn',
    ['Dầu ăn', 'Dầu đậu nành', 'Dầu hướng dương', 'Dầu ô liu', 'Dầu gạo'],
    ['Simply', 'Neptune', 'Tường An', 'Meizan', 'Cái Lân', 'Olivoilà'],
    ['', 'nguyên chất', 'cao cấp'],
    [
      ['chai 1L', 45000, 180000],
      ['chai 2L', 85000, 320000],
      ['can 5L', 200000, 700000],
    ],
  ),
  t(
    DRY,
    'Mì, bún & phở',
    ['Mì ăn liền', 'Phở ăn liền', 'Bún khô', 'Miến dong', 'Hủ tiếu ăn liền'],
    ['Hảo Hảo', 'Omachi', 'Kokomi', 'Cung Đình', 'Modern', 'Vifon', 'Mì Ba Miền'],
    ['tôm chua cay', 'sườn hầm', 'gà', 'bò hầm', 'chay'],
    [
      ['gói 75g', 3500, 9000],
      ['thùng 30 gói', 100000, 250000],
      ['ly 65g', 7000, 14000],
    ],
  ),
  t(
    DRY,
    'Gia vị',
    ['Hạt nêm', 'Bột ngọt', 'Đường tinh luyện', 'Muối i-ốt', 'Tương ớt', 'Dầu hào', 'Tiêu xay'],
    ['Knorr', 'Ajinomoto', 'Aji-ngon', 'Biên Hòa', 'Chinsu', 'Maggi', 'Vedan', 'Dh Foods'],
    ['', 'nấm hương', 'thịt thăn'],
    [
      ['gói 400g', 15000, 60000],
      ['gói 1kg', 30000, 120000],
      ['chai 250g', 12000, 45000],
    ],
  ),
  t(
    DRY,
    'Đồ hộp & đồ khô',
    ['Cá hộp sốt cà', 'Thịt hộp', 'Đậu phộng rang', 'Nấm hương khô', 'Rong biển', 'Ngũ cốc ăn sáng'],
    ['Ba Cô Gái', 'Hạ Long', 'Vissan', 'Tân Tân', 'Nestlé', 'Calbee'],
    ['', 'cay'],
    [
      ['hộp 155g', 18000, 45000],
      ['gói 200g', 20000, 90000],
      ['hũ 300g', 30000, 120000],
    ],
  ),
  t(
    FROZEN,
    'Thực phẩm đông lạnh',
    ['Chả giò', 'Há cảo', 'Xúc xích', 'Cá viên', 'Bánh bao', 'Gà rán'],
    ['CP', 'Cầu Tre', 'Vissan', 'Le Gourmet', 'Ba Huân', 'Mama Food'],
    ['', 'tôm thịt', 'chay', 'phô mai'],
    [
      ['gói 500g', 40000, 120000],
      ['gói 1kg', 75000, 220000],
      ['hộp 300g', 30000, 90000],
    ],
  ),
  t(
    FROZEN,
    'Kem',
    ['Kem ốc quế', 'Kem hộp', 'Kem que'],
    ["Wall's", 'Merino', 'Celano', 'Vinamilk', 'Häagen-Dazs'],
    ['vani', 'socola', 'dâu', 'sầu riêng'],
    [
      ['hộp 450ml', 45000, 260000],
      ['cây 60g', 8000, 25000],
      ['hộp 5 cây', 40000, 110000],
    ],
  ),
  t(
    HOUSEHOLD,
    'Giặt giũ',
    ['Nước giặt', 'Bột giặt', 'Nước xả vải'],
    ['OMO', 'Ariel', 'Tide', 'Comfort', 'Downy', 'Surf', 'Lix'],
    ['', 'hương hoa', 'cửa trên', 'cửa trước'],
    [
      ['túi 2kg', 75000, 190000],
      ['chai 3.6kg', 160000, 320000],
      ['túi 3.5kg', 140000, 280000],
    ],
  ),
  t(
    HOUSEHOLD,
    'Vệ sinh nhà cửa',
    ['Nước rửa chén', 'Nước lau sàn', 'Nước tẩy bồn cầu', 'Nước lau kính'],
    ['Sunlight', 'Mỹ Hảo', 'Vim', 'Gift', 'Lix', 'Okay'],
    ['', 'chanh', 'trà xanh', 'diệt khuẩn'],
    [
      ['chai 750g', 20000, 60000],
      ['can 3.6kg', 75000, 180000],
      ['túi 1kg', 25000, 60000],
    ],
  ),
  t(
    HOUSEHOLD,
    'Giấy & khăn giấy',
    ['Giấy vệ sinh', 'Khăn giấy rút', 'Khăn giấy ướt', 'Khăn giấy hộp'],
    ['Pulppy', 'Bless You', 'Watersilk', 'Sài Gòn', 'Kleenex', 'Mami'],
    ['', 'không mùi', '3 lớp'],
    [
      ['lốc 10 cuộn', 55000, 140000],
      ['gói 100 tờ', 12000, 35000],
      ['thùng 30 gói', 280000, 600000],
    ],
  ),
  t(
    CARE,
    'Chăm sóc tóc',
    ['Dầu gội', 'Dầu xả', 'Dầu gội thảo dược'],
    ['Clear', 'Sunsilk', 'Dove', 'Head & Shoulders', 'Pantene', 'Thái Dương', 'TRESemmé'],
    ['', 'sạch gàu', 'mềm mượt', 'bạc hà'],
    [
      ['chai 340g', 65000, 160000],
      ['chai 650g', 120000, 260000],
      ['gói 6g', 1500, 3000],
    ],
  ),
  t(
    CARE,
    'Chăm sóc cơ thể',
    ['Sữa tắm', 'Xà bông cục', 'Sữa rửa mặt', 'Lăn khử mùi', 'Kem dưỡng da'],
    ['Lifebuoy', 'Dove', 'Hazeline', 'Nivea', 'Lux', 'Safeguard', 'Pond’s'],
    ['', 'dưỡng ẩm', 'trà xanh', 'than hoạt tính'],
    [
      ['chai 850g', 120000, 260000],
      ['tuýp 100g', 35000, 120000],
      ['cục 90g', 12000, 25000],
    ],
  ),
  t(
    CARE,
    'Chăm sóc răng miệng',
    ['Kem đánh răng', 'Bàn chải đánh răng', 'Nước súc miệng'],
    ['P/S', 'Colgate', 'Sensodyne', 'Closeup', 'Listerine', 'Oral-B'],
    ['', 'trà xanh', 'than hoạt tính', 'ngừa sâu răng'],
    [
      ['tuýp 180g', 25000, 95000],
      ['vỉ 2 cây', 25000, 80000],
      ['chai 500ml', 65000, 140000],
    ],
  ),
  t(
    SNACKS,
    'Bánh',
    ['Bánh quy bơ', 'Bánh xốp', 'Bánh gạo', 'Bánh trung thu', 'Bánh bông lan', 'Bánh quế'],
    ['Kinh Đô', 'Danisa', 'Oreo', 'One One', 'Richy', 'Bibica', 'Orion Chocopie'],
    ['', 'socola', 'dừa', 'phô mai'],
    [
      ['hộp 300g', 30000, 180000],
      ['gói 150g', 15000, 45000],
      ['hộp 12 cái', 45000, 90000],
    ],
  ),
  t(
    SNACKS,
    'Kẹo & snack',
    ['Kẹo dẻo', 'Kẹo cứng', 'Snack khoai tây', 'Snack rong biển', 'Hạt điều rang muối'],
    ['Haribo', 'Alpenliebe', 'Lay’s', 'Oishi', 'Poca', 'Tao Kae Noi', 'Vinamit'],
    ['', 'cay', 'vị tảo biển', 'trái cây'],
    [
      ['gói 90g', 9000, 35000],
      ['hũ 400g', 60000, 250000],
      ['túi 500g', 55000, 200000],
    ],
  ),
];

/**
 * Packs the store sells beyond each category's grid: sacks of rice and sugar, crates of bottled
 * beer, egg cards, six-bottle packs of water. They are appended after the grid with their own seed,
 * so the grid's products, SKUs, prices and stock stay as they were; every brand of the category
 * gets each pack of each base.
 */
const packAdditions: { category: string; bases: string[]; units: UnitPrice[] }[] = [
  { category: 'Gạo', bases: ['Gạo ST25', 'Gạo thơm Jasmine', 'Gạo nếp', 'Gạo thơm lài'], units: [['bao 25kg', 420000, 950000]] },
  { category: 'Bia', bases: ['Bia chai'], units: [['két 20 chai 450ml', 230000, 430000]] },
  {
    category: 'Thịt gà & trứng',
    bases: ['Trứng gà', 'Trứng vịt'],
    units: [
      ['vỉ 10 quả', 26000, 42000],
      ['vỉ 30 quả', 75000, 115000],
    ],
  },
  { category: 'Gia vị', bases: ['Đường tinh luyện', 'Muối i-ốt'], units: [['bao 10kg', 150000, 290000]] },
  { category: 'Nước suối', bases: ['Nước khoáng', 'Nước tinh khiết'], units: [['lốc 6 chai 500ml', 24000, 48000]] },
];

/** Deterministic pseudo-random numbers (mulberry32), so every run serves the same catalog. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export function slugify(text: string): string {
  return foldAccents(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const roundTo = (value: number, step: number) => Math.max(step, Math.round(value / step) * step);

export interface CatalogOptions {
  seed?: number;
  /** At least this many products (default 5,200). */
  minProducts?: number;
}

export function generateCatalog(options: CatalogOptions = {}): DemoCatalog {
  const random = prng(options.seed ?? 20_241_122);
  const minProducts = options.minProducts ?? 5200;
  const categories = new Map<number, DemoCategory>();
  const root: DemoCategory = { id: 2, uid: uidOf(2), name: 'Danh mục sản phẩm', urlKey: 'root', urlPath: '', parentId: 1, children: [] };
  categories.set(root.id, root);
  let nextCategoryId = 10;
  const departments = new Map<string, DemoCategory>();
  const addCategory = (name: string, parent: DemoCategory): DemoCategory => {
    const id = nextCategoryId++;
    const urlKey = slugify(name);
    const category: DemoCategory = {
      id,
      uid: uidOf(id),
      name,
      urlKey,
      urlPath: parent === root ? urlKey : `${parent.urlPath}/${urlKey}`,
      parentId: parent.id,
      children: [],
    };
    parent.children.push(category);
    categories.set(id, category);
    return category;
  };

  // Every combination of each template, shuffled with the seed; each category contributes an even share.
  const combos = templates.map((template) => {
    const department = departments.get(template.department) ?? addCategory(template.department, root);
    departments.set(template.department, department);
    const category = addCategory(template.category, department);
    const all: { template: Template; category: DemoCategory; base: string; brand: string; variant: string; unit: UnitPrice }[] = [];
    for (const base of template.bases)
      for (const brand of template.brands)
        for (const variant of template.variants) for (const unit of template.units) all.push({ template, category, base, brand, variant, unit });
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all;
  });
  const available = combos.reduce((sum, list) => sum + list.length, 0);
  if (available < minProducts) throw new Error(`the templates make only ${available} products`);
  let share = Math.ceil(minProducts / combos.length);
  while (combos.reduce((sum, list) => sum + Math.min(share, list.length), 0) < minProducts) share++;

  const products: DemoProduct[] = [];
  const bySku = new Map<string, DemoProduct>();
  const addProduct = (draw: () => number, category: DemoCategory, base: string, brand: string, variant: string, unit: UnitPrice) => {
    const id = products.length + 1;
    const [unitLabel, min, max] = unit;
    const name = [base, brand, variant, unitLabel].filter(Boolean).join(' ');
    const regularPrice = roundTo(min + draw() * (max - min), 500);
    const discounted = draw() < 0.25;
    const finalPrice = discounted ? roundTo(regularPrice * (1 - (0.05 + draw() * 0.25)), 100) : regularPrice;
    const outOfStock = draw() < 0.08;
    const sku = String(100_000 + id * 7);
    const product: DemoProduct = {
      id,
      uid: uidOf(id),
      sku,
      artNo: String(2_000_000 + id * 13),
      name,
      brand,
      unit: unitLabel,
      urlKey: `${slugify(name)}-${sku}`,
      categoryIds: [category.parentId, category.id],
      regularPrice,
      finalPrice: Math.min(finalPrice, regularPrice),
      salableQty: outOfStock ? 0 : 5 + Math.floor(draw() * 300),
      description: `<p>${name}. Thương hiệu <b>${brand}</b>. Bảo quản nơi khô ráo, thoáng mát.</p>`,
    };
    products.push(product);
    bySku.set(sku, product);
  };
  for (const list of combos) {
    for (const { category, base, brand, variant, unit } of list.slice(0, share)) addProduct(random, category, base, brand, variant, unit);
  }
  const drawPack = prng((options.seed ?? 20_241_122) + 1);
  for (const addition of packAdditions) {
    const template = templates.find((candidate) => candidate.category === addition.category)!;
    const category = [...categories.values()].find((candidate) => candidate.name === addition.category)!;
    for (const base of addition.bases) {
      for (const brand of template.brands) for (const unit of addition.units) addProduct(drawPack, category, base, brand, '', unit);
    }
  }
  return { root, categories, products, bySku };
}

/** Magento uids are base64 of the numeric id. */
function uidOf(id: number): string {
  return Buffer.from(String(id)).toString('base64');
}
