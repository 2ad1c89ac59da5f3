/**
 * Pack and unit words: how staff say them (Vietnamese with or without accents, English) and how the
 * catalog writes them at the end of a product's name (`thùng 24 lon`, `lốc 4 hộp 180ml`, `túi 5kg`).
 * The search ranks by them, and "add N of X" adds only the pack that was asked for. Pure text, no I/O:
 * the store client, the tools and the offline planner use the same rules.
 */
import { foldAccents } from './text';

/** Outer packs as the catalog spells them. */
export const packContainers = [
  'thùng',
  'lốc',
  'hộp',
  'chai',
  'lon',
  'gói',
  'túi',
  'bao',
  'vỉ',
  'két',
  'khay',
  'hũ',
  'can',
  'bình',
  'ly',
  'tuýp',
  'cuộn',
  'cây',
  'cục',
  'bịch',
  'lọ',
] as const;
export type PackContainer = (typeof packContainers)[number];

/** Pieces counted inside a pack (`hộp 10 quả`, `gói 100 tờ`); never a pack on their own. */
const pieceWords = ['quả', 'cái', 'tờ', 'miếng'] as const;

/** Containers staff may type without accents anywhere: their folded form means nothing else in a grocery query. */
const unambiguousFolded = new Set(['thung', 'hop', 'chai', 'lon', 'tui', 'ket', 'khay', 'tuyp', 'bich']);
/** Containers whose accented form means nothing else (`vỉ`, not `vị`; `gói`, not `gội`). */
const unambiguousAccented = new Set<string>(['thùng', 'lốc', 'hộp', 'chai', 'lon', 'gói', 'túi', 'vỉ', 'két', 'khay', 'tuýp', 'bịch']);

const foldedContainers = new Map<string, PackContainer>(packContainers.map((container) => [foldAccents(container), container]));
const foldedPieces = new Map<string, string>(pieceWords.map((piece) => [foldAccents(piece), piece]));

/** English pack words and the catalog's containers they stand for (several when English is vaguer). */
const englishContainers: Record<string, PackContainer[]> = {
  case: ['thùng'],
  cases: ['thùng'],
  carton: ['hộp', 'thùng'],
  cartons: ['hộp', 'thùng'],
  crate: ['két'],
  crates: ['két'],
  box: ['hộp'],
  boxes: ['hộp'],
  bottle: ['chai'],
  bottles: ['chai'],
  can: ['lon', 'can'],
  cans: ['lon'],
  tin: ['lon'],
  tins: ['lon'],
  pack: ['lốc', 'gói'],
  packs: ['lốc', 'gói'],
  multipack: ['lốc'],
  multipacks: ['lốc'],
  packet: ['gói'],
  packets: ['gói'],
  sachet: ['gói'],
  sachets: ['gói'],
  bag: ['túi', 'bịch'],
  bags: ['túi', 'bịch'],
  sack: ['bao'],
  sacks: ['bao'],
  tray: ['khay'],
  trays: ['khay'],
  jar: ['hũ', 'lọ'],
  jars: ['hũ', 'lọ'],
  tube: ['tuýp'],
  tubes: ['tuýp'],
  roll: ['cuộn'],
  rolls: ['cuộn'],
  cup: ['ly'],
  cups: ['ly'],
  bar: ['cục'],
  bars: ['cục'],
  blister: ['vỉ'],
  strip: ['vỉ'],
};
const englishPieces: Record<string, string> = { piece: 'cái', pieces: 'cái', egg: 'quả', eggs: 'quả' };
/** Words around pack words that say nothing themselves ("a case of 24 cans"); `an` only beside an English pack word (it is `ăn` too). */
const englishFillers = new Set(['of', 'a', 'an', 'the', 'x']);
const englishNumbers: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, twelve: 12, dozen: 12, twenty: 20 };

/** A weight or volume, in grams or millilitres. */
export interface PackSize {
  value: number;
  unit: 'g' | 'ml';
}

