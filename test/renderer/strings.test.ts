import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '@shared/errors';
import { dictionaries } from '../../src/renderer/src/i18n/strings';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

/** The keys of one dictionary as written in the source (a key typed twice or only in one language shows here). */
function keysInSource(language: 'vi' | 'en'): string[] {
  const source = fs.readFileSync(path.resolve(import.meta.dirname, '../../src/renderer/src/i18n/strings.ts'), 'utf8');
  const start = source.indexOf(language === 'vi' ? 'const vi = {' : 'const en: Record<StringKey, string> = {');
  const end = source.indexOf(language === 'vi' ? '} as const;' : '};\n\nexport const dictionaries', start);
  return [...source.slice(start, end).matchAll(/^ {2}'([^']+)':/gm)].map((match) => match[1]!);
}

describe('the UI strings', () => {
  it('have every key in both languages, once, with the same placeholders and no empty text', () => {
    const vi = keysInSource('vi');
    const en = keysInSource('en');
    expect(new Set(vi).size, 'a Vietnamese key is written twice').toBe(vi.length);
    expect(new Set(en).size, 'an English key is written twice').toBe(en.length);
    expect(
      vi.filter((key) => !en.includes(key)),
      'keys only in Vietnamese',
    ).toEqual([]);
    expect(
      en.filter((key) => !vi.includes(key)),
      'keys only in English',
    ).toEqual([]);
    for (const key of vi) {
      const [textVi, textEn] = [dictionaries.vi[key as keyof typeof dictionaries.vi], dictionaries.en[key as keyof typeof dictionaries.en]];
      expect(textVi.trim(), `${key} (vi) is empty`).not.toBe('');
      expect(textEn.trim(), `${key} (en) is empty`).not.toBe('');
      expect(placeholders(textVi), `${key}: the languages fill different placeholders`).toEqual(placeholders(textEn));
    }
  });

  it('say what every error from main means, in both languages', () => {
    for (const code of errorCodes) {
      const key = `error.${code}` as keyof typeof dictionaries.vi;
      expect(dictionaries.vi[key], `error.${code} has no Vietnamese text`).toBeTypeOf('string');
      expect(dictionaries.en[key], `error.${code} has no English text`).toBeTypeOf('string');
      expect(dictionaries.vi[key], `error.${code} is not translated`).not.toBe(dictionaries.en[key]);
    }
  });

  it('call cancel "Huỷ" and close "Đóng"', () => {
    expect(dictionaries.vi['settings.cancel']).toBe('Huỷ');
    expect(dictionaries.vi['common.close']).toBe('Đóng');
    expect(dictionaries.en['settings.cancel']).toBe('Cancel');
  });
});
