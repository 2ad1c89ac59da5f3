import type { CategorySummary, ProductSearchResult, ProductSummary, SearchAttempt, SearchStep } from '@shared/commerce';
import { searchRequestSchema } from '@shared/contract/commerce';
import { AppError } from '@shared/errors';
import { describePack, packAgreement, packOfProduct, packWords, parsePackQuery, tokenize, type PackRequest } from '@shared/packs';
import { foldAccents } from '@shared/text';
import { sleep } from '../core/clock';
import { errorFacts, type Logger } from '../core/logger';
import { parseInput } from './input';
import type { CallContext, InteractiveInput } from './interactiveCall';
import type { Operations } from './operations';
import { shapeProduct, type RawProducts } from './shape';
import type { GraphQLTransport } from './transport';
import { inEnglishPhrase, type RestoredTerm, type SearchVocabulary } from './vocabulary';

export interface SearchInput extends InteractiveInput {
  query: string;
  pageSize?: number;
  currentPage?: number;
}

export interface ProductSearchOptions {
  transport: GraphQLTransport;
  operations: Operations;
  mmExtensions: boolean;
  /** The store's minimum search length. */
  minQueryLength: number;
  storeBaseUrl: string;
  /** The store's department tree: its names teach the vocabulary, and it is the last step's answer. */
  categories(call: CallContext): Promise<CategorySummary[]>;
  /** The store's spelling, learned from the names it shows. */
  vocabulary: SearchVocabulary;
  /** A new vocabulary first learns from every department, in the background (the app: on; most tests: off). */
  warmUp: boolean;
  logger: Logger;
}

/** Products fetched for each query whatever page the caller wants, so the order never depends on the page size. */
export const CANDIDATE_POOL = 60;
/** Queries one search may send while leaving words out. */
const MAX_FEWER_TERMS_QUERIES = 12;
/** Weight of the pack's fit against one typed word: it orders products that match the same words, never more. */
const PACK_WEIGHT = 0.4;
/** Two typed words side by side in a name as typed (`dầu ăn`, not `dầu gạo Tường An`): less than a word. */
const ADJACENT_WEIGHT = 0.3;
/** Category names are seen once each but speak for a whole department. */
const CATEGORY_WEIGHT = 3;
/** A vocabulary with fewer spellings than this is new: it learns from the store's departments first. */
const NEW_VOCABULARY = 500;
/** What the warm-up reads: the first pages of each department, at most this many queries. */
const WARM_UP_QUERIES = 120;
const WARM_UP_PAGES_PER_DEPARTMENT = 2;
const WARM_UP_PAGE_SIZE = 200;
/** The share of the app's request budget the warm-up may use, so staff's own calls never queue behind it. */
const WARM_UP_BUDGET_SHARE = 0.25;

/** The query as the search understands it. */
interface Understood {
  quantity: number | null;
  pack: PackRequest | null;
  terms: RestoredTerm[];
  /** The words sent to the store: the terms as the store spells them, then the pack in the catalog's words. */
  text: string;
  /** The vocabulary changed a word (accents, split, joined, typo, English); else only units, packs or the quantity were rewritten. */
  vocabularyChanged: boolean;
}

/** What one query found: its first candidates, and how to fetch the next ones. */
interface Found {
  step: SearchStep;
  text: string;
  items: ProductSummary[];
  total: number;
  /** The next page of CANDIDATE_POOL products (single queries only). */
  more: ((page: number) => Promise<ProductSummary[]>) | null;
}

/**
 * Catalog search that explains itself and ranks what staff mean. Magento matches every keyword as
 * typed and folds no accents, so the query is understood first: quantity and pack words read
 * (`2 thùng bia tiger` → 2 × `thùng`), the words given the store's own spelling from a vocabulary
 * learned from its names (`vocabulary.ts`). Then, until one finds something: `exact` (as typed),
 * `folded` (the store's spelling) or `units` (only units rewritten, `1 lít` → `1l`), `fewer_terms`
 * (words the store does not know left out first, then any one word, then any two, the results
 * merged), `name_match` (part of a name), `category` (the department whose name fits best).
 * Every step fetches the same CANDIDATE_POOL products and ranks them by how many typed words
 * (folded) each name has, the fit of its pack counted, the store's order breaking ties; the page
 * asked for is cut from that. The answer lists every query tried, in words.
 */
