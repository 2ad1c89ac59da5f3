import { foldAccents } from '@shared/text';

/** Common dishes staff are asked about, with what to buy; the offline planner's stand-in for a model's cooking knowledge. */
const dishes: { names: string[]; dish: string; ingredients: string[] }[] = [
  { names: ['pho bo', 'pho', 'beef pho'], dish: 'phở bò', ingredients: ['bánh phở', 'thịt bò', 'hành tây', 'nước mắm', 'hạt nêm'] },
  { names: ['canh chua', 'sour soup'], dish: 'canh chua', ingredients: ['cá basa', 'cà chua', 'nước mắm', 'đường'] },
  {
    names: ['thit kho', 'thit kho trung', 'braised pork'],
    dish: 'thịt kho trứng',
    ingredients: ['thịt ba rọi heo', 'trứng vịt', 'nước mắm', 'đường'],
  },
  { names: ['bo kho', 'beef stew'], dish: 'bò kho', ingredients: ['thịt bò', 'cà rốt', 'hành tây', 'hạt nêm'] },
  { names: ['ga ran', 'ga chien', 'fried chicken'], dish: 'gà rán', ingredients: ['cánh gà', 'dầu ăn', 'bột ngọt'] },
  {
    names: ['lau hai san', 'lau', 'seafood hotpot', 'hotpot'],
    dish: 'lẩu hải sản',
    ingredients: ['tôm thẻ', 'mực ống', 'nghêu', 'rau muống', 'nước mắm'],
  },
];

export function ingredientsFor(text: string): { dish: string; ingredients: string[] } | null {
  const folded = foldAccents(text);
  for (const entry of dishes) {
    if (entry.names.some((name) => folded.includes(name))) return { dish: entry.dish, ingredients: entry.ingredients };
  }
  return null;
}