/** What a query asks of the pack; every part is optional. */
export interface PackRequest {
  /** Outer packs that fit (`thùng`); empty when only a count or size was said. */
  containers: PackContainer[];
  /** Pieces in the pack: 24 in `thùng 24 lon`, 6 in `lốc 6`. */
  count: number | null;
  /** What the pieces are: `lon` in `thùng 24 lon`. */
  inner: string | null;
  size: PackSize | null;
}

/** A product's pack as its name (or its unit) ends. */
export interface ProductPack {
  container: PackContainer;
  count: number | null;
  inner: string | null;
  size: PackSize | null;
}

export interface PackQuery {
  /** How many packs: 2 in `2 thùng bia`; null when not said. */
  quantity: number | null;
  /** Null when the query says nothing about pack or size. */
  pack: PackRequest | null;
  /** The other words, lowercase NFC, in order. */
  words: string[];
}

const unitAliases: [RegExp, 'g' | 'kg' | 'ml' | 'l'][] = [
  [/^(?:l|lit|lít|litre|litres|liter|liters)$/, 'l'],
  [/^(?:ml|mililit|mililít|millilitre|milliliter|millilitres|milliliters)$/, 'ml'],
  [/^(?:kg|kí|ký|ki|kilogam|kilogram|kilograms|kilo|kilos|kgs)$/, 'kg'],
  [/^(?:g|gr|gram|grams|gam|gramme|grammes)$/, 'g'],
];

/** The catalog's spelling of a measure unit (`lít` → `l`), or null. */
export function canonicalUnit(word: string): 'g' | 'kg' | 'ml' | 'l' | null {
  for (const [pattern, unit] of unitAliases) if (pattern.test(word)) return unit;
  return null;
}

/** Lowercase NFC words; a decimal number keeps its point and unit (`1.5l`). */
export function tokenize(text: string): string[] {
  return (
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+(?:\.\p{N}+\p{L}*)?/gu) ?? []
  );
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

/** A measure word such as `1.5l` or `500g` as grams or millilitres; null for anything else. */
export function sizeOf(word: string): PackSize | null {
  const match = /^(\d+(?:\.\d+)?)(kg|g|ml|l)$/.exec(word);
  if (!match) return null;
  const value = Number(match[1]);
  switch (match[2]) {
    case 'kg':
      return { value: Math.round(value * 1000), unit: 'g' };
    case 'l':
      return { value: Math.round(value * 1000), unit: 'ml' };
    case 'g':
      return { value: Math.round(value), unit: 'g' };
    default:
      return { value: Math.round(value), unit: 'ml' };
  }
}

/** The catalog's way of writing a size: `1.5l`, `330ml`, `5kg`, `400g`. */
export function sizeText(size: PackSize): string {
  if (size.value >= 1000 && size.value % 100 === 0) return `${size.value / 1000}${size.unit === 'g' ? 'kg' : 'l'}`;
  return `${size.value}${size.unit}`;
}

const isNumber = (word: string | undefined): word is string => word !== undefined && /^\d{1,3}$/.test(word);
/** Above these a number is a name (`Bia 333`), not how many packs or pieces. */
const MAX_QUANTITY = 99;
const MAX_COUNT = 100;

/** The catalog container a word names, reading accents when typed; null when the word is not one. */
function containerOf(word: string): PackContainer | null {
  const folded = foldAccents(word);
  const container = foldedContainers.get(folded);
  if (!container) return null;
  // Typed with accents: only the exact spelling (`vị` is a flavour, not `vỉ`).
  if (folded !== word && word !== container) return null;
  return container;
}

function pieceOf(word: string): string | null {
  const folded = foldAccents(word);
  const piece = foldedPieces.get(folded);
  if (!piece || (folded !== word && word !== piece)) return null;
  return piece;
}

/** Whether a container word stands on its own, or only next to a number or size (`gói 75g`, `2 gói`). */
function standsAlone(word: string, container: PackContainer): boolean {
  return foldAccents(word) === word ? unambiguousFolded.has(word) : unambiguousAccented.has(container);
}