export class ProductSearch {
  private warmUp: Promise<void> | null = null;

  constructor(private readonly options: ProductSearchOptions) {}

  /** Settles when the warm-up of a new vocabulary has ended (at once when none ran). */
  whenWarm(): Promise<void> {
    return this.warmUp ?? Promise.resolve();
  }

  async search(input: SearchInput, call: CallContext): Promise<ProductSearchResult> {
    const {
      query,
      pageSize = 20,
      currentPage = 1,
    } = parseInput(searchRequestSchema, {
      query: input.query,
      pageSize: input.pageSize,
      currentPage: input.currentPage,
    });
    const { minQueryLength } = this.options;
    const typed = query.normalize('NFC').replace(/\s+/g, ' ').trim();
    if ([...typed].length < minQueryLength) {
      throw new AppError('store_input', `Search needs at least ${minQueryLength} characters; "${typed}" is too short`, {
        minQueryLength,
      });
    }
    const run = new SearchRun(this.options, call);
    try {
      return await this.find(typed, run, { pageSize, currentPage });
    } finally {
      this.options.vocabulary.flush();
    }
  }

  private async find(typed: string, run: SearchRun, page: { pageSize: number; currentPage: number }): Promise<ProductSearchResult> {
    const exact = await run.attempt('exact', typed);
    if (exact) return this.answer(run, exact, this.understand(typed), page);

    this.startWarmUp();
    await this.learnCategoryNames(run.call);
    const understood = this.understand(typed);
    const restored = await run.attempt(understood.vocabularyChanged ? 'folded' : 'units', understood.text);
    if (restored) return this.answer(run, restored, understood, page);

    const widened = (await this.fewerTerms(run, understood)) ?? (await this.byNameOrDepartment(run, understood));
    if (widened) {
      // What those results taught may spell the whole query now (`mi hao hao`: the noodles found teach
      // `hảo`), or know words that were left out as unknown (`nam ngư`): once more with what was learned.
      const relearned = this.understand(typed);
      const whole = relearned.text !== understood.text ? await run.attempt('folded', relearned.text) : null;
      if (whole) return this.answer(run, whole, relearned, page);
      const unknown = (terms: RestoredTerm[]) => terms.filter((term) => !term.known).length;
      const closer = unknown(relearned.terms) < unknown(understood.terms) ? await this.fewerTerms(run, relearned) : null;
      return closer ? this.answer(run, closer, relearned, page) : this.answer(run, widened, understood, page);
    }
    return {
      items: [],
      total: 0,
      currentPage: page.currentPage,
      totalPages: 0,
      query: typed,
      fallback: { step: 'none', tried: run.attempts.map((attempt) => attempt.text), attempts: run.attempts },
      suggestions: run.suggestions,
      pack: understood.pack ? describePack(understood.pack) : null,
      quantity: understood.quantity,
    };
  }

  /** Part of a product's name (a word typed unfinished, `Vinami`), then the department whose name fits best. */
  private async byNameOrDepartment(run: SearchRun, understood: Understood): Promise<Found | null> {
    const content = understood.terms.flatMap((term) => term.words).join(' ');
    if ([...content].length >= this.options.minQueryLength) {
      const named = await run.attempt('name_match', content, { filter: { name: { match: content } } });
      if (named) return named;
    }
    const category = await this.bestCategory(understood, run.call);
    return category ? run.attempt('category', category.name, { filter: { category_uid: { eq: category.uid } } }) : null;
  }

