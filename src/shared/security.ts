/**
 * The renderer's Content-Security-Policy, used by the page's meta tag, the web bridge's headers
 * and the Electron session. Product images may come from the store (https) or the loopback demo store.
 */
const directives = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https: http://127.0.0.1:*",
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
