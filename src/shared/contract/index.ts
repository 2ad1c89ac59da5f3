import type { z } from 'zod';
import type { Result } from '../errors';
import { appChannels, appEvents } from './app';
import { chatChannels, chatEvents } from './chat';
import { commerceChannels, commerceEvents } from './commerce';
import { customerChannels } from './customers';
import { memoryChannels, memoryEvents } from './memory';
import { storageChannels } from './storage';
import { syncChannels, syncEvents } from './sync';
import { updateChannels, updateEvents } from './updates';
import type { ChannelName, EventName } from './names';
import { usageChannels } from './usage';

export { channelNames, eventNames, isChannelName, isEventName, EVENT_IPC_CHANNEL, type ChannelName, type EventName } from './names';

/** Every request/response channel of the app, by name, with its zod request schema. Main and the bridge derive from this. */
export const contract = {
  ...appChannels,
  ...commerceChannels,
  ...memoryChannels,
  ...customerChannels,
  ...chatChannels,
  ...usageChannels,
  ...storageChannels,
  ...syncChannels,
  ...updateChannels,
};

/** Every event main pushes to the renderer. */
export const events = {
  ...appEvents,
  ...commerceEvents,
  ...memoryEvents,
  ...chatEvents,
  ...syncEvents,
  ...updateEvents,
};

export type Contract = typeof contract;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/**
 * The names list (names.ts, zod-free, what the preload bundles) and the schemas declare the same
 * channels and events: this fails to compile when they drift (test/main/contract.test.ts checks it at run time too).
 */
export type NamesMatchSchemas = Holds<Same<[keyof Contract, keyof typeof events], [ChannelName, EventName]>>;

export type RequestOf<C extends ChannelName> = z.input<Contract[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Contract[C]['request']>;
/** The response type (`response` is optional in `ChannelDef` only to be a type: `undefined` is removed, a declared `null` kept). */
export type ResponseOf<C extends ChannelName> = Exclude<Contract[C]['response'], undefined>;
export type EventPayloadOf<E extends EventName> = NonNullable<(typeof events)[E]['payload']>;

/**
 * What `window.api` is, in Electron (preload) and in a browser (web bridge) alike. Calls never
 * throw across the boundary: they resolve to a `Result`.
 */
export interface WindowApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}
