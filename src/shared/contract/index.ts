import type { z } from 'zod';
import type { Result } from '../errors';
import { appChannels, appEvents } from './app';
import { chatChannels, chatEvents } from './chat';
import { commerceChannels, commerceEvents } from './commerce';
import { memoryChannels, memoryEvents } from './memory';
import { usageChannels } from './usage';

/** Every request/response channel of the app, by name. Main, preload and the bridge derive from this. */
export const contract = {
  ...appChannels,
  ...commerceChannels,
  ...memoryChannels,
  ...chatChannels,
  ...usageChannels,
};

/** Every event main pushes to the renderer. */
export const events = {
  ...appEvents,
  ...commerceEvents,
  ...memoryEvents,
  ...chatEvents,
};

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type EventName = keyof typeof events;
export type RequestOf<C extends ChannelName> = z.input<Contract[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends ChannelName> = NonNullable<Contract[C]['response']>;
export type EventPayloadOf<E extends EventName> = NonNullable<(typeof events)[E]['payload']>;

export const channelNames = Object.keys(contract) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(contract, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/**
 * What `window.api` is, in Electron (preload) and in a browser (web bridge) alike. Calls never
 * throw across the boundary: they resolve to a `Result`.
 */
export interface WindowApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}

/** Names of the IPC message that carries pushed events from main to the preload. */
export const EVENT_IPC_CHANNEL = 'mm:event';
