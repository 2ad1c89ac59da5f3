/** Vietnamese text helpers shared by the client's search fallback and the demo store. */
import { foldAccents } from '@shared/text';

/** Lowercase NFC words; a decimal number keeps its point and unit (`1.5l`). */
export function tokenize(text: string): string[] {
  return (
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+(?:\.\p{N}+\p{L}*)?/gu) ?? []
  );
}

const unitAliases: [RegExp, string][] = [
  [/^(?:l|lit|lít|litre|liter)$/, 'l'],
  [/^(?:ml|mililit|mililít)$/, 'ml'],
  [/^(?:kg|kí|ký|ki|kilogam|kilogram|kilo)$/, 'kg'],
  [/^(?:g|gr|gram|gam)$/, 'g'],
];

function canonicalUnit(word: string): string | null {
  for (const [pattern, unit] of unitAliases) if (pattern.test(word)) return unit;
  return null;
}

/**
 * Writes quantities the way the catalog does: `1 lít` → `1l`, `500 gram` → `500g`, `1,5l` → `1.5l`.
 * Counts such as `24 lon` stay two words, as in `thùng 24 lon`.
 */
export function normalizeUnits(text: string): string {
  const words = tokenize(text.replace(/(\d),(\d)/g, '$1.$2'));
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const glued = /^(\d+(?:\.\d+)?)(\p{L}+)$/u.exec(word);
    if (glued) {
      out.push(glued[1]! + (canonicalUnit(glued[2]!) ?? glued[2]!));
      continue;
    }
    const next = words[i + 1];
    const unit = next === undefined ? null : canonicalUnit(next);
    if (/^\d+(?:\.\d+)?$/.test(word) && unit) {
      out.push(word + unit);
      i++;
      continue;
    }
    out.push(word);
  }
  return out.join(' ');
}

/**
 * Maps accent-free words and word pairs back to their Vietnamese spelling (`sua tuoi` → `sữa tươi`).
 * Learns from phrases it is given (built-in list, category names, product names seen); the most
 * frequent spelling of an ambiguous folded form wins.
 */
export class Vocabulary {
  private readonly counts = new Map<string, Map<string, number>>();

  /** `maxEntries` bounds the folded forms kept, however many product names are seen. */
  constructor(
    phrases: Iterable<string> = [],
    private readonly maxEntries = 100_000,
  ) {
    for (const phrase of phrases) this.learn(phrase);
  }

  learn(phrase: string, weight = 1): void {
    const words = tokenize(phrase);
    for (let i = 0; i < words.length; i++) {
      this.add(words[i]!, weight);
      if (i + 1 < words.length) this.add(`${words[i]} ${words[i + 1]}`, weight);
    }
  }

  /** The query with every known folded pair or word given its most frequent spelling. */
  restore(query: string): string {
    const words = tokenize(query);
    const out: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const pair = i + 1 < words.length ? this.best(`${words[i]} ${words[i + 1]}`) : null;
      if (pair) {
        out.push(pair);
        i++;
        continue;
      }
      out.push(this.best(words[i]!) ?? words[i]!);
    }
    return out.join(' ');
  }

  private add(spelling: string, weight: number): void {
    const folded = foldAccents(spelling);
    let spellings = this.counts.get(folded);
    if (!spellings) {
      if (this.counts.size >= this.maxEntries) return;
      this.counts.set(folded, (spellings = new Map()));
    }
    spellings.set(spelling, (spellings.get(spelling) ?? 0) + weight);
  }

  private best(text: string): string | null {
    // Only a folded word is restored; a word the user typed with accents is kept as typed.
    if (foldAccents(text) !== text) return null;
    const spellings = this.counts.get(text);
    if (!spellings) return null;
    let best: string | null = null;
    let bestCount = -1;
    for (const [spelling, count] of spellings) {
      if (count > bestCount) [best, bestCount] = [spelling, count];
    }
    return best;
  }
}

/** Common words of a Vietnamese supermarket, so accent restoring works before anything was learned. */
export const groceryPhrases: readonly string[] = [
  'sữa tươi',
  'sữa chua',
  'sữa đặc',
  'sữa bột',
  'sữa tắm',
  'sữa rửa mặt',
  'tiệt trùng',
  'có đường',
  'không đường',
  'ít đường',
  'nước mắm',
  'nước tương',
  'nước ngọt',
  'nước suối',
  'nước khoáng',
  'nước giặt',
  'nước rửa chén',
  'nước xả vải',
  'nước lau sàn',
  'nước trái cây',
  'dầu ăn',
  'dầu gội',
  'dầu hào',
  'đậu nành',
  'đậu phộng',
  'gạo',
  'gạo nếp',
  'gạo lứt',
  'mì ăn liền',
  'mì gói',
  'thịt heo',
  'thịt bò',
  'thịt gà',
  'cá hồi',
  'tôm',
  'mực',
  'rau muống',
  'cà chua',
  'khoai tây',
  'hành tây',
  'cà rốt',
  'trái cây',
  'táo',
  'cam',
  'xoài',
  'chuối',
  'nho',
  'dưa hấu',
  'bia',
  'cà phê',
  'trà xanh',
  'trà đào',
  'bánh quy',
  'bánh kẹo',
  'kẹo',
  'hạt nêm',
  'bột ngọt',
  'đường',
  'muối',
  'tương ớt',
  'giấy vệ sinh',
  'khăn giấy',
  'kem đánh răng',
  'bàn chải',
  'bột giặt',
  'chả giò',
  'xúc xích',
  'kem',
  'phô mai',
  'bơ',
  'trứng gà',
  'đông lạnh',
  'tươi sống',
  'hộp',
  'chai',
  'gói',
  'lon',
  'thùng',
  'túi',
  'khay',
  'lốc',
  'hũ',
  'lít',
];
