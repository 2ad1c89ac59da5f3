/**
 * What the orchestrator needs from the session store, memory and the store client, typed
 * structurally (the real `SessionService`, `MemoryService` and `CommerceClient` fit as they are),
 * so the agent code depends on a few methods, not on how those services are built.
 */
import type { ZodType } from 'zod';
import type { CartResult, ProductDetail, ProductSearchResult, StoreWait } from '@shared/commerce';
import type { EventKind, HistoryPage, JsonValue, SessionEvent, SummaryRecord } from '@shared/contract/memory';

type MaybePromise<T> = T | Promise<T>;

export interface Scope {
  userId: string;
  sessionId: string;
}

export interface SessionEventInput {
  author: string;
  kind: EventKind;
  content: JsonValue;
  turnId: string;
}

export interface ConversationStore {
  /** Throws `not_found` when the session does not exist for this customer. */
  getSession(input: Scope & { numRecentEvents?: number }): MaybePromise<{ events: SessionEvent[] }>;
  createSession(input: { userId: string }): MaybePromise<{ sessionId: string }>;
  appendEvent(input: Scope & { event: SessionEventInput }): MaybePromise<unknown>;
  listEvents(input: Scope & { before?: string; limit?: number }): MaybePromise<HistoryPage>;
}

/** The context policy's memory inputs: the customer's memories (optionally matching a word) and latest summary. */
export interface MemoryContextSource {
  listMemories(query: {
    userId: string;
    query?: string;
    limit: number;
  }): MaybePromise<{ items: { key: string; sessionId: string | null }[]; nextCursor: string | null }>;
  getMemory(scope: { userId: string; sessionId?: string }, key: string): MaybePromise<{ value: JsonValue }>;
  latestSummary?(userId: string): MaybePromise<SummaryRecord | null>;
}

/** What every store call takes: the tool's signal, and who hears that the store keeps the staff waiting. */
export interface StoreCallInput {
  signal?: AbortSignal;
  onWait?: (wait: StoreWait) => void;
}

export interface CommercePort {
  searchProducts(input: { query: string; pageSize?: number } & StoreCallInput): Promise<ProductSearchResult>;
  getProduct(input: { sku: string } & StoreCallInput): Promise<ProductDetail>;
  getCart(input: { customerId: string } & StoreCallInput): Promise<CartResult>;
  addToCart(input: { customerId: string; sku: string; quantity: number } & StoreCallInput): Promise<CartResult>;
  updateCartItem(input: { customerId: string; uid: string; quantity: number } & StoreCallInput): Promise<CartResult>;
  removeCartItem(input: { customerId: string; uid: string } & StoreCallInput): Promise<CartResult>;
}

/** A memory tool as the memory service defines it: scope comes from the run, never from the model. */
export interface MemoryToolSpec {
  name: string;
  description: string;
  parameters: ZodType;
  execute(args: never, context: { userId: string; sessionId?: string; turnId?: string }): unknown;
}
