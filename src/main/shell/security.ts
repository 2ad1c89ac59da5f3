import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../shared/security';

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
    return false;
  }
}

/** Strips hash and query so `file:///…/index.html#x` matches the app's page. */
export function pageOf(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin === 'null' ? `${url.protocol}//` : url.origin}${url.pathname}`;
  } catch {
    return '';
  }
}

/** An IPC message is trusted only from the top frame showing the app's own page. */
export function isTrustedSender(frame: WebFrameMain | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  const page = pageOf(frame.url);
  if (page === '') return false;
  const app = pageOf(appUrl);
  // The dev server serves the app from its origin root; the built app is exactly index.html.
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
): void {
  contents.on('will-navigate', (event, url) => {
    if (pageOf(url) !== pageOf(appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (pageOf(url) !== pageOf(appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void openExternal(url);
    return { action: 'deny' };
  });
}
