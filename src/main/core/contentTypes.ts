import path from 'node:path';

/** The types of the files the built renderer has; both shells serve it (the app scheme, the bridge). */
const contentTypes = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.json', 'application/json'],
  ['.woff2', 'font/woff2'],
]);

export function contentTypeOf(file: string): string {
  return contentTypes.get(path.extname(file).toLowerCase()) ?? 'application/octet-stream';
}
