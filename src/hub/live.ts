import pg from 'pg';
import type { Logger } from 'pino';

export const CHANNEL = 'hub_changes';
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/**
 * The process's one LISTEN connection. Every hub process listens, so a batch committed through
 * any of them reaches the live clients of all of them. When the connection drops (PostgreSQL
 * restarting) it reconnects with capped exponential backoff, and since notifications sent
 * meanwhile are lost, it then announces the newest seq (`catchUp`) so clients pull anyway.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private readonly listeners = new Set<(seq: number) => void>();

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    private readonly catchUp: () => Promise<number>,
  ) {}

  /** The first connection must work: a hub that cannot listen should not start. */
  async start(): Promise<void> {
    await this.connect();
  }

  subscribe(listener: (seq: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.listeners.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch((error: unknown) => this.logger.debug({ err: error }, 'listen connection ended with an error'));
  }

  private emit(seq: number): void {
    for (const listener of this.listeners) listener(seq);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'mm-hub-listen' });
    client.on('notification', (message) => {
      const seq = Number(message.payload);
      if (message.channel === CHANNEL && Number.isSafeInteger(seq)) this.emit(seq);
    });
    client.on('error', (error) => {
      this.logger.warn({ code: (error as { code?: string }).code }, 'listen connection lost');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined); // already failing; the connect error is what matters
      throw error;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.attempt = 0;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.end().catch(() => undefined); // the connection is already broken
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt, 16));
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.logger.info('listen connection restored');
          this.catchUp().then(
            (seq) => this.emit(seq),
            (error: unknown) => this.logger.warn({ code: (error as { code?: string }).code }, 'could not read the newest seq after reconnecting'),
          );
        },
        (error: unknown) => {
          this.logger.debug({ code: (error as { code?: string }).code, attempt: this.attempt }, 'listen reconnect failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.retryTimer.unref();
  }
}
