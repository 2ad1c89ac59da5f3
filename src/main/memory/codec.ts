import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Codec } from '@shared/contract/memory';

/** Brotli at a middle quality: close to its best ratio on chat text at a fraction of the time of quality 11. */
const BROTLI_OPTIONS: zlib.BrotliOptions = {
  params: {
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
    [zlib.constants.BROTLI_PARAM_QUALITY]: 6,
  },
};

/**
 * Brotli at its best quality, for archives written once in the background and kept for months
 * (summarized conversations): about a quarter smaller than quality 6 on chat transcripts.
 */
const ARCHIVE_OPTIONS: zlib.BrotliOptions = {
  params: {
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
  },
};

export function compress(text: string, codec: Exclude<Codec, 'none'> = 'brotli'): Buffer {
  const input = Buffer.from(text, 'utf8');
  return codec === 'brotli' ? zlib.brotliCompressSync(input, BROTLI_OPTIONS) : zlib.gzipSync(input, { level: 6 });
}

const brotliCompressAsync = promisify(zlib.brotliCompress);

/**
 * Brotli at the archive quality in libuv's thread pool, so the main thread is not held while it
 * works on a large transcript; plain brotli, which `decompress` reads.
 */
export function compressArchive(text: string): Promise<Buffer> {
  return brotliCompressAsync(Buffer.from(text, 'utf8'), ARCHIVE_OPTIONS);
}

/** Reverses `compress` (or passes a plain value through), whatever codec the row recorded. */
export function decompress(stored: Buffer | string, codec: Codec): string {
  if (codec === 'none') return typeof stored === 'string' ? stored : stored.toString('utf8');
  const input = typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored;
  const output = codec === 'brotli' ? zlib.brotliDecompressSync(input) : zlib.gunzipSync(input);
  return output.toString('utf8');
}
