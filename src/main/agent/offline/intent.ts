import { foldAccents } from '@shared/text';

/** What a staff request asks for, as the offline planner understands it. */
export type Intent =
  | { kind: 'greet' }
  | { kind: 'search'; query: string }
  | { kind: 'details'; query: string }
  | { kind: 'compare'; first: string; second: string }
  | { kind: 'ingredients'; dish: string }
  | { kind: 'add'; query: string; quantity: number }
  | { kind: 'update'; query: string; quantity: number }
  | { kind: 'remove'; query: string }
  | { kind: 'show_cart' }
  | { kind: 'remember'; fact: string }
  | { kind: 'recall'; topic: string }
  | { kind: 'forget'; topic: string }
  | { kind: 'unknown' };

/**
 * Matching runs on a folded copy of the message (lowercase, no accents) that keeps every index,
 * so each match slices the text the staff member typed, accents included.
 */
class Folded {
  readonly original: string;
  readonly folded: string;

  constructor(text: string) {
    this.original = text.normalize('NFC').replace(/\s+/g, ' ').trim();
    let folded = '';
    for (const char of this.original) {
      const plain = foldAccents(char);
      folded += plain.length === char.length ? plain : char.toLowerCase().length === char.length ? char.toLowerCase() : char;
    }
    this.folded = folded;
  }

  /** The original text of capture group `group`, cleaned of fillers. */
  span(match: RegExpExecArray, group: number): string {
    const range = match.indices?.[group];
    if (!range) return '';
    return clean(this.original.slice(range[0], range[1]), this.folded.slice(range[0], range[1]));
  }
}

const leadingFillers =
  /^(?:(?:cho|giup|gium|giùm)\s+(?:toi|minh|em|khach)\s+|(?:please|can you|could you|pls)\s+|(?:san pham|mat hang|mon|cac|nhung|mot it|them|some|the|any|a|an|of|ve|about|cua)\s+)/;
const trailingFillers =
  /(?:\s+(?:nhe|nha|nhe ban|a|di|voi|giup (?:toi|minh|em)|gium|giùm|please|pls|for (?:me|the customer)|cho (?:toi|minh|em|khach)|(?:vao|cho vao|bo vao) gio(?: hang)?|(?:to|into|in) (?:the |my )?cart|(?:ra )?khoi gio(?: hang)?|trong gio(?: hang)?|from (?:the |my )?cart|di nhe|nhe))$|[\s?.!,;:]+$/;

