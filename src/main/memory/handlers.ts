import type { customerChannels } from '@shared/contract/customers';
import type { memoryChannels } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { HandlersFor } from '../core/dispatch';
import type { CustomerStore } from './customers/customerStore';
import type { MemoryService } from './memoryService';
import type { SessionService } from './sessions/sessionService';

type MemoryChannel = keyof typeof memoryChannels | keyof typeof customerChannels;

/** The memory inspector's channels and the customer records'; without a data file every one answers `storage_unavailable`. */
export function createMemoryHandlers(
  deps: { memory: MemoryService; sessions: SessionService; customers: CustomerStore } | null,
): HandlersFor<MemoryChannel> {
  const need = () => {
    if (!deps) throw new AppError('storage_unavailable', 'Memory is unavailable because the data file could not be opened.');
    return deps;
  };
  const scope = (userId: string, sessionId: string | undefined) => (sessionId === undefined ? { userId } : { userId, sessionId });
  return {
    'memory.list': (request) => need().memory.listMemories(request),
    'memory.summaries': ({ userId, sessionId }) => ({ summaries: need().memory.listSummaries(userId, sessionId) }),
    'memory.search': ({ userId, sessionId, query, limit }) => ({ hits: need().memory.searchMemory(scope(userId, sessionId), query, limit) }),
    'memory.get': ({ userId, sessionId, key }) => need().memory.getMemory(scope(userId, sessionId), key),
    'memory.put': ({ userId, sessionId, key, value, ttlMs }) =>
      need().memory.memorize(scope(userId, sessionId), key, value, ttlMs === undefined ? {} : { ttlMs }),
    'memory.forget': ({ userId, sessionId, key }) => need().memory.forget(scope(userId, sessionId), key),
    'memory.stats': () => need().memory.stats(),
    'memory.runMaintenance': ({ task }) => need().memory.runMaintenance(task),
    'memory.export': ({ userId }) => need().memory.exportUserData(userId),
    'memory.deleteCustomer': ({ userId }) => need().memory.deleteUserData(userId),
    'sessions.list': ({ userId }) => ({ sessions: need().sessions.listSessions({ userId }) }),
    'sessions.create': (request) => {
      const created = need().sessions.createSession(request);
      return {
        userId: created.userId,
        sessionId: created.sessionId,
        title: created.title,
        createdAt: created.createdAt,
        lastEventAt: null,
        eventCount: 0,
        summarizedAt: null,
      };
    },
    'sessions.delete': (request) => need().sessions.deleteSession(request),
    'sessions.history': (request) => need().sessions.listEvents(request),
    'customers.find': ({ query, limit }) => need().customers.find(query, limit),
    'customers.get': ({ customerId }) => need().customers.get(customerId),
    'customers.save': (request) => need().customers.save(request),
  };
}
