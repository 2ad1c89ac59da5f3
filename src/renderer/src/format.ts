import type { Language } from '../../shared/settings';

const vnd = new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' });

/** Prices are whole VND, shown the Vietnamese way in both languages (e.g. `32.000 ₫`). */
export function formatVnd(amount: number): string {
  return vnd.format(amount);
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
  return `${new Intl.NumberFormat(language === 'vi' ? 'vi-VN' : 'en-US', { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

/** "5 phút trước" / "5 minutes ago". */
export function formatAge(timestamp: number, now: number, language: Language): string {
  const format = new Intl.RelativeTimeFormat(language === 'vi' ? 'vi-VN' : 'en-US', { numeric: 'auto' });
  const seconds = Math.round((timestamp - now) / 1000);
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
  return new Intl.DateTimeFormat(language === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }).format(timestamp);
}
