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
