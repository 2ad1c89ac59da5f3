import type { CategorySummary, ProductSearchResult, SearchStep } from '@shared/commerce';
import { searchRequestSchema } from '@shared/contract/commerce';
import { AppError } from '@shared/errors';
import { foldAccents } from '@shared/text';
import { errorFacts, type Logger } from '../core/logger';
import { parseInput } from './input';
import type { Operations } from './operations';
import { shapeProduct, type RawProducts } from './shape';
import { groceryPhrases, normalizeUnits, tokenize, Vocabulary } from './text';
import type { GraphQLTransport } from './transport';

export interface SearchInput {
  query: string;
  pageSize?: number;
  currentPage?: number;
  signal?: AbortSignal;
}

export interface ProductSearchOptions {
  transport: GraphQLTransport;
  operations: Operations;
  mmExtensions: boolean;
  /** The store's minimum search length. */
  minQueryLength: number;
  storeBaseUrl: string;
  /** The store's department tree: its names teach the vocabulary, and it is the last step's answer. */
  categories(signal?: AbortSignal): Promise<CategorySummary[]>;
  logger: Logger;
}

/**
 * Catalog search that explains itself. Magento matches every keyword as typed and folds no accents,
 * so a query that finds nothing is tried again, step by step, until one finds something: `exact`
 * (as typed), `folded` (accents restored from grocery phrases and the names the store has shown:
 * "sua tuoi" → "sữa tươi"), `units` ("1 lít" → "1l"), `fewer_terms` (quantities, then words from
 * the end), `name_match` (a name filter), `category` (the category whose name fits best). The
 * answer says which step found it and every query tried; `none`, with the store's suggestions,
 * when none did.
 */
export class ProductSearch {
  /** Learns the store's spelling from every product and category name it sees. */
  private readonly vocabulary = new Vocabulary(groceryPhrases);

  constructor(private readonly options: ProductSearchOptions) {}

  async search(input: SearchInput): Promise<ProductSearchResult> {
    const { minQueryLength, mmExtensions, storeBaseUrl } = this.options;
    const {
      query,
      pageSize = 20,
      currentPage = 1,
    } = parseInput(searchRequestSchema, {
      query: input.query,
      pageSize: input.pageSize,
      currentPage: input.currentPage,
    });
    const typed = query.normalize('NFC').replace(/\s+/g, ' ');
    if ([...typed].length < minQueryLength) {
      throw new AppError('store_input', `Search needs at least ${minQueryLength} characters; "${typed}" is too short`, {
        minQueryLength,
      });
    }
    const tried: string[] = [];
    const attempted = new Set<string>();
    const page = { pageSize, currentPage };
    let suggestions: string[] = [];

    const attempt = async (step: SearchStep, label: string, variables: Record<string, unknown>) => {
      const key = JSON.stringify(variables);
      if (attempted.has(key)) return null;
      attempted.add(key);
      tried.push(label);
      const data = await this.options.transport.execute<RawProducts>({
        query: this.options.operations.searchProducts,
        variables: { ...variables, ...page },
        kind: 'query',
        cacheable: true,
        signal: input.signal,
      });
      const products = data.products;
      const items = (products?.items ?? []).flatMap((item) => (item ? [item] : []));
      if (suggestions.length === 0) suggestions = (products?.suggestions ?? []).flatMap((s) => (s ? [s.search] : []));
      if (items.length === 0) return null;
      for (const item of items) if (item.name) this.vocabulary.learn(item.name);
      return {
        items: items.map((item) => shapeProduct(item, storeBaseUrl, mmExtensions)),
        total: products?.total_count ?? items.length,
        currentPage: products?.page_info?.current_page ?? currentPage,
        totalPages: products?.page_info?.total_pages ?? 1,
        query: label,
        fallback: { step, tried },
        suggestions: [],
      } satisfies ProductSearchResult;
    };
    const searchStep = (step: SearchStep, text: string) =>
      [...text].length >= minQueryLength ? attempt(step, text, { search: text }) : Promise.resolve(null);

    const exact = await searchStep('exact', typed);
    if (exact) return exact;

    await this.learnCategoryNames(input.signal);
    const restored = this.vocabulary.restore(typed);
    const folded = await searchStep('folded', restored);
    if (folded) return folded;

    const withUnits = normalizeUnits(restored);
    const units = await searchStep('units', withUnits);
    if (units) return units;

    for (const fewer of fewerTerms(withUnits)) {
      const found = await searchStep('fewer_terms', fewer);
      if (found) return found;
    }

    const nameMatch = await attempt('name_match', `name ~ ${restored}`, { filter: { name: { match: restored } } });
    if (nameMatch) return nameMatch;

    const category = await this.bestCategory(restored, input.signal);
    if (category) {
      const found = await attempt('category', `category ${category.name}`, { filter: { category_uid: { eq: category.uid } } });
      if (found) return found;
    }
    return { items: [], total: 0, currentPage, totalPages: 0, query: typed, fallback: { step: 'none', tried }, suggestions };
  }

  /** Category names teach the vocabulary the store's own spelling (`Nước mắm & nước chấm`). */
  private async learnCategoryNames(signal: AbortSignal | undefined): Promise<void> {
    for (const category of flatten(await this.categoriesOrNone(signal))) this.vocabulary.learn(category.name, 5);
  }

  /** The department tree, or none when the store cannot give it: the search goes on without it. */
  private categoriesOrNone(signal: AbortSignal | undefined): Promise<CategorySummary[]> {
    return this.options.categories(signal).catch((error: unknown) => {
      const { code, httpStatus } = errorFacts(error);
      this.options.logger.debug({ code, httpStatus }, 'categories unavailable; the search goes on without them');
      return [];
    });
  }

  private async bestCategory(query: string, signal: AbortSignal | undefined): Promise<CategorySummary | null> {
    const words = new Set(tokenize(foldAccents(query)).filter((word) => word.length >= 2));
    let best: CategorySummary | null = null;
    let bestScore = 0;
    for (const category of flatten(await this.categoriesOrNone(signal))) {
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

function flatten(categories: CategorySummary[]): CategorySummary[] {
  return categories.flatMap((category) => [category, ...flatten(category.children)]);
}

/** Shorter queries to try: quantities first, then words from the end; at most three. */
function fewerTerms(query: string): string[] {
  const words = query.split(' ');
  if (words.length < 2) return [];
  const candidates: string[] = [];
  const withoutQuantities = words.filter((word) => !/\d/.test(word));
  if (withoutQuantities.length > 0 && withoutQuantities.length < words.length) candidates.push(withoutQuantities.join(' '));
  const base = withoutQuantities.length > 0 ? withoutQuantities : words;
  for (let keep = base.length - 1; keep >= 1 && candidates.length < 3; keep--) candidates.push(base.slice(0, keep).join(' '));
  return candidates;
}