  /** Quantity, pack and the words in the store's spelling. */
  private understand(typed: string): Understood {
    const { vocabulary } = this.options;
    const parsed = parsePackQuery(typed, {
      spellingBeside: (word, previous, next) => vocabulary.spellingBeside(word, previous, next),
      knows: (folded) => vocabulary.knows(folded),
      inPhrase: inEnglishPhrase,
    });
    const terms = vocabulary.restore(parsed.words);
    const pack = parsed.pack ? packWords(parsed.pack) : [];
    return {
      quantity: parsed.quantity,
      pack: parsed.pack,
      terms,
      text: [...terms.flatMap((term) => term.words), ...pack].join(' '),
      vocabularyChanged: terms.some((term) => term.changes.length > 0),
    };
  }

  /**
   * Leaves words out until a query finds something: every word the store never uses, then besides
   * them each other word alone (the last first, so the head noun stays longest), then each two; the
   * results of a round are merged, to be ranked by the words each product has. When the store knows
   * none of the words (a new vocabulary), any of them may go.
   */
  private async fewerTerms(run: SearchRun, understood: Understood): Promise<Found | null> {
    const units = [
      ...understood.terms.map((term) => ({ words: term.words, label: term.typed, known: term.known, content: true })),
      ...(understood.pack ? [{ words: packWords(understood.pack), label: describePack(understood.pack), known: true, content: false }] : []),
    ];
    if (units.length < 2) return null;
    const indices = units.map((_unit, index) => index);
    const unknown = indices.filter((index) => !units[index]!.known && units[index]!.content);
    const someKnown = unknown.length < units.filter((unit) => unit.content).length;
    const always = someKnown ? unknown : [];
    const droppable = [...indices].reverse().filter((index) => !always.includes(index));
    const rounds: number[][][] = [
      always.length > 0 ? [always] : [],
      droppable.map((index) => [...always, index]),
      droppable.flatMap((first) => droppable.flatMap((second) => (second < first ? [[...always, first, second]] : []))),
    ];
    let budget = MAX_FEWER_TERMS_QUERIES;
    for (const round of rounds) {
      const queries = round.flatMap((dropped) => {
        const kept = units.filter((_unit, index) => !dropped.includes(index));
        if (!kept.some((unit) => unit.content)) return [];
        return [{ text: kept.flatMap((unit) => unit.words).join(' '), dropped: dropped.map((index) => units[index]!.label) }];
      });
      const unique = queries.filter((query, index) => queries.findIndex((other) => other.text === query.text) === index && !run.tried(query.text));
      const sent = unique.slice(0, budget);
      budget -= sent.length;
      const found = (await Promise.all(sent.map((query) => run.attempt('fewer_terms', query.text, undefined, query.dropped)))).flatMap((result) =>
        result ? [result] : [],
      );
      if (found.length > 0) return merge(found);
      if (budget <= 0) break;
    }
    return null;
  }

  private async answer(
    run: SearchRun,
    found: Found,
    understood: Understood,
    page: { pageSize: number; currentPage: number },
  ): Promise<ProductSearchResult> {
    const start = (page.currentPage - 1) * page.pageSize;
    const end = start + page.pageSize;
    const ranked = this.rank(found.items, understood);
    // Deeper pages of the same query, each ranked on its own: the order is the same for every page size.
    const pages = Math.min(100, Math.ceil(found.total / CANDIDATE_POOL));
    for (let next = 2; ranked.length < end && found.more && next <= pages; next++) ranked.push(...this.rank(await found.more(next), understood));
    return {
      items: ranked.slice(start, end),
      total: found.total,
      currentPage: page.currentPage,
      totalPages: Math.ceil(found.total / page.pageSize),
      query: found.text,
      fallback: { step: found.step, tried: run.attempts.map((attempt) => attempt.text), attempts: run.attempts },
      suggestions: [],
      pack: understood.pack ? describePack(understood.pack) : null,
      quantity: understood.quantity,
    };
  }

