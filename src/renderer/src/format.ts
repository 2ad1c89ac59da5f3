import type { Language } from '@shared/settings';

const vnd = new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' });

/** Prices are whole VND, shown the Vietnamese way in both languages (e.g. `32.000 ₫`). */
export function formatVnd(amount: number): string {
  return vnd.format(amount);
}

const locales: Record<Language, string> = { vi: 'vi-VN', en: 'en-US' };

/** Intl formatters are costly to build; rows of long lists reuse these. */
const numberFormats = new Map<string, Intl.NumberFormat>();
const relativeFormats = new Map<Language, Intl.RelativeTimeFormat>();
const dateFormats = new Map<Language, Intl.DateTimeFormat>();

function numberFormat(language: Language, digits: number): Intl.NumberFormat {
  const key = `${language}:${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locales[language], { maximumFractionDigits: digits });
    numberFormats.set(key, format);
  }
  return format;
}

/** A count such as a number of tokens: `12.345` (vi) or `12,345` (en). */
export function formatCount(value: number, language: Language): string {
  return numberFormat(language, 0).format(value);
}

export function formatBytes(bytes: number, language: Language): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${numberFormat(language, digits).format(value)} ${units[unit]}`;
}

/** "5 phút trước" / "5 minutes ago". */
export function formatAge(timestamp: number, now: number, language: Language): string {
  let format = relativeFormats.get(language);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locales[language], { numeric: 'auto' });
    relativeFormats.set(language, format);
  }
  // Ages are never in the future: the list's clock is rounded to the minute.
  const seconds = Math.min(0, Math.round((timestamp - now) / 1000));
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 30],
    ['month', 12],
    ['year', Number.POSITIVE_INFINITY],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return format.format(value, unit);
    value = Math.round(value / size);
  }
  return format.format(value, 'year');
}

export function formatDateTime(timestamp: number, language: Language): string {
  let format = dateFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' });
    dateFormats.set(language, format);
  }
  return format.format(timestamp);
}

const timeFormats = new Map<Language, Intl.DateTimeFormat>();
const dayFormats = new Map<Language, Intl.DateTimeFormat>();

/** "10:42" — when the cart was last confirmed by the store. */
export function formatTime(timestamp: number, language: Language): string {
  let format = timeFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language === 'vi' ? 'vi-VN' : 'en-GB', { timeStyle: 'short' });
    timeFormats.set(language, format);
  }
  return format.format(timestamp);
}

/** "12/03/2025" — the day something was learned (day first in both languages, the year in full). */
export function formatDate(timestamp: number, language: Language): string {
  let format = dayFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', year: 'numeric' });
    dayFormats.set(language, format);
  }
  return format.format(timestamp);
}