interface Token {
  word: string;
  /** Consumed as part of the pack or quantity. */
  used: boolean;
}

export interface PackQueryOptions {
  /**
   * How the catalog spells a word typed without accents next to its neighbours (`chai` after `ban`
   * is `chải`), when it knows; a word it spells otherwise than the pack is not a pack word.
   */
  spellingBeside?: (word: string, previous: string | undefined, next: string | undefined) => string | null;
  /** Whether the catalog has this folded word (`7up`): a number glued to one is part of a name. */
  knows?: (folded: string) => boolean;
  /** Whether an English pack word is part of a longer English name with a neighbour (`spring rolls`, `tea bags`). */
  inPhrase?: (word: string, previous: string | undefined, next: string | undefined) => boolean;
}

/**
 * Splits a query into quantity, pack and the other words. A number right before a pack word is the
 * quantity when it starts the query or the pack word has its own count (`2 thùng bia`, `bia 1 lốc 6`);
 * otherwise it is the count inside the pack (`bia tiger 24 lon`). Ambiguous pack words (`goi`, `vi`,
 * `bao`) count only next to a number or size, or first in the query (`vi trung ga`), so `dầu gội`
 * and `vị chanh` stay words; so does any word the catalog spells otherwise beside its neighbours.
 */
export function parsePackQuery(text: string, options: PackQueryOptions = {}): PackQuery {
  const spelled = text
    .normalize('NFC')
    .toLowerCase()
    .replace(/\b(\d{1,2}|six|four|twelve)[\s-]?pack\b/g, (_whole, count: string) => `lốc ${englishNumbers[count] ?? count}`);
  const tokens: Token[] = normalizeUnits(spelled)
    .split(' ')
    .filter(Boolean)
    .map((word) => ({ word, used: false }));
  let quantity: number | null = null;
  const containers: PackContainer[] = [];
  let count: number | null = null;
  let inner: string | null = null;
  let size: PackSize | null = null;

  const numberAt = (index: number): number | null => {
    const word = tokens[index]?.word;
    if (isNumber(word)) return Number(word);
    return word !== undefined && Object.hasOwn(englishNumbers, word) ? englishNumbers[word]! : null;
  };
  const packWordAt = (index: number): PackContainer[] | null => {
    const word = tokens[index]?.word;
    if (word === undefined) return null;
    const inPhrase = options.inPhrase?.(word, tokens[index - 1]?.word, tokens[index + 1]?.word) === true;
    const english = Object.hasOwn(englishContainers, word) && !inPhrase ? englishContainers[word]! : null;
    const container = containerOf(word);
    if (english && !container) return english;
    if (!container) return null;
    const next = tokens[index + 1]?.word;
    // "can 5l" is the catalog's jerrycan; "cans" and a bare "can" are tins.
    if (english && word === 'can') return next !== undefined && sizeOf(next) ? ['can', 'lon'] : english;
    const nearNumber = numberAt(index - 1) !== null || numberAt(index + 1) !== null || (next !== undefined && sizeOf(next) !== null);
    if (foldAccents(word) === word && !nearNumber) {
      const spelled = options.spellingBeside?.(word, tokens[index - 1]?.word, next);
      if (spelled && spelled !== container) return null;
    }
    const leading = (index === 0 || (index === 1 && numberAt(0) !== null)) && next !== undefined;
    return standsAlone(word, container) || nearNumber || leading ? [container] : null;
  };
  const innerAt = (index: number): string | null => {
    const word = tokens[index]?.word;
    if (word === undefined) return null;
    return containerOf(word) ?? pieceOf(word) ?? englishContainers[word]?.[0] ?? (Object.hasOwn(englishPieces, word) ? englishPieces[word]! : null);
  };
  const skipFillers = (index: number): number => {
    let at = index;
    while (at < tokens.length && englishFillers.has(tokens[at]!.word) && at - index < 2) at++;
    return at;
  };

  for (const token of tokens) {
    const measured = sizeOf(token.word);
    if (measured && !size) {
      size = measured;
      token.used = true;
    }
  }
  // The pack word: the one with a number next to it ("2 thùng", "lốc 6"), else the last ("bia lon tiger thùng").
  const candidates = tokens.flatMap((token, index) => (!token.used && packWordAt(index) ? [index] : []));
  const chosen = candidates.find((index) => numberAt(index - 1) !== null || numberAt(skipFillers(index + 1)) !== null) ?? candidates.at(-1);
  if (chosen !== undefined) {
    const i = chosen;
    containers.push(...packWordAt(i)!);
    tokens[i]!.used = true;
    // What follows: a count ("lốc 6", "case of 24"), then what is counted ("thùng 24 lon").
    const next = skipFillers(i + 1);
    const counted = numberAt(next);
    if (counted !== null && counted <= MAX_COUNT) {
      count = counted;
      for (let at = i + 1; at <= next; at++) tokens[at]!.used = true;
      const piece = innerAt(next + 1);
      if (piece) {
        inner = piece;
        tokens[next + 1]!.used = true;
      }
    }
    // What comes before: the quantity ("2 thùng"), or the count when the pack word is what is counted ("bia 24 lon").
    const before = numberAt(i - 1);
    const beforeToken = tokens[i - 1];
    if (before !== null && beforeToken && !beforeToken.used) {
      if (i - 1 === 0 || count !== null || before === 1) {
        if (before <= MAX_QUANTITY) {
          quantity = before;
          beforeToken.used = true;
        }
      } else if (before <= MAX_COUNT) {
        beforeToken.used = true;
        count = before;
        inner = containers[0] ?? null;
        containers.length = 0;
      }
    }
    // Fillers around the pack word ("a case of Tiger beer") are not words of the product.
    const word = tokens[i]!.word;
    const filler = (at: number) => {
      const around = tokens[at]!;
      return (
        !around.used && englishFillers.has(around.word) && (around.word !== 'an' || (Object.hasOwn(englishContainers, word) && !containerOf(word)))
      );
    };
    for (const step of [1, -1]) {
      for (let at = i + step; at >= 0 && at < tokens.length; at += step) {
        if (tokens[at]!.used) continue;
        if (!filler(at)) break;
        tokens[at]!.used = true;
      }
    }
  }
  // A leading number with no pack word after it is still how many ("2 sữa tươi"), unless the catalog
  // writes it with the next word ("7 up" → `7Up`, "3 trong 1").
  const first = tokens[0];
  const second = tokens[1]?.word;
  const partOfName =
    second !== undefined &&
    (options.knows?.(first!.word + foldAccents(second)) === true || options.spellingBeside?.(first!.word, undefined, second) != null);
  if (quantity === null && first && !first.used && isNumber(first.word) && Number(first.word) <= MAX_QUANTITY && tokens.length > 1 && !partOfName) {
    quantity = Number(first.word);
    first.used = true;
  }
  const words = tokens.filter((token) => !token.used).map((token) => token.word);
  const pack = containers.length > 0 || count !== null || size !== null ? { containers: [...new Set(containers)], count, inner, size } : null;
  return { quantity, pack, words };
}

