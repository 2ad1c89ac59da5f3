import { tokenize } from '@shared/packs';
import { foldAccents } from '@shared/text';
import { errorFacts, type Logger } from '../core/logger';
import { englishGroceryWords } from './glossary';

export type VocabularyKind = 'word' | 'pair' | 'name';

/** One learned spelling: a word (`đường`), two adjacent words (`hướng dương`), or a name already learned from. */
export interface VocabularyRow {
  kind: VocabularyKind;
  term: string;
  weight: number;
}

/** Where a store's vocabulary is kept between runs (SQLite in the app, nothing in most tests). */
export interface VocabularyStore {
  load(): VocabularyRow[];
  save(changed: readonly VocabularyRow[], removed: readonly Pick<VocabularyRow, 'kind' | 'term'>[]): void;
}

/** How many spellings of each kind are kept; the least seen go first. */
export interface VocabularyLimits {
  words: number;
  pairs: number;
  names: number;
}

export const defaultVocabularyLimits: VocabularyLimits = { words: 20_000, pairs: 60_000, names: 30_000 };

/** What the vocabulary did to a typed word. */
export type WordChange = 'accents' | 'split' | 'joined' | 'typo' | 'english';

/** One typed word (or two joined, or an English phrase) as the search sends it. */
export interface RestoredTerm {
  /** What was typed, lowercase. */
  typed: string;
  /** What is sent to the store: one word, or more (`red bull`, `sữa tươi`). */
  words: string[];
  /** Folded word sets of which any one, all present in a product's name, counts as this term matched. */
  forms: string[][];
  changes: WordChange[];
  /** Every word sent occurs in the store's names. */
  known: boolean;
}

const englishPhrases = new Map(Object.entries(englishGroceryWords).map(([english, vietnamese]) => [english, vietnamese.split(' ')]));
const LONGEST_PHRASE = Math.max(...[...englishPhrases.keys()].map((phrase) => phrase.split(' ').length));
const englishWords = new Set([...englishPhrases.keys()].flatMap((phrase) => phrase.split(' ')));

const hasDigit = (word: string) => /\d/.test(word);

/**
 * The store's own spelling, learned from the product and category names it shows: every word and
 * pair of adjacent words with how often it was seen. It gives typed queries their accents back
 * (`duong bien hoa` → `đường biên hòa`, `dau huong duong` → `dầu hướng dương`, the neighbours
 * deciding), splits and joins words (`redbull` → `red bull`, `vina milk` → `vinamilk`), mends typos
 * (`heniken` → `heineken`) and reads English grocery words (`beer` → `bia`). It never sends a
 * spelling the store's names do not have: an unknown word is sent as typed. Bounded by
 * `limits`, persisted through `store` after each search.
 */
export class SearchVocabulary {
  /** folded word → spelling → weight */
  private readonly words = new Map<string, Map<string, number>>();
  /** folded pair → spelling pair → weight */
  private readonly pairs = new Map<string, Map<string, number>>();
  /** A pair's two folded words run together (`redbull`) → the folded pair (`red bull`). */
  private readonly joined = new Map<string, string>();
  /** Names learned from, oldest first. */
  private readonly names = new Set<string>();
  private wordCount = 0;
  private pairCount = 0;
  private readonly changed = new Map<string, VocabularyRow>();
  private readonly removed = new Map<string, Pick<VocabularyRow, 'kind' | 'term'>>();
  private loaded = false;
  private saveFailing = false;

  constructor(
    private readonly store: VocabularyStore | null,
    private readonly log: Logger,
    private readonly limits: VocabularyLimits = defaultVocabularyLimits,
  ) {}

  /** Spellings known, words and pairs together (for tests and the benchmark). */
  get size(): number {
    this.ensureLoaded();
    return this.wordCount + this.pairCount;
  }

