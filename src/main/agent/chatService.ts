import type { ChatEvent, ChatEventBody, ChatRunStatus, ChatSendResult } from '@shared/contract/chat';
import { AppError, toErrorShape } from '@shared/errors';
import { Emitter } from '../core/emitter';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import type { ConversationStore } from './ports';
import type { Runner, StartedRun } from './runner';

/**
 * What the UI talks to: starts runs in the background under the run id the renderer chose and
 * streams their events as `chat.event` (keyed by run and session), and cancels them. The runner
 * keeps the registry of running runs; closing cancels every one and waits for its last event.
 */
export class ChatService {
  private closed = false;
  /** Every event of every run, in order per run (`seq`); the composition root forwards them as `chat.event`. */
  readonly events = new Emitter<{ runEvent: ChatEvent }>((error, name) =>
    this.log.warn({ event: name, ...errorFacts(error) }, 'a chat event listener failed'),
  );

  constructor(
    private readonly runner: Runner,
    private readonly sessions: ConversationStore,
    private readonly log: Logger = silentLogger(),
  ) {}

  get activeRuns(): number {
    return this.runner.activeRuns;
  }

  /**
   * Starts a run under `runId` and returns as soon as it is under way; its events may reach the
   * renderer before this answer does, which is why the renderer chose the id. `busy` when the
   * session is still answering, `conflict` when the run id is in use.
   */
  async send(input: { userId: string; sessionId?: string; message: string; runId: string }): Promise<ChatSendResult> {
    if (this.closed) throw new AppError('closed', 'The assistant is shutting down.');
    // Refused before a new session is created for it.
    if (!this.runner.isFreshRunId(input.runId)) throw new AppError('conflict', 'This run id is already in use; every message needs a new one.');
    if (input.sessionId && this.runner.isBusy({ userId: input.userId, sessionId: input.sessionId })) {
      throw new AppError('busy', 'This session is still answering the previous message; wait for it or stop it first.');
    }
    const sessionId = input.sessionId ?? (await this.sessions.createSession({ userId: input.userId })).sessionId;
    const started = await this.runner.start({ userId: input.userId, sessionId, message: input.message, runId: input.runId });
    void this.forward(started, input.userId, sessionId);
    return { runId: started.runId, sessionId, mode: started.provider };
  }

  /** Stops the model stream and pending tool calls of a run; false when it already ended. */
  cancel(runId: string): { cancelled: boolean } {
    return { cancelled: this.runner.cancel(runId, new AppError('cancelled', 'Stopped by the user.')) };
  }

  /**
   * Whether the run is still under way. False once its last event (`done`) has been emitted, when
   * everything it stores is stored, and for an id no run here has.
   */
  status(runId: string): ChatRunStatus {
    return { running: this.runner.find(runId) !== undefined };
  }

  /** Resolves when the run has streamed its last event (immediately for an unknown or finished run). */
  async settled(runId: string): Promise<void> {
    await this.runner.find(runId)?.finished;
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.runner.runs();
    for (const run of running) this.runner.cancel(run.runId, new AppError('cancelled', 'The assistant is shutting down.'));
    await Promise.all(running.map((run) => run.finished));
  }

  private async forward(started: StartedRun, userId: string, sessionId: string): Promise<void> {
    let seq = 0;
    const emit = (body: ChatEventBody) => this.events.emit('runEvent', { ...body, runId: started.runId, sessionId, userId, seq: seq++ });
    try {
      for await (const body of started.events) emit(body);
    } catch (error) {
      // The runner reports failures as events; this is only for a fault in the runner itself.
      this.log.error({ runId: started.runId, ...errorFacts(error) }, 'the run stopped without its last events');
      emit({ type: 'error', error: toErrorShape(error) });
      emit({ type: 'done', status: 'failed', text: '' });
    }
  }
}
