import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/main/core/logger';
import { tempDir } from '../helpers/tempDir';

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the app log', () => {
  it('writes JSON lines with level, service and message, and keeps secrets out whatever field carries them', () => {
    const file = path.join(tempDir(), 'logs', 'app.log');
    const log = createLogger({ file });
    log.secrets.add('AIzaSy-secret-key-0123456789');
    const memory = log.logger.child({ service: 'memory' });
    memory.info({ count: 3 }, 'maintenance done');
    memory.error({ err: new Error('Gemini said: key AIzaSy-secret-key-0123456789 is invalid') }, 'model call failed');
    log.logger.warn({ request: { headers: { authorization: 'Bearer abcdefabcdef' } }, cartId: 'Zm9vYmFyY2FydA==' }, 'store call failed');
    log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('AIzaSy-secret-key-0123456789');
    expect(text).not.toContain('abcdefabcdef');
    expect(text).not.toContain('Zm9vYmFyY2FydA==');
    const [first, second, third] = lines(file);
    expect(first).toMatchObject({ level: 30, service: 'memory', msg: 'maintenance done', count: 3 });
    expect(second).toMatchObject({ level: 50, service: 'memory', err: { message: 'Gemini said: key [secret] is invalid' } });
    expect(third).toMatchObject({ level: 40, cartId: '[redacted]', request: { headers: { authorization: '[redacted]' } } });
  });

  it('rotates at the size cap, keeping a bounded number of older files', () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    const log = createLogger({ file, maxBytes: 2_000, keep: 2 });
    for (let index = 0; index < 100; index++) log.logger.info({ index }, 'một dòng nhật ký khá dài để lấp đầy tệp');
    log.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    for (const name of ['app.log', 'app.log.1', 'app.log.2']) expect(fs.statSync(path.join(dir, name)).size).toBeLessThanOrEqual(2_000);
    // The newest line is in the current file, and the lines in each file stay whole.
    expect(lines(file).at(-1)).toMatchObject({ index: 99 });
    expect(lines(`${file}.1`).length).toBeGreaterThan(0);
  });
});