/**
 * The pack at the end of a product's name or unit: a container, then optionally a count, what is
 * counted (and one word more, `hộp 25 túi lọc`), and a size. The leftmost container from which the
 * rest of the name fits wins, so `lốc 4 hộp 180ml` is a lốc, not a hộp. A unit that is only a
 * container (`Chai`, as MM's `unit_ecom` may say) is that container.
 */
export function productPackOf(nameOrUnit: string): ProductPack | null {
  const words = nameOrUnit.trim().split(/\s+/).filter(Boolean);
  const start = packStart(words);
  const container = words.length === 1 ? containerOf(words[0]!.toLowerCase()) : null;
  if (start < 0) return container ? { container, count: null, inner: null, size: null } : null;
  return packTail(
    containerOf(words[start]!.toLowerCase())!,
    normalizeUnits(words.slice(start + 1).join(' '))
      .split(' ')
      .filter(Boolean),
  );
}

/** A product's pack: from its name, else from its unit. */
export function packOfProduct(product: { name: string; unit?: string | null | undefined }): ProductPack | null {
  return productPackOf(product.name) ?? (product.unit ? productPackOf(product.unit) : null);
}

function packTail(container: PackContainer, rest: string[]): ProductPack | null {
  let at = 0;
  let count: number | null = null;
  let inner: string | null = null;
  let size: PackSize | null = null;
  if (isNumber(rest[at])) {
    count = Number(rest[at]);
    at++;
    const piece = rest[at] === undefined ? null : (containerOf(rest[at]!) ?? pieceOf(rest[at]!));
    if (piece) {
      inner = piece;
      at++;
      // One describing word may follow what is counted ("túi lọc").
      if (rest[at] !== undefined && sizeOf(rest[at]!) === null && at === rest.length - 1) at++;
    }
  }
  if (rest[at] !== undefined) {
    size = sizeOf(rest[at]!);
    if (!size) return null;
    at++;
  }
  if (at !== rest.length) return null;
  if (count === null && size === null && rest.length > 0) return null;
  return { container, count, inner, size };
}

