/**
 * Lowercase, without diacritics, with đ/Đ → d (NFD does not decompose them): how Vietnamese text is
 * compared everywhere — store search fallback, the stand-in store, the memory search index, the
 * offline planner.
 */
export function foldAccents(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}