  /**
   * Most typed words first (folded; a word's start counts half; words typed as one, such as a brand
   * split or an English phrase, only together), then typed neighbours that are neighbours in the
   * name, then the pack's fit, then the store's order.
   */
  private rank(items: ProductSummary[], understood: Understood): ProductSummary[] {
    const scored = items.map((item, index) => {
      const name = tokenize(foldAccents(item.name));
      const words = new Set(name);
      let score = 0;
      const matched = understood.terms.map((term) => {
        const form = term.forms.find((candidate) => phraseAt(name, candidate) >= 0);
        if (form) score += 1;
        else if (
          term.forms.some(
            (candidate) => candidate.length === 1 && candidate[0]!.length >= 3 && [...words].some((word) => word.startsWith(candidate[0]!)),
          )
        ) {
          score += 0.5;
        }
        return form ?? null;
      });
      for (let i = 0; i + 1 < matched.length; i++) {
        const [left, right] = [matched[i], matched[i + 1]];
        if (left && right && phraseAt(name, [...left, ...right]) >= 0) score += ADJACENT_WEIGHT;
      }
      let ranked = item;
      if (understood.pack) {
        const fit = packAgreement(understood.pack, packOfProduct(item));
        score += PACK_WEIGHT * fit.score;
        ranked = { ...item, packMatch: fit.agrees };
      }
      return { item: ranked, index, score };
    });
    scored.sort((a, b) => b.score - a.score || a.index - b.index);
    return scored.map((entry) => entry.item);
  }

  /**
   * A new vocabulary (a new install, another store) knows too few words to restore accents, so the
   * first search that needs it starts learning, in the background, from the first products of each
   * department: one query at a time, spaced to use a quarter of the request budget at most, each
   * under the background deadline, saved as it goes. Searches go on meanwhile and learn from their
   * own results too. Once per client.
   */
  private startWarmUp(): void {
    if (!this.options.warmUp || this.warmUp || this.options.vocabulary.size >= NEW_VOCABULARY) return;
    const started = Date.now();
    this.warmUp = this.learnDepartments().then(
      (departments) =>
        this.options.logger.info(
          { departments, spellings: this.options.vocabulary.size, durationMs: Date.now() - started },
          'search vocabulary learned from the departments',
        ),
      (error: unknown) => {
        // The vocabulary still learns from each search's results; the warm-up is not tried again in this run.
        this.options.logger.info({ ...errorFacts(error) }, 'the search vocabulary warm-up stopped');
      },
    );
  }

  private async learnDepartments(): Promise<number> {
    const { transport, operations, vocabulary } = this.options;
    const { clock, rateLimit } = transport.options;
    // Spaced so that it takes at most a quarter of the request budget (100 a minute: one query every 2.4 s).
    const pauseMs = rateLimit.windowMs / Math.max(1, rateLimit.maxRequests * WARM_UP_BUDGET_SHARE);
    const departments = flatten(await this.options.categories({})).filter((category) => category.productCount > 0 && category.children.length === 0);
    let queries = 0;
    let read = 0;
    for (const department of departments) {
      vocabulary.learn(department.name, CATEGORY_WEIGHT);
      const pages = Math.min(WARM_UP_PAGES_PER_DEPARTMENT, Math.ceil(department.productCount / WARM_UP_PAGE_SIZE));
      for (let page = 1; page <= pages && queries < WARM_UP_QUERIES && !transport.closed; page++, queries++) {
        if (queries > 0) await sleep(clock, pauseMs);
        const data = await transport.execute<RawProducts>({
          query: operations.searchProducts,
          variables: { filter: { category_uid: { eq: department.uid } }, pageSize: WARM_UP_PAGE_SIZE, currentPage: page },
          kind: 'query',
        });
        for (const item of data.products?.items ?? []) if (item?.name) vocabulary.learn(item.name);
        vocabulary.flush();
      }
      read++;
      if (queries >= WARM_UP_QUERIES || transport.closed) break;
    }
    return read;
  }

  /** Category names teach the vocabulary the store's own spelling (`Nước mắm & nước chấm`). */
  private async learnCategoryNames(call: CallContext): Promise<void> {
    for (const category of flatten(await this.categoriesOrNone(call))) this.options.vocabulary.learn(category.name, CATEGORY_WEIGHT);
  }