function clean(original: string, folded: string): string {
  let start = 0;
  let end = folded.length;
  for (let changed = true; changed;) {
    changed = false;
    const lead = leadingFillers.exec(folded.slice(start, end));
    if (lead && lead[0].length < end - start) {
      start += lead[0].length;
      changed = true;
    }
    const trail = trailingFillers.exec(folded.slice(start, end));
    if (trail && trail[0].length > 0 && trail.index > 0) {
      end = start + trail.index;
      changed = true;
    }
  }
  return original
    .slice(start, end)
    .trim()
    .replace(/^["'“”]+|["'“”?.!,;:]+$/g, '');
}

/** "What do you know about the customer" asks for everything; only a real subject narrows the recall. */
function specificTopic(topic: string): string {
  const generic = /^(?:khach|khach hang|khach nay|vi khach nay|customer|this customer|the customer|ho|anh ay|chi ay|co ay|him|her|them)?$/;
  return generic.test(foldAccents(topic).trim()) ? '' : topic;
}

const numberWords: Record<string, number> = {
  mot: 1,
  hai: 2,
  ba: 3,
  bon: 4,
  tu: 4,
  nam: 5,
  sau: 6,
  bay: 7,
  tam: 8,
  chin: 9,
  muoi: 10,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  a: 1,
  an: 1,
};
const quantity = String.raw`(\d{1,3}|${Object.keys(numberWords).join('|')})`;

function toQuantity(word: string | undefined): number {
  if (!word) return 1;
  return /^\d+$/.test(word) ? Number(word) : (numberWords[word] ?? 1);
}

interface Rule {
  pattern: RegExp;
  build: (text: Folded, match: RegExpExecArray) => Intent | null;
}

const cartWords = String.raw`(?:gio hang|gio|cart|basket)`;

// Order matters: the more specific requests come first.
const rules: Rule[] = [
  {
    pattern: new RegExp(
      String.raw`^(?:hay\s+|please\s+)?(?:quen|xoa ghi nho|bo ghi nho|forget|stop remembering)(?:\s+(?:di|rang|la|that|about|viec|dieu))?\s+(.+)$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'forget', topic: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:hay\s+|please\s+)?(?:ghi nho|nho|luu y|luu lai|remember|note)(?:\s+(?:giup|gium)(?:\s+(?:toi|minh|em))?)?(?:\s+(?:rang|la|that|:))?\s+(.+)$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'remember', fact: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(
      String.raw`(?:(?:ban |em )?(?:nho|biet) (?:gi|nhung gi|duoc gi)(?: ve)?|what do (?:you|we) (?:know|remember)(?: about)?|what does (?:the )?customer (?:like|prefer)|(?:khach|customer)(?: nay)? (?:thich|like|prefer|hay mua|usually buy)s? (?:gi|what)|so thich(?: cua)?|preferences?(?: of)?)\s*(.*)$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'recall', topic: specificTopic(text.span(match, 1)) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:khach|khach hang|customer|the customer)(?: nay)? (?:thich|hay mua|thuong mua|likes?|prefers?|usually buys?) (.+?) (?:gi|nao|loai nao|what)\s*[?.!]*$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'recall', topic: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:xem|hien thi|kiem tra|mo|show|view|open|check|see|what'?s in|whats in)(?:\s+(?:lai|the|my|cai))?\s+${cartWords}\b|^${cartWords}(?:\s+(?:co gi|gom nhung gi|hien tai|now))?\s*[?.!]*$`,
      'd',
    ),
    build: () => ({ kind: 'show_cart' }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?!.*\b(?:vao|into|to)\s+(?:the\s+)?${cartWords})(?:xoa|bo|loai bo|huy|remove|delete|take out|drop)\s+(.+?)(?:\s+(?:ra\s+)?(?:khoi|from|out of)\s+(?:the\s+|my\s+)?${cartWords}.*)?$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'remove', query: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:doi|sua|cap nhat|chinh|change|set|update|make)\s+(?:so luong\s+|the quantity of\s+|quantity of\s+)?(.+?)\s+(?:thanh|len|xuong|con|to|=)\s+${quantity}\b`,
      'd',
    ),
    build: (text, match) => ({ kind: 'update', query: text.span(match, 1), quantity: toQuantity(match[2]) }),
  },
  {
    // The pack words stay in the query ("thùng bia tiger", "cans of Tiger beer"): the search and the
    // cart tool add only that pack.
    pattern: new RegExp(String.raw`^(?:them|cho them|bo|bo them|lay|lay them|mua|add|put|get|buy)\s+(?:${quantity}\s+(?=\S))?(.+)$`, 'd'),
    build: (text, match) => ({ kind: 'add', query: text.span(match, 2), quantity: toQuantity(match[1]) }),
  },
  {
    pattern: new RegExp(
      String.raw`(?:nguyen lieu|ingredients?)(?:\s+(?:de|cho|nau|lam|mon|for|to make|of|a|the))*\s+(.+)$|^(?:nau|lam|cook|make)\s+(.+?)\s+(?:can|mua|need)`,
      'd',
    ),
    build: (text, match) => ({ kind: 'ingredients', dish: text.span(match, match[1] === undefined ? 2 : 1) }),
  },
  {
    pattern: new RegExp(String.raw`^(?:so sanh|compare)\s+(.+?)\s+(?:va|voi|and|with|vs\.?|versus)\s+(.+)$`, 'd'),
    build: (text, match) => ({ kind: 'compare', first: text.span(match, 1), second: text.span(match, 2) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:xem\s+|cho xem\s+|show\s+|give\s+)?(?:chi tiet|thong tin|mo ta|details?|info|information|describe)(?:\s+(?:ve|cua|of|about|for|san pham))*\s+(.+)$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'details', query: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:tim kiem|tim|kiem|tra cuu|co ban|co|search(?: for)?|find|look for|looking for|do (?:you|we) (?:have|sell)|how much (?:is|are)|gia(?: cua)?|gia bao nhieu)\s+(.+?)(?:\s+(?:khong|ko|gia bao nhieu|bao nhieu tien))?\s*[?.!]*$`,
      'd',
    ),
    build: (text, match) => ({ kind: 'search', query: text.span(match, 1) }),
  },
  {
    pattern: new RegExp(String.raw`^(.+?)\s+(?:gia bao nhieu|bao nhieu tien|gia the nao|con hang khong|co khong|co ban khong)\s*[?.!]*$`, 'd'),
    build: (text, match) => ({ kind: 'search', query: text.span(match, 1) }),
  },
  {
    pattern: /^(?:xin chao|chao|alo|hello|hi|hey|good (?:morning|afternoon|evening))\b[\s\w]{0,20}[!.?]*$/d,
    build: () => ({ kind: 'greet' }),
  },
];

/** Parses a staff request in Vietnamese (with or without accents) or English. */
export function parseIntent(message: string): Intent {
  const text = new Folded(message);
  for (const rule of rules) {
    const match = rule.pattern.exec(text.folded);
    if (!match) continue;
    const intent = rule.build(text, match);
    if (intent && !hasEmptyText(intent)) return intent;
  }
  // A short request without a verb is most often a product name ("sữa tươi TH").
  const words = text.folded.split(' ').filter(Boolean);
  if (words.length > 0 && words.length <= 6 && !/[?]$/.test(text.folded)) {
    return { kind: 'search', query: clean(text.original, text.folded) };
  }
  return { kind: 'unknown' };
}

function hasEmptyText(intent: Intent): boolean {
  switch (intent.kind) {
    case 'search':
    case 'details':
    case 'add':
    case 'update':
    case 'remove':
      return intent.query.length === 0;
    case 'compare':
      return intent.first.length === 0 || intent.second.length === 0;
    case 'ingredients':
      return intent.dish.length === 0;
    case 'remember':
      return intent.fact.length === 0;
    case 'forget':
      return intent.topic.length === 0;
    default:
      return false;
  }
}
