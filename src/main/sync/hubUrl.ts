import { AppError } from '@shared/errors';

function invalid(message: string): AppError {
  return new AppError('invalid_request', `hubUrl: ${message}`, [{ path: ['hubUrl'], code: 'custom', message }]);
}

function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * The hub's address as the desk keeps it (origin only: `https://hub.example.vn:8443`). The device
 * token and customers' data cross the network, so `https://` is required unless the hub is on this
 * machine (`http://127.0.0.1`, `localhost`, `[::1]`); anything else is refused naming the field.
 */
export function canonicalHubUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw invalid('not a web address; write it as https://hub.example.vn');
  }
  if (url.username || url.password) throw invalid('the address must not carry a user name or password');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('the address must start with https://');
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw invalid('a hub on another machine must be reached over https:// (plain http:// only for 127.0.0.1, localhost or [::1])');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw invalid('give the hub address only, without a path');
  return url.origin;
}
