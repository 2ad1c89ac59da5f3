/**
 * The app's own scheme in Electron: the window loads `mm-app://app/index.html`, served by main
 * from the built renderer folder (src/main/shell/protocol.ts), never from `file://`.
 */
export const APP_SCHEME = 'mm-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Product images never come from the store to the page: main fetches them (only from the store in
 * use), keeps them on disk, and serves them at this path of the app's own origin, in Electron
 * (the app scheme) and in the web bridge alike. So the page works offline with what it has seen.
 */
export const PRODUCT_IMAGE_PATH = '/product-image';

/** The URL an `<img>` uses for a store image: a path on the page's own origin, or on the app scheme under the dev server. */
export function productImageSrc(storeUrl: string, origin = ''): string {
  return `${origin}${PRODUCT_IMAGE_PATH}?src=${encodeURIComponent(storeUrl)}`;
}

/**
 * The renderer's Content-Security-Policy, used by the page's meta tag, the web bridge's headers
 * and the Electron session. Images come from the page's own origin only (product images through
 * the app, above); `mm-app://app` lets the Electron dev server's page show them too.
 */
const directives = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: ${APP_ORIGIN}`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
];

/** Sent as a header (bridge, Electron session). */
export const CONTENT_SECURITY_POLICY = [...directives, "frame-ancestors 'none'"].join('; ');

/** In the page's meta tag, where browsers ignore (and complain about) frame-ancestors. */
export const CONTENT_SECURITY_POLICY_META = directives.join('; ');
