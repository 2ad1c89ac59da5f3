import { inStaffLanguage } from '@shared/storeErrors';
import type { StoreCallInput } from '../ports';
import type { ToolContext } from '../tool';

/** What a tool's store calls take: its signal, and a listener that tells the staff the store keeps them waiting. */
export function storeCallInput(context: ToolContext): StoreCallInput {
  return {
    signal: context.signal,
    onWait: (wait) => context.notify?.({ type: 'store_wait', reason: wait.reason, seconds: Math.max(1, Math.round(wait.waitMs / 1000)) }),
  };
}

/** Runs a tool's store work; a store failure reaches the model (and so the staff) in the staff's language. */
export async function inStaffWords<T>(context: ToolContext, work: (input: StoreCallInput) => Promise<T>): Promise<T> {
  try {
    return await work(storeCallInput(context));
  } catch (error) {
    throw inStaffLanguage(error, context.language);
  }
}
