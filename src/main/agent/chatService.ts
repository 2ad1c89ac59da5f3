import type { ChatEventBody, ChatSendResult } from '../../shared/contract/chat';
import type { HistoryPage } from '../../shared/contract/memory';
import { AppError, toErrorShape } from '../../shared/errors';
import type { EventBus } from '../core/eventBus';
import type { ConversationStore } from './ports';
import type { Runner, StartedRun } from './runner';

interface ActiveRun {
  controller: AbortController;
  finished: Promise<void>;
}

/**
 * What the UI talks to: starts runs in the background and streams their events as `chat.event`
 * (keyed by run and session), cancels them, pages the history. Closing cancels every run first.
 */
export class ChatService {
  private readonly runs = new Map<string, ActiveRun>();
  private closed = false;

  constructor(
    private readonly runner: Runner,
    private readonly sessions: ConversationStore,
    private readonly events: EventBus,
  ) {}

  get activeRuns(): number {
    return this.runs.size;
  }

  /** Starts a run and returns its id at once; `busy` when the session is still answering. */
  async send(input: { userId: string; sessionId?: string; message: string }): Promise<ChatSendResult> {
    if (this.closed) throw new AppError('closed', 'The assistant is shutting down.');
    if (input.sessionId && this.runner.isBusy({ userId: input.userId, sessionId: input.sessionId })) {
      throw new AppError('busy', 'This session is still answering the previous message; wait for it or stop it first.');
    }
    const sessionId = input.sessionId ?? (await this.sessions.createSession({ userId: input.userId })).sessionId;
    const controller = new AbortController();
    const started = await this.runner.start({ userId: input.userId, sessionId, message: input.message, signal: controller.signal });
    const finished = this.forward(started, input.userId, sessionId);
    this.runs.set(started.runId, { controller, finished });
    return { runId: started.runId, sessionId, mode: started.provider };
  }

  /** Stops the model stream and pending tool calls of a run; false when it already ended. */
  cancel(runId: string): { cancelled: boolean } {
    const run = this.runs.get(runId);
    if (!run) return { cancelled: false };
    run.controller.abort(new AppError('cancelled', 'Stopped by the user.'));
    return { cancelled: true };
  }

  history(input: { userId: string; sessionId: string; before?: string; limit?: number }): Promise<HistoryPage> | HistoryPage {
    return this.sessions.listEvents(input);
  }

  /** Resolves when the run has streamed its last event (immediately for an unknown or finished run). */
  async settled(runId: string): Promise<void> {
    await this.runs.get(runId)?.finished;
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.runs.values()];
    for (const run of running) run.controller.abort(new AppError('cancelled', 'The assistant is shutting down.'));
    await Promise.all(running.map((run) => run.finished));
  }

  private async forward(started: StartedRun, userId: string, sessionId: string): Promise<void> {
    // Let `send` register the run before its first event goes out.
    await Promise.resolve();
    let seq = 0;
    const emit = (body: ChatEventBody) => this.events.emit('chat.event', { ...body, runId: started.runId, sessionId, userId, seq: seq++ });
    try {
      for await (const body of started.events) emit(body);
    } catch (error) {
      // The runner reports failures as events; this is only for a fault in the runner itself.
      emit({ type: 'error', error: toErrorShape(error) });
      emit({ type: 'done', status: 'failed', text: '' });
    } finally {
      this.runs.delete(started.runId);
    }
  }
}
