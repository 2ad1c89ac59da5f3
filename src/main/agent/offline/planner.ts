import { TRANSFER_TOOL_NAME } from '../agent';
import { AGENT_NAMES } from '../agents';
import { parsePackQuery } from '@shared/packs';
import { foldAccents } from '@shared/text';
import { estimateRequestTokens, estimateTokens, type ModelChunk, type ModelClient, type ModelContent, type ModelRequest } from '../model';
import { answers, cartText, notAddedText, productLine, type CartFacts, type ProductFacts } from './answers';
import { ingredientsFor } from './dishes';
import { parseIntent, type Intent } from './intent';

interface Step {
  name: string;
  args: Record<string, unknown>;
  response: Record<string, unknown>;
}

type Decision = { call: { name: string; args: Record<string, unknown> } } | { text: string };

type Owner = 'root' | 'product' | 'cart';

/** Which agent's tools an intent needs, recognised by a tool only that agent declares. */
const ownerTool: Record<Owner, string> = { root: 'memorize', product: 'get_product_details', cart: 'add_to_cart' };
const ownerAgent: Record<Owner, string> = { root: AGENT_NAMES.root, product: AGENT_NAMES.product, cart: AGENT_NAMES.cart };

function ownerOf(intent: Intent): Owner {
  switch (intent.kind) {
    case 'search':
    case 'details':
    case 'compare':
    case 'ingredients':
      return 'product';
    case 'add':
    case 'update':
    case 'remove':
    case 'show_cart':
      return 'cart';
    default:
      return 'root';
  }
}

/**
 * The embedded model when no API key is set: it reads the staff member's message, makes the same
 * tool calls the agents would (transfer, search, add, ...), one per model step, and answers from
 * the tool results with templates. Stateless: everything it needs is in the request.
 */
export class OfflinePlanner implements ModelClient {
  readonly provider = 'offline' as const;

