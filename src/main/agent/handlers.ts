import type { chatChannels } from '@shared/contract/chat';
import { AppError } from '@shared/errors';
import type { HandlersFor } from '../core/dispatch';
import type { ChatService } from './chatService';

/** `chat.*` channels; without a data file there are no sessions, so they answer `storage_unavailable`. */
export function createChatHandlers(chat: ChatService | null): HandlersFor<keyof typeof chatChannels> {
  const require = (): ChatService => {
    if (!chat) throw new AppError('storage_unavailable', 'Chat needs the data file, which could not be opened.');
    return chat;
  };
  return {
    'chat.send': (request) => require().send(request),
    'chat.cancel': ({ runId }) => require().cancel(runId),
    'chat.status': ({ runId }) => require().status(runId),
  };
}