  /** The department tree, or none when the store cannot give it: the search goes on without it. */
  private categoriesOrNone(call: CallContext): Promise<CategorySummary[]> {
    return this.options.categories(call).catch((error: unknown) => {
      if (call.signal?.aborted) throw error;
      const { code, httpStatus } = errorFacts(error);
      this.options.logger.debug({ code, httpStatus }, 'categories unavailable; the search goes on without them');
      return [];
    });
  }

  private async bestCategory(understood: Understood, call: CallContext): Promise<CategorySummary | null> {
    const words = new Set(understood.terms.flatMap((term) => term.forms.flat()).filter((word) => word.length >= 2));
    let best: CategorySummary | null = null;
    let bestScore = 0;
    for (const category of flatten(await this.categoriesOrNone(call))) {
      const names = new Set(tokenize(foldAccents(category.name)));
      const matched = [...names].filter((word) => words.has(word)).length;
      // Shared words first; among equals, the category whose name is most covered by the query.
      const score = matched === 0 ? 0 : matched + matched / names.size;
      if (score > bestScore) {
        best = category;
        bestScore = score;
      }
    }
    return best;
  }
}

/** The queries of one search: what was tried, the store's suggestions, and the candidates found. */
class SearchRun {
  readonly attempts: SearchAttempt[] = [];
  suggestions: string[] = [];
  private readonly sent = new Set<string>();

  constructor(
    private readonly options: ProductSearchOptions,
    readonly call: CallContext,
  ) {}

  tried(text: string): boolean {
    return this.sent.has(JSON.stringify({ search: text }));
  }

  /** Sends one query (its first CANDIDATE_POOL products); null when it finds nothing or was sent before. */
  async attempt(step: SearchStep, text: string, variables?: Record<string, unknown>, dropped?: string[]): Promise<Found | null> {
    const query = variables ?? { search: text };
    const key = JSON.stringify(query);
    if (this.sent.has(key) || ('search' in query && [...text].length < this.options.minQueryLength)) return null;
    this.sent.add(key);
    this.attempts.push({ step, text, ...(dropped && dropped.length > 0 ? { dropped } : {}) });
    const fetchPage = async (currentPage: number) => {
      const data = await this.options.transport.execute<RawProducts>({
        query: this.options.operations.searchProducts,
        variables: { ...query, pageSize: CANDIDATE_POOL, currentPage },
        kind: 'query',
        cacheable: true,
        ...this.call,
      });
      return data.products;
    };
    const products = await fetchPage(1);
    if (this.suggestions.length === 0)
      this.suggestions = (products?.suggestions ?? []).flatMap((suggestion) => (suggestion ? [suggestion.search] : []));
    const items = this.shape(products);
    if (items.length === 0) return null;
    return {
      step,
      text,
      items,
      total: products?.total_count ?? items.length,
      more: async (page) => this.shape(await fetchPage(page)),
    };
  }

  /** The store's products as the app shows them; every name teaches the vocabulary. */
  private shape(products: RawProducts['products']): ProductSummary[] {
    const { storeBaseUrl, mmExtensions, vocabulary } = this.options;
    return (products?.items ?? []).flatMap((item) => {
      if (!item) return [];
      if (item.name) vocabulary.learn(item.name);
      return [shapeProduct(item, storeBaseUrl, mmExtensions)];
    });
  }
}

/** The candidates of several queries as one list, in the order found, each product once. */
function merge(found: Found[]): Found {
  const seen = new Set<string>();
  const items = found.flatMap((result) => result.items).filter((item) => !seen.has(item.sku) && seen.add(item.sku));
  return { step: 'fewer_terms', text: found[0]!.text, items, total: items.length, more: null };
}

/** Where `phrase` starts in `words` (consecutive), or -1. */
function phraseAt(words: readonly string[], phrase: readonly string[]): number {
  for (let start = 0; start + phrase.length <= words.length; start++)
    if (phrase.every((word, offset) => words[start + offset] === word)) return start;
  return -1;
}

function flatten(categories: CategorySummary[]): CategorySummary[] {
  return categories.flatMap((category) => [category, ...flatten(category.children)]);
}