  async *generate(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelChunk, void, undefined> {
    if (signal.aborted) return;
    const decision = decide(request);
    let output: string;
    if ('call' in decision) {
      output = JSON.stringify(decision.call);
      yield { type: 'function_call', call: decision.call };
    } else {
      output = decision.text;
      // Line by line, so the UI streams as it would from Gemini.
      for (const line of decision.text.split(/(?<=\n)/)) yield { type: 'text', text: line };
    }
    const promptTokens = estimateRequestTokens(request);
    const outputTokens = estimateTokens(output);
    yield { type: 'usage', usage: { promptTokens, outputTokens, totalTokens: promptTokens + outputTokens, cachedTokens: 0, estimated: true } };
  }
}

function decide(request: ModelRequest): Decision {
  const turn = currentTurn(request.contents);
  const t = answers(request.language);
  if (!turn) return { text: t.help };
  const intent = parseIntent(turn.message);
  const declared = new Set(request.tools.map((tool) => tool.name));
  const owner = ownerOf(intent);
  if (!declared.has(ownerTool[owner])) {
    const transferred = turn.steps.some((step) => step.name === TRANSFER_TOOL_NAME);
    const target = ownerAgent[owner];
    if (!transferred && declared.has(TRANSFER_TOOL_NAME) && transferTargets(request).includes(target)) {
      return { call: { name: TRANSFER_TOOL_NAME, args: { agent_name: target } } };
    }
    return { text: t.help };
  }
  const last = turn.steps.at(-1);
  if (last && last.name !== TRANSFER_TOOL_NAME && isFailure(last.response)) {
    return { text: t.failed(String((last.response.error as { message?: unknown }).message ?? '')) };
  }
  return plan(
    intent,
    turn.steps.filter((step) => step.name !== TRANSFER_TOOL_NAME),
    request,
  );
}

/** The next call for this intent given the calls already made this turn, or the final answer. */
function plan(intent: Intent, steps: Step[], request: ModelRequest): Decision {
  const language = request.language;
  const t = answers(language);
  const done = (name: string) => steps.filter((step) => step.name === name);
  switch (intent.kind) {
    case 'greet':
      return { text: t.greet };
    case 'unknown':
      return { text: t.help };
    case 'search': {
      const [search] = done('search_products');
      if (!search) return { call: { name: 'search_products', args: { query: intent.query } } };
      return { text: searchText(intent.query, search.response, language) };
    }
    case 'details': {
      const [search] = done('search_products');
      if (!search) return { call: { name: 'search_products', args: { query: intent.query, limit: 1 } } };
      const top = firstItem(search.response);
      if (!top) return { text: searchText(intent.query, search.response, language) };
      const [detail] = done('get_product_details');
      if (!detail) return { call: { name: 'get_product_details', args: { sku: top.sku } } };
      const description = typeof detail.response.description === 'string' && detail.response.description ? `\n${detail.response.description}` : '';
      return { text: `${t.details}\n${productLine(detail.response, language)}${description}` };
    }
    case 'compare': {
      const searches = done('search_products');
      const queries = [intent.first, intent.second];
      if (searches.length < 2) return { call: { name: 'search_products', args: { query: queries[searches.length]!, limit: 1 } } };
      const missing = searches.findIndex((search) => !firstItem(search.response));
      if (missing >= 0) return { text: searchText(queries[missing]!, searches[missing]!.response, language) };
      const [comparison] = done('compare_products');
      if (!comparison) {
        return { call: { name: 'compare_products', args: { skus: searches.map((search) => firstItem(search.response)!.sku) } } };
      }
      const products = (comparison.response.products as Record<string, unknown>[] | undefined) ?? [];
      return { text: [t.compare, ...products.map((product) => `- ${productLine(product, language)}`)].join('\n') };
    }
    case 'ingredients': {
      const known = ingredientsFor(intent.dish);
      if (!known) return { text: t.noIngredients };
      const [found] = done('find_ingredients');
      if (!found) return { call: { name: 'find_ingredients', args: known } };
      const rows = (found.response.ingredients as { ingredient: string; product: Record<string, unknown> | null }[] | undefined) ?? [];
      const lines = rows.map((row) => `- ${row.ingredient}: ${row.product ? productLine(row.product, language) : t.noneFound}`);
      return { text: [t.ingredients(known.dish), ...lines].join('\n') };
    }
    case 'add': {
      const [search] = done('search_products');
      if (!search) return { call: { name: 'search_products', args: { query: intent.query, limit: 5 } } };
      const items = (search.response.items as ProductFacts[] | undefined) ?? [];
      if (items.length === 0) return { text: searchText(intent.query, search.response, language) };
      const pack = typeof search.response.pack === 'string' ? search.response.pack : null;
      const top = pack ? packAskedFor(items) : items[0]!;
      if (!top) {
        // The store does not sell that pack: said so, nothing added, the closest in stock offered.
        const words = parsePackQuery(intent.query).words.join(' ') || intent.query;
        return { text: notAddedText(t.packUnavailable(pack!, words), items.filter((item) => item.inStock === true).slice(0, 3), language) };
      }
      const [added] = done('add_to_cart');
      if (!added) return { call: { name: 'add_to_cart', args: { sku: String(top.sku), quantity: intent.quantity, ...(pack ? { pack } : {}) } } };
      const refused = added.response.notAdded as { reason?: unknown; name?: unknown } | undefined;
      if (refused) {
        const name = String(refused.name);
        const reason =
          refused.reason === 'other_pack'
            ? t.packUnavailable(pack ?? '', name)
            : refused.reason === 'not_enough_stock'
              ? t.notEnough(intent.quantity, name)
              : t.soldOut(name);
        return { text: notAddedText(reason, (added.response.alternatives as ProductFacts[] | undefined) ?? [], language) };
      }
      const headline = added.response.alreadyAdded ? t.alreadyAdded(String(top.name)) : t.added(intent.quantity, String(top.name));
      return { text: `${headline}\n${cartText(added.response.cart as CartFacts, language)}` };
    }
    case 'update':
    case 'remove': {
      const [cart] = done('get_cart');
      if (!cart) return { call: { name: 'get_cart', args: {} } };
      const line = findLine(cart.response as CartFacts, intent.query);
      if (!line) return { text: `${t.notInCart(intent.query)}\n${cartText(cart.response as CartFacts, language)}` };
      const tool = intent.kind === 'update' ? 'update_cart_item' : 'remove_cart_item';
      const [changed] = done(tool);
      if (!changed) {
        const args = intent.kind === 'update' ? { item_id: line.itemId, quantity: intent.quantity } : { item_id: line.itemId };
        return { call: { name: tool, args } };
      }
      const headline = intent.kind === 'update' ? t.updated(line.name, intent.quantity) : t.removed(line.name);
      return { text: `${headline}\n${cartText(changed.response.cart as CartFacts, language)}` };
    }
    case 'show_cart': {
      const [cart] = done('get_cart');
      if (!cart) return { call: { name: 'get_cart', args: {} } };
      return { text: cartText(cart.response as CartFacts, language) };
    }
    case 'remember': {
      const [stored] = done('memorize');
      if (!stored) return { call: { name: 'memorize', args: { key: memoryKeyFor(intent.fact), value: intent.fact } } };
      return { text: t.remembered(intent.fact) };
    }
    case 'recall': {
      if (!intent.topic) {
        // "What do you know about the customer?": the context policy already put the memories and summary in.
        const context = request.customerContext ?? { memories: [], summary: null };
        const remembered = context.summary ? [...context.memories, ...context.summary.split('\n')] : context.memories;
        return { text: remembered.length === 0 ? t.recallNone : [t.recall, ...remembered.map((line) => `- ${line}`)].join('\n') };
      }
      const [found] = done('search_memory');
      if (!found) return { call: { name: 'search_memory', args: { query: topicWords(intent.topic) } } };
      const hits = memoryHits(found.response);
      if (hits.length === 0) return { text: intent.topic ? t.recallNoneTopic(intent.topic) : t.recallNone };
      return { text: [t.recall, ...hits.map((hit) => `- ${hit.text}`)].join('\n') };
    }
    case 'forget': {
      const [found] = done('search_memory');
      if (!found) return { call: { name: 'search_memory', args: { query: topicWords(intent.topic) } } };
      const forgotten = done('forget');
      const targets = memoryHits(found.response).filter((hit) => hit.kind === 'memory');
      if (targets.length === 0) return { text: t.forgetNone(intent.topic) };
      if (forgotten.length < targets.length) return { call: { name: 'forget', args: { key: targets[forgotten.length]!.key } } };
      return { text: t.forgot(targets.map((target) => target.text).join('; ')) };
    }
  }
}

/** The last staff message and the calls made since, paired with their responses. */
function currentTurn(contents: readonly ModelContent[]): { message: string; steps: Step[] } | null {
  let start = -1;
  for (let index = contents.length - 1; index >= 0; index--) {
    const content = contents[index]!;
    if (content.role === 'user' && content.parts.some((part) => 'text' in part)) {
      start = index;
      break;
    }
  }
  if (start < 0) return null;
  // A failed turn's message may share this content with the current one: the last text is the current message.
  const message = contents[start]!.parts.flatMap((part) => ('text' in part && !part.thought ? [part.text] : [])).at(-1) ?? '';
  const steps: Step[] = [];
  const pending: { id?: string; name: string; args: Record<string, unknown> }[] = [];
  for (const content of contents.slice(start + 1)) {
    for (const part of content.parts) {
      if ('functionCall' in part) {
        pending.push({ id: part.functionCall.id, name: part.functionCall.name, args: (part.functionCall.args ?? {}) as Record<string, unknown> });
      } else if ('functionResponse' in part) {
        const index = pending.findIndex((call) => call.id === part.functionResponse.id || call.name === part.functionResponse.name);
        const [call] = index >= 0 ? pending.splice(index, 1) : [{ name: part.functionResponse.name, args: {} }];
        steps.push({ name: call!.name, args: call!.args, response: part.functionResponse.response });
      }
    }
  }
  return { message, steps };
}

function transferTargets(request: ModelRequest): string[] {
  const declaration = request.tools.find((tool) => tool.name === TRANSFER_TOOL_NAME);
  const properties = declaration?.parametersJsonSchema.properties as { agent_name?: { enum?: string[] } } | undefined;
  return properties?.agent_name?.enum ?? [];
}

function isFailure(response: Record<string, unknown>): boolean {
  return typeof response.error === 'object' && response.error !== null;
}

/**
 * The product of the pack asked for: the first of that pack in stock, else the first of that pack
 * (the cart tool then says it is out of stock and offers alternatives); null when the store does
 * not sell that pack.
 */
function packAskedFor(items: ProductFacts[]): ProductFacts | null {
  const matching = items.filter((item) => item.packMatch === true);
  return matching.find((item) => item.inStock === true) ?? matching[0] ?? null;
}

function firstItem(response: Record<string, unknown>): { sku: string; name: string } | null {
  const items = response.items as { sku?: unknown; name?: unknown }[] | undefined;
  const first = items?.[0];
  return first && typeof first.sku === 'string' ? { sku: first.sku, name: String(first.name) } : null;
}

function searchText(query: string, response: Record<string, unknown>, language: ModelRequest['language']): string {
  const t = answers(language);
  const items = (response.items as Record<string, unknown>[] | undefined) ?? [];
  if (items.length === 0) {
    const tried = Array.isArray(response.tried) && response.tried.length > 0 ? response.tried.join('; ') : `"${query}"`;
    return t.notFound(query, tried);
  }
  const foundAs = typeof response.query === 'string' && response.query !== query ? ` ${t.foundBy(response.query)}` : '';
  const lines = items.map((item, index) => `${index + 1}. ${productLine(item, language)}`);
  return [`${t.found(items.length, Number(response.total ?? items.length), query)}${foundAs}`, ...lines].join('\n');
}

/** The cart line whose name contains every word of the query, accents ignored. */
function findLine(cart: CartFacts, query: string): { itemId: string; name: string } | null {
  const words = foldAccents(query).split(/\s+/).filter(Boolean);
  for (const line of cart.lines ?? []) {
    const name = foldAccents(String(line.name));
    if (words.every((word) => name.includes(word))) return { itemId: String(line.itemId), name: String(line.name) };
  }
  return null;
}

/** A memory key a person can read in the memory inspector: the fact's first words, folded. */
function memoryKeyFor(fact: string): string {
  const words = foldAccents(fact).match(/[a-z0-9]+/g) ?? [];
  return `note:${words.slice(0, 8).join('-') || 'fact'}`;
}

/** Words that say "a memory" rather than what it is about. */
function topicWords(topic: string): string {
  const filler =
    /\b(?:so thich|thong tin|ghi nho|viec|dieu|rang|la|khach|khach hang|thich|preference|preferences|that|the|customer|likes?|about|info)\b/g;
  const folded = foldAccents(topic).replace(filler, ' ').replace(/\s+/g, ' ').trim();
  return folded || topic;
}

function memoryHits(response: Record<string, unknown>): { kind: string; key: string; text: string }[] {
  const hits = (response.hits as { kind?: unknown; key?: unknown; text?: unknown }[] | undefined) ?? [];
  return hits.map((hit) => ({ kind: String(hit.kind), key: String(hit.key ?? ''), text: String(hit.text ?? '') }));
}
