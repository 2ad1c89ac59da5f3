import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '@shared/security';
import { errorFacts, silentLogger, type Logger } from '../core/logger';

/** The only web preferences the app's window is created with. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    // No experimental Chromium features, and no `enableBlinkFeatures` (checklist items 9 and 10).
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Permissions the app uses; everything else (camera, geolocation, notifications, ...) is denied. */
const allowedPermissions = new Set<string>(['clipboard-sanitized-write']);

export function isAllowedPermission(permission: string): boolean {
  return allowedPermissions.has(permission);
}

/** Only plain web links leave the app, and only to the system browser. */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    // Not a URL: not opened.
    return false;
  }
}

/**
 * Strips hash and query so `mm-app://app/index.html#x` matches the app's page. The host stays
 * (Node's URL gives the app's scheme no origin): `mm-app://other/index.html` is another page.
 */
export function pageOf(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin === 'null' ? `${url.protocol}//${url.host}` : url.origin}${url.pathname}`;
  } catch {
    // Not a URL: matches no page, so whatever asked is refused.
    return '';
  }
}

/** An IPC message is trusted only from the top frame showing the app's own page. */
export function isTrustedSender(frame: WebFrameMain | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  const page = pageOf(frame.url);
  if (page === '') return false;
  const app = pageOf(appUrl);
  // The dev server serves the app from its origin root; the built app is exactly mm-app://app/index.html.
  return appUrl.startsWith('http') ? new URL(frame.url).origin === new URL(appUrl).origin : page === app;
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(isAllowedPermission(permission)));
  session.setPermissionCheckHandler((_contents, permission) => isAllowedPermission(permission));
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

/** No navigation away from the app, no new windows; http(s) links open in the system browser. */
export function hardenContents(
  contents: WebContents,
  appUrl: string,
  openExternal: (url: string) => Promise<void>,
  log: Logger = silentLogger(),
): void {
  // Where it tried to go, as an origin: a full URL could carry a customer's data in its query.
  const refuse = (event: { preventDefault(): void }, what: string, url: string | null) => {
    event.preventDefault();
    log.warn({ what, target: url === null ? null : originOf(url) }, 'navigation away from the app refused');
  };
  contents.on('will-navigate', (event, url) => {
    if (pageOf(url) !== pageOf(appUrl)) refuse(event, 'navigate', url);
  });
  contents.on('will-redirect', (event, url) => {
    if (pageOf(url) !== pageOf(appUrl)) refuse(event, 'redirect', url);
  });
  contents.on('will-attach-webview', (event) => refuse(event, 'webview', null));
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) {
      openExternal(url).catch((error: unknown) =>
        log.warn({ target: originOf(url), ...errorFacts(error) }, 'the system browser could not open a link'),
      );
    }
    return { action: 'deny' };
  });
}

function originOf(raw: string): string {
  const page = pageOf(raw);
  return page === '' ? 'invalid' : new URL(page).origin;
}