  /** Learns a product or category name once; `weight` counts a category name more than one product's. */
  learn(name: string, weight = 1): void {
    this.ensureLoaded();
    const text = name.normalize('NFC').trim();
    if (!text || this.names.has(text)) return;
    this.names.add(text);
    this.touch('name', text, 1);
    if (this.names.size > this.limits.names) {
      const oldest = this.names.values().next().value!;
      this.names.delete(oldest);
      this.forget('name', oldest);
    }
    const tokens = tokenize(text);
    for (let i = 0; i < tokens.length; i++) {
      this.add('word', tokens[i]!, weight);
      if (i + 1 < tokens.length) this.add('pair', `${tokens[i]} ${tokens[i + 1]}`, weight);
    }
    if (this.wordCount > this.limits.words) this.evict('word');
    if (this.pairCount > this.limits.pairs) this.evict('pair');
  }

  /** Whether the store's names have this folded word. */
  knows(folded: string): boolean {
    this.ensureLoaded();
    return this.words.has(folded);
  }

  /**
   * How the store spells `word` next to its neighbours, by the pairs its names have (`chai` after
   * `ban` is `chải`, in `bàn chải`); null when it has no such pair.
   */
  spellingBeside(word: string, previous: string | undefined, next: string | undefined): string | null {
    this.ensureLoaded();
    let best: { spelling: string; weight: number } | null = null;
    const consider = (pair: string, index: 0 | 1) => {
      const found = this.bestOf(this.pairs.get(pair));
      if (found && (!best || found.weight > best.weight)) best = { spelling: found.term.split(' ')[index]!, weight: found.weight };
    };
    const folded = foldAccents(word);
    if (previous !== undefined) consider(`${foldAccents(previous)} ${folded}`, 1);
    if (next !== undefined) consider(`${folded} ${foldAccents(next)}`, 0);
    return (best as { spelling: string } | null)?.spelling ?? null;
  }

  /** The query's words as the store spells them, each with what was done to it. */
  restore(typedWords: readonly string[]): RestoredTerm[] {
    this.ensureLoaded();
    let terms = typedWords.map((word): RestoredTerm => ({ typed: word, words: [word], forms: [[foldAccents(word)]], changes: [], known: false }));
    terms = this.splitAndJoin(terms);
    terms = this.translate(terms);
    terms = terms.map((term) => this.mendTypo(term));
    this.restoreAccents(terms);
    return terms;
  }

  /** Writes what was learned since the last call; a failure is logged and the words stay in memory. */
  flush(): void {
    if (!this.store || (this.changed.size === 0 && this.removed.size === 0)) return;
    const changed = [...this.changed.values()];
    const removed = [...this.removed.values()];
    try {
      this.store.save(changed, removed);
      this.changed.clear();
      this.removed.clear();
      if (this.saveFailing) this.log.info('the search vocabulary is saved again');
      this.saveFailing = false;
    } catch (error) {
      // Learning goes on in memory; the next search tries again (a read-only data file refuses every write).
      if (!this.saveFailing) this.log.warn({ ...errorFacts(error), pending: changed.length }, 'the search vocabulary could not be saved');
      this.saveFailing = true;
      // While writes keep failing, what waits to be saved stays bounded: the words stay in memory, the backlog goes.
      if (this.changed.size + this.removed.size > this.limits.words) {
        this.changed.clear();
        this.removed.clear();
      }
    }
  }

