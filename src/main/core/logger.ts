import fs from 'node:fs';
import path from 'node:path';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { isAppError } from '@shared/errors';
import { makePrivateDir, PRIVATE_FILE_MODE, restrictMode } from './privateFiles';

/** The app's logger (pino): JSON lines, levels, `child({ service })` per service. */
export type Logger = PinoLogger;

export interface LoggerOptions {
  /** The log file; omitted: no file (tests that do not care). */
  file?: string;
  /** Rotate when the file would pass this size (default 5 MB); `keep` older files are kept (default 3). */
  maxBytes?: number;
  keep?: number;
  level?: pino.LevelWithSilent;
  /** Readable lines on stderr (development), JSON lines, or nothing. */
  console?: 'pretty' | 'json' | false;
}

/**
 * Field names whose values are never written, wherever they appear: the Gemini key, the bridge
 * token, a store cart id (it opens a customer's cart). Values registered with `secrets.add` are
 * also cut out of every line, whatever field carries them.
 */
const REDACTED_FIELDS = ['apiKey', 'api_key', 'key', 'token', 'authorization', 'cartId', 'cart_id', 'password', 'secret'];

export interface AppLogger {
  logger: Logger;
  /** Values (the API key, the bridge token) cut out of every line from now on. */
  secrets: { add(value: string | null | undefined): void };
  /** Flushes and closes the file. */
  close(): void;
}

export function createLogger(options: LoggerOptions = {}): AppLogger {
  const secrets = new Set<string>();
  const scrub = (line: string) => {
    let clean = line;
    for (const secret of secrets) clean = clean.split(secret).join('[secret]');
    return clean;
  };
  const streams: pino.StreamEntry[] = [];
  const file = options.file ? new RotatingFile(options.file, options.maxBytes ?? 5 * 1024 * 1024, options.keep ?? 3) : null;
  if (file) streams.push({ level: 'trace', stream: { write: (line: string) => file.write(scrub(line)) } });
  if (options.console === 'pretty') streams.push({ level: 'trace', stream: { write: (line: string) => process.stderr.write(pretty(scrub(line))) } });
  if (options.console === 'json') streams.push({ level: 'trace', stream: { write: (line: string) => process.stderr.write(scrub(line)) } });
  const destination: DestinationStream = streams.length > 0 ? pino.multistream(streams) : { write: () => undefined };
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]), censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  return {
    logger,
    secrets: {
      add(value) {
        // Short values would cut ordinary words out of the log.
        if (value && value.length >= 8) secrets.add(value);
      },
    },
    close: () => file?.close(),
  };
}

/** A logger that writes nothing (tests and tools that have no log file). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** What `errorFacts` keeps of an error. */
export interface ErrorFacts {
  /** The typed code (`store_unavailable`, `model_error`, ...), a Node or SQLite code, `cancelled`, or `internal`. */
  code: string;
  /** `AppError`, `TypeError`, `SqliteError`, ... */
  errorType: string;
  /** HTTP status, when the error carries one. */
  httpStatus?: number;
  /** A lower-level code behind a typed error (`ECONNREFUSED`), or Magento's error category. */
  cause?: string;
  /** Where an unexpected fault was thrown: the stack frames, without the message line. */
  at?: string;
}

/**
 * What the log may say about an error whose message or details can quote customer data (a chat
 * message, a store answer naming a cart, a product query, a model's JSON): code, type, status and,
 * for an unexpected fault, where it happened, never the message. Services that carry customer
 * data log `...errorFacts(error)` instead of `err`.
 */
export function errorFacts(error: unknown): ErrorFacts {
  if (isAppError(error)) {
    const details = (error.details ?? {}) as { status?: unknown; cause?: unknown; category?: unknown };
    const cause = typeof details.cause === 'string' ? details.cause : typeof details.category === 'string' ? details.category : undefined;
    return {
      code: error.code,
      errorType: 'AppError',
      ...(typeof details.status === 'number' ? { httpStatus: details.status } : {}),
      ...(cause ? { cause } : {}),
    };
  }
  if (!(error instanceof Error)) return { code: 'internal', errorType: typeof error };
  const { code, status } = error as { code?: unknown; status?: unknown };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 8)
    .map((line) => line.trim());
  return {
    code: error.name === 'AbortError' ? 'cancelled' : typeof code === 'string' ? code : 'internal',
    errorType: error.name,
    ...(typeof status === 'number' ? { httpStatus: status } : {}),
    ...(frames.length > 0 ? { at: frames.join(' | ') } : {}),
  };
}

/**
 * An append-only file capped in size: when a line would pass the cap, `app.log` becomes
 * `app.log.1` (and so on up to `keep`), and a fresh file starts. Writes are synchronous, so a
 * line logged just before a crash is on disk.
 */
class RotatingFile {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    // A mode that cannot be tightened (not ours to change) does not stop the log: the failure is not kept.
    makePrivateDir(path.dirname(file));
    this.fd = this.open();
    // Older files rotated by an earlier version keep their mode across renames: tightened too.
    for (let index = 1; index <= this.keep; index++) restrictMode(`${this.file}.${index}`, PRIVATE_FILE_MODE);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(line: string): void {
    if (this.fd < 0) return;
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    fs.writeSync(this.fd, line);
    this.size += bytes;
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    for (let index = this.keep - 1; index >= 1; index--) {
      const from = `${this.file}.${index}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${index + 1}`);
    }
    fs.renameSync(this.file, `${this.file}.1`);
    this.fd = this.open();
    this.size = 0;
  }

  /** Opens the file owner-only: 0600 on creation, and tightened when an existing file is wider. */
  private open(): number {
    const fd = fs.openSync(this.file, 'a', PRIVATE_FILE_MODE);
    restrictMode(this.file, PRIVATE_FILE_MODE);
    return fd;
  }
}

/** Owner-only modes for the log folder and files (the log names services and stores); none on Windows. */

/**
 * Tightens an existing path to `mode`; absent paths are left alone. Best effort: a path this user
 * may not chmod (owned by another) still gets the log written rather than no log at all.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One readable line per entry for the developer's console: time, level, service, message, other fields. */
function pretty(line: string): string {
  try {
    const { time, level, msg, service, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const clock = new Date(Number(time)).toISOString().slice(11, 23);
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${clock} ${LEVELS[Number(level)] ?? String(level)} ${service ? `[${String(service)}] ` : ''}${String(msg ?? '')}${extra}\n`;
  } catch {
    // Not one of pino's lines: print it as it came.
    return line;
  }
}
