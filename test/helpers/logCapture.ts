import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createLogger, type AppLogger, type Logger } from '../../src/main/core/logger';
import { tempDir } from './tempDir';

/** One parsed log line: pino's `level` (30 info, 40 warn, 50 error), `msg`, `service` and the line's fields. */
export type LogLine = Record<string, unknown> & { level: number; msg: string; service?: string };

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export interface LogCapture {
  readonly log: AppLogger;
  readonly file: string;
  /** The `service` child, as the composition root hands it to a service. */
  child(service: string): Logger;
  lines(): LogLine[];
  /** The whole file, to check that a secret or a customer's data is nowhere in it. */
  text(): string;
}

const open: AppLogger[] = [];

/** The real logger (`createLogger`) writing JSON lines to a temp file, at debug level unless told otherwise. */
export function captureLog(level: 'debug' | 'info' = 'debug'): LogCapture {
  const file = path.join(tempDir('mm-log-'), 'logs', 'mm-assistant.log');
  const log = createLogger({ file, level });
  open.push(log);
  return {
    log,
    file,
    child: (service) => log.logger.child({ service }),
    lines: () => readLogLines(file),
    text: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''),
  };
}

/** The lines of a log file (the services' own, in `<userData>/logs/mm-assistant.log`). */
export function readLogLines(file: string): LogLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

afterEach(() => {
  for (const log of open.splice(0)) log.close();
});