export interface PackAgreement {
  /** Positive for every part that fits, negative for every part that does not. */
  score: number;
  /** Nothing that was asked for differs (what the product does not tell is not held against it). */
  agrees: boolean;
}

/** How well a product's pack fits the pack asked for. A product without a readable pack fits only a size-free, container-free request. */
export function packAgreement(request: PackRequest, product: ProductPack | null): PackAgreement {
  let score = 0;
  let agrees = true;
  const part = (fits: boolean, weight: number) => {
    score += fits ? weight : -weight;
    if (!fits) agrees = false;
  };
  if (request.containers.length > 0) part(product !== null && request.containers.includes(product.container), 1);
  if (request.count !== null) part(product?.count === request.count, 0.5);
  if (request.inner !== null)
    part(product?.inner === request.inner || (product !== null && product.count === null && product.container === request.inner), 0.25);
  if (request.size !== null && product?.size) part(product.size.unit === request.size.unit && product.size.value === request.size.value, 0.5);
  else if (request.size !== null && !product) part(false, 0.5);
  return { score, agrees };
}

/** The pack asked for in the catalog's words: `thùng 24 lon`, `lốc 6`, `hộp 1l`. */
export function describePack(request: PackRequest): string {
  return packWords(request).join(' ');
}

/** The words of a pack request as the catalog writes them, for the store's per-word search. */
export function packWords(request: PackRequest): string[] {
  const words: string[] = [];
  if (request.containers[0]) words.push(request.containers[0]);
  if (request.count !== null) words.push(String(request.count));
  if (request.inner) words.push(request.inner);
  if (request.size) words.push(sizeText(request.size));
  return words;
}

/** Where the pack starts among a name's words (`Bia Tiger thùng 24 lon` → 2), or -1; a pack must tell a count or a size. */
function packStart(words: readonly string[]): number {
  for (let start = Math.max(0, words.length - 6); start < words.length; start++) {
    const container = containerOf(words[start]!.toLowerCase());
    const rest = normalizeUnits(words.slice(start + 1).join(' '))
      .split(' ')
      .filter(Boolean);
    const pack = container && rest.length > 0 ? packTail(container, rest) : null;
    if (pack && (pack.count !== null || pack.size !== null)) return start;
  }
  return -1;
}

/** A product's name without its pack at the end: `Bia Tiger thùng 24 lon` → `Bia Tiger`. */
export function nameWithoutPack(name: string): string {
  const words = name.trim().split(/\s+/);
  const start = packStart(words);
  return start > 0 ? words.slice(0, start).join(' ') : name.trim();
}

/** The pack at the end of a name as the name writes it (`... hộp 1L` → `hộp 1L`); undefined when it tells none. */
export function packTextOf(name: string): string | undefined {
  const words = name.trim().split(/\s+/);
  const start = packStart(words);
  return start >= 0 ? words.slice(start).join(' ') : undefined;
}
