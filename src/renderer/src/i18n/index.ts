import { errorCodes, type ErrorCode } from '@shared/errors';
import { useAppStore } from '../store/appStore';
import { dictionaries, type StringKey } from './strings';

export type Translate = (key: StringKey, values?: Record<string, string | number>) => string;

/** The current language's strings; `{name}` placeholders are filled from `values`. */
export function useT(): Translate {
  const language = useAppStore((state) => state.language);
  const dictionary = dictionaries[language];
  return (key, values) => {
    const text = dictionary[key];
    return values ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(values[name] ?? whole)) : text;
  };
}

const knownCodes: ReadonlySet<string> = new Set(errorCodes);

export const isErrorCode = (code: string): code is ErrorCode => knownCodes.has(code);

/**
 * What a failure from main means, in the staff's language, by its code. The message main sent is
 * English and for the log, so it is never shown: every code has its own sentence in both languages.
 */
export function errorText(t: Translate, code: string | null | undefined): string {
  const key = `error.${code ?? 'internal'}`;
  // test/renderer/strings.test.ts checks that every error code has its sentence in both languages.
  return t(code && knownCodes.has(code) && key in dictionaries.vi ? (key as StringKey) : 'error.internal');
}
