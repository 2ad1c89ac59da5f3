/**
 * The names of every contract channel and event, and nothing else: no zod, no schemas. The
 * sandboxed preload imports only this module, so it checks names without bundling zod. The zod
 * schemas in the other contract modules must declare exactly these names (checked when the
 * contract compiles, in `index.ts`, and by test/main/contract.test.ts).
 */

/** Every request/response channel, as main registers it and `window.api.invoke` accepts it. */
export const channelNames = [
  'app.info',
  'settings.get',
  'settings.set',
  'settings.setApiKey',
  'catalog.search',
  'catalog.product',
  'catalog.categories',
  'cart.get',
  'cart.add',
  'cart.update',
  'cart.remove',
  'memory.list',
  'memory.summaries',
  'memory.search',
  'memory.get',
  'memory.put',
  'memory.forget',
  'memory.stats',
  'memory.runMaintenance',
  'memory.export',
  'memory.deleteCustomer',
  'sessions.list',
  'sessions.create',
  'sessions.delete',
  'sessions.history',
  'customers.find',
  'customers.get',
  'customers.save',
  'chat.send',
  'chat.cancel',
  'chat.status',
  'usage.get',
  'storage.backups',
  'storage.backupNow',
  'storage.restore',
  'storage.startEmpty',
  'sync.status',
  'sync.enroll',
  'sync.now',
  'sync.leave',
  'updates.status',
  'updates.check',
  'updates.consent',
] as const;

/** Every event main pushes to the renderer. */
export const eventNames = [
  'settings.changed',
  'app.notice',
  'cart.changed',
  'memory.quotaWarning',
  'memory.changed',
  'chat.event',
  'app.storageChanged',
  'sync.changed',
  'updates.changed',
] as const;

export type ChannelName = (typeof channelNames)[number];
export type EventName = (typeof eventNames)[number];

const channelSet: ReadonlySet<string> = new Set(channelNames);
const eventSet: ReadonlySet<string> = new Set(eventNames);

/** True only for a contract channel (never for `__proto__`, `toString` and the like). */
export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && channelSet.has(name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && eventSet.has(name);
}

/** Name of the IPC message that carries pushed events from main to the preload. */
export const EVENT_IPC_CHANNEL = 'mm:event';