  private ensureLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.store) return;
    let rows: VocabularyRow[];
    try {
      rows = this.store.load();
    } catch (error) {
      // Without the stored words the search still works; it learns them again from results.
      this.log.warn({ ...errorFacts(error) }, 'the search vocabulary could not be read; it is learned again');
      return;
    }
    for (const row of rows) {
      if (row.kind === 'name') this.names.add(row.term);
      else this.put(row.kind, row.term, row.weight);
    }
  }

  private add(kind: 'word' | 'pair', term: string, weight: number): void {
    const total = this.put(kind, term, (this.weightOf(kind, term) ?? 0) + weight);
    this.touch(kind, term, total);
  }

  private put(kind: 'word' | 'pair', term: string, weight: number): number {
    const map = kind === 'word' ? this.words : this.pairs;
    const folded = foldAccents(term);
    let spellings = map.get(folded);
    if (!spellings) {
      spellings = new Map();
      map.set(folded, spellings);
      if (kind === 'pair') {
        const together = folded.replace(' ', '');
        const current = this.joined.get(together);
        if (!current || (this.bestOf(this.pairs.get(current))?.weight ?? 0) < weight) this.joined.set(together, folded);
      }
    }
    if (!spellings.has(term)) {
      if (kind === 'word') this.wordCount++;
      else this.pairCount++;
    }
    spellings.set(term, weight);
    return weight;
  }

  private weightOf(kind: 'word' | 'pair', term: string): number | undefined {
    return (kind === 'word' ? this.words : this.pairs).get(foldAccents(term))?.get(term);
  }

  private touch(kind: VocabularyKind, term: string, weight: number): void {
    const key = `${kind}\t${term}`;
    this.removed.delete(key);
    this.changed.set(key, { kind, term, weight });
  }

  private forget(kind: VocabularyKind, term: string): void {
    const key = `${kind}\t${term}`;
    this.changed.delete(key);
    this.removed.set(key, { kind, term });
  }

  /** Drops the least seen tenth of a kind. */
  private evict(kind: 'word' | 'pair'): void {
    const map = kind === 'word' ? this.words : this.pairs;
    const all: { folded: string; term: string; weight: number }[] = [];
    for (const [folded, spellings] of map) for (const [term, weight] of spellings) all.push({ folded, term, weight });
    all.sort((a, b) => a.weight - b.weight);
    for (const { folded, term } of all.slice(0, Math.ceil(all.length / 10))) {
      const spellings = map.get(folded)!;
      spellings.delete(term);
      if (spellings.size === 0) {
        map.delete(folded);
        if (kind === 'pair') this.joined.delete(folded.replace(' ', ''));
      }
      if (kind === 'word') this.wordCount--;
      else this.pairCount--;
      this.forget(kind, term);
    }
  }

  private bestOf(spellings: Map<string, number> | undefined): { term: string; weight: number } | null {
    let best: { term: string; weight: number } | null = null;
    for (const [term, weight] of spellings ?? []) if (!best || weight > best.weight) best = { term, weight };
    return best;
  }

  private knownSpelling(word: string): boolean {
    return this.words.get(foldAccents(word))?.has(word) ?? false;
  }

  /** English grocery words the store's vocabulary can say in Vietnamese (`fresh milk` → `sữa tươi`), among the words left as typed. */
  private translate(terms: RestoredTerm[]): RestoredTerm[] {
    const plain = (term: RestoredTerm | undefined) => term !== undefined && term.changes.length === 0 && term.words.length === 1;
    const out: RestoredTerm[] = [];
    for (let i = 0; i < terms.length;) {
      let matched = 0;
      for (let length = Math.min(LONGEST_PHRASE, terms.length - i); length >= 1 && matched === 0; length--) {
        const span = terms.slice(i, i + length);
        if (!span.every(plain)) continue;
        const phrase = span.map((term) => foldAccents(term.words[0]!)).join(' ');
        const vietnamese = englishPhrases.get(phrase);
        if (!vietnamese || !vietnamese.every((word) => this.knownSpelling(word))) continue;
        // A word the store itself uses next to its neighbour stays ("TH true MILK").
        if (length === 1 && this.partOfKnownPair(terms, i)) continue;
        out.push({
          typed: phrase,
          words: [...vietnamese],
          forms: [vietnamese.map(foldAccents), phrase.split(' ')],
          changes: ['english'],
          known: true,
        });
        matched = length;
      }
      if (matched === 0) {
        out.push(terms[i]!);
        matched = 1;
      }
      i += matched;
    }
    return out;
  }

  private partOfKnownPair(terms: readonly RestoredTerm[], index: number): boolean {
    const folded = (at: number) => {
      const word = terms[at]?.words.at(at < index ? -1 : 0);
      return word === undefined ? null : foldAccents(word);
    };
    const here = folded(index)!;
    const before = folded(index - 1);
    const after = folded(index + 1);
    return (before !== null && this.pairs.has(`${before} ${here}`)) || (after !== null && this.pairs.has(`${here} ${after}`));
  }

  /** `redbull` → `red bull` (a pair the store writes apart); `vina milk` → `vinamilk` (a word it writes together). */
  private splitAndJoin(terms: RestoredTerm[]): RestoredTerm[] {
    const out: RestoredTerm[] = [];
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      const next = terms[i + 1];
      if (term.changes.length > 0 || term.words.length !== 1) {
        out.push(term);
        continue;
      }
      const folded = foldAccents(term.words[0]!);
      if (next && next.changes.length === 0 && next.words.length === 1) {
        const nextFolded = foldAccents(next.words[0]!);
        const together = folded + nextFolded;
        const eitherUnknown = !this.words.has(folded) || !this.words.has(nextFolded);
        const spelled = this.bestOf(this.words.get(together))?.term;
        if (eitherUnknown && spelled && !this.pairs.has(`${folded} ${nextFolded}`)) {
          out.push({
            typed: `${term.typed} ${next.typed}`,
            words: [spelled],
            forms: [[together], [folded, nextFolded]],
            changes: ['joined'],
            known: true,
          });
          i++;
          continue;
        }
      }
      const parts = !this.words.has(folded) ? this.segment(folded) : null;
      if (parts) {
        out.push({ typed: term.typed, words: parts.spelled, forms: [parts.folded, [folded]], changes: ['split'], known: true });
        continue;
      }
      out.push(term);
    }
    return out;
  }

  /**
   * A word run together from two or three the store writes side by side (`redbull` → `red bull`,
   * `saigonfood` → `sài gòn food`): every neighbouring two must be a pair of the names. The split
   * whose pairs were seen most wins.
   */
  private segment(folded: string): { folded: string[]; spelled: string[] } | null {
    const two = this.joined.get(folded);
    if (two) {
      const spelled = this.bestOf(this.pairs.get(two))?.term.split(' ');
      if (spelled) return { folded: two.split(' '), spelled };
    }
    let best: { folded: string[]; weight: number } | null = null;
    for (let first = 2; first <= folded.length - 4; first++) {
      for (let second = first + 2; second <= folded.length - 2; second++) {
        const parts = [folded.slice(0, first), folded.slice(first, second), folded.slice(second)];
        const left = this.bestOf(this.pairs.get(`${parts[0]} ${parts[1]}`));
        const right = this.bestOf(this.pairs.get(`${parts[1]} ${parts[2]}`));
        if (!left || !right) continue;
        const weight = left.weight + right.weight;
        if (!best || weight > best.weight) best = { folded: parts, weight };
      }
    }
    if (!best) return null;
    const [a, b, c] = best.folded as [string, string, string];
    const left = this.bestOf(this.pairs.get(`${a} ${b}`))!.term.split(' ');
    const right = this.bestOf(this.pairs.get(`${b} ${c}`))!.term.split(' ');
    return { folded: best.folded, spelled: [left[0]!, left[1]!, right[1]!] };
  }

  /** A word the store never uses, one or two letters from one it does (`heniken` → `heineken`). */
  private mendTypo(term: RestoredTerm): RestoredTerm {
    if (term.changes.length > 0 || term.words.length !== 1) return term;
    const folded = foldAccents(term.words[0]!);
    // English grocery words are words, not typos (`dish` is not `đình`).
    if (this.words.has(folded) || hasDigit(folded) || folded.length < 4 || englishWords.has(folded)) return term;
    const allowed = folded.length >= 7 ? 2 : 1;
    let best: { word: string; distance: number; weight: number } | null = null;
    for (const [candidate, spellings] of this.words) {
      if (candidate[0] !== folded[0] || Math.abs(candidate.length - folded.length) > allowed || candidate.length < 3) continue;
      // A four-letter word is mended only by a letter more or less (`knor` → `knorr`), never another letter.
      if (folded.length === 4 && candidate.length === 4) continue;
      const distance = editDistance(folded, candidate, allowed);
      if (distance > allowed) continue;
      const weight = this.bestOf(spellings)?.weight ?? 0;
      if (!best || distance < best.distance || (distance === best.distance && weight > best.weight)) best = { word: candidate, distance, weight };
    }
    if (!best) return term;
    return { typed: term.typed, words: [best.word], forms: [[best.word], [folded]], changes: ['typo'], known: true };
  }

  /**
   * Gives every word typed without accents (or with accents the store does not use) the store's
   * spelling, choosing among spellings of the same folded word by its neighbours: the sequence whose
   * pairs the store's names have most wins, then the most frequent word.
   */
  private restoreAccents(terms: RestoredTerm[]): void {
    const slots: { term: RestoredTerm; index: number; options: { spelling: string; weight: number }[] }[] = [];
    for (const term of terms) {
      term.words.forEach((word, index) => {
        const folded = foldAccents(word);
        const spellings = this.words.get(folded);
        // Typed with accents the store uses, or a number: kept as typed. A word typed without
        // accents is restored even when the store also writes it so (`an` in `Tường An`, `ăn` in `dầu ăn`).
        const typedWithKnownAccents = folded !== word && (spellings?.has(word) ?? false);
        if (!spellings || typedWithKnownAccents || hasDigit(word)) {
          slots.push({ term, index, options: [{ spelling: word, weight: spellings?.get(word) ?? 0 }] });
          return;
        }
        const options = [...spellings].map(([spelling, weight]) => ({ spelling, weight })).sort((a, b) => b.weight - a.weight);
        slots.push({ term, index, options: options.slice(0, 6) });
      });
    }
    if (slots.length === 0) return;
    // Viterbi over the few spellings each word has.
    const scores: number[][] = [];
    const back: number[][] = [];
    slots.forEach((slot, position) => {
      scores.push([]);
      back.push([]);
      slot.options.forEach((option, choice) => {
        const own = Math.log1p(option.weight);
        if (position === 0) {
          scores[0]![choice] = own;
          back[0]![choice] = -1;
          return;
        }
        let bestScore = -Infinity;
        let bestPrevious = 0;
        slots[position - 1]!.options.forEach((previous, previousChoice) => {
          const pairWeight =
            this.pairs.get(`${foldAccents(previous.spelling)} ${foldAccents(option.spelling)}`)?.get(`${previous.spelling} ${option.spelling}`) ?? 0;
          const score = scores[position - 1]![previousChoice]! + 4 * Math.log1p(pairWeight);
          if (score > bestScore) [bestScore, bestPrevious] = [score, previousChoice];
        });
        scores[position]![choice] = bestScore + own;
        back[position]![choice] = bestPrevious;
      });
    });
    const last = scores.at(-1)!;
    let choice = last.indexOf(Math.max(...last));
    for (let position = slots.length - 1; position >= 0; position--) {
      const slot = slots[position]!;
      const spelling = slot.options[choice]!.spelling;
      const typed = slot.term.words[slot.index]!;
      if (spelling !== typed) {
        slot.term.words[slot.index] = spelling;
        if (!slot.term.changes.includes('accents')) slot.term.changes.push('accents');
      }
      choice = back[position]![choice]!;
    }
    for (const term of terms) term.known = term.words.every((word) => this.knownSpelling(word));
  }
}

/** Whether an English word makes a grocery name with a neighbour (`spring rolls`, `tea bags`): then it is not a pack word. */
export function inEnglishPhrase(word: string, previous: string | undefined, next: string | undefined): boolean {
  return (previous !== undefined && englishPhrases.has(`${previous} ${word}`)) || (next !== undefined && englishPhrases.has(`${word} ${next}`));
}

/** Optimal string alignment distance (adjacent swaps count one), giving up above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]![j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (i > 0 && rowMinimum > limit) return limit + 1;
  }
  return rows[a.length]![b.length]!;
}
