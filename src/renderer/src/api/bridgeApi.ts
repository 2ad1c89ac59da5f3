import type { WindowApi } from '@shared/contract';
import { isChannelName, isEventName, type EventName } from '@shared/contract/names';
import type { Result } from '@shared/errors';

const TOKEN_KEY = 'mm-bridge-token';
const MAX_RECONNECT_DELAY_MS = 10_000;

/**
 * The token arrives in the URL fragment (never sent to a server); it is kept for this tab only
 * and removed from the address bar.
 */
function takeToken(): string | null {
  const match = /(?:^#|&)token=([0-9a-f]{16,128})/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]!);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return match[1]!;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** `window.api` for a browser talking to the web bridge; behaves like the preload's. */
export function createBridgeApi(): WindowApi {
  const token = takeToken();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let streaming = false;

  const headers = (): Record<string, string> => ({
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  });

  /** Tells the page, as an `app.notice`, that the bridge went away or came back. */
  function connection(up: boolean): void {
    const notice = up
      ? { level: 'info', code: 'bridge_reconnected', message: 'Connected to MM Assistant again.' }
      : { level: 'error', code: 'bridge_disconnected', message: 'The connection to MM Assistant was lost; retrying…' };
    for (const listener of listeners.get('app.notice') ?? []) listener(notice);
  }

  async function readEvents(): Promise<void> {
    let delay = 500;
    let lost = false;
    // Reconnects while anyone listens, backing off up to 10 s between attempts.
    while (listeners.size > 0) {
      try {
        const response = await fetch('/api/events', { headers: headers(), cache: 'no-store' });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        delay = 500;
        if (lost) connection(true);
        lost = false;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            deliver(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // The bridge restarted or went away: say so once, and try again after a pause.
        if (!lost) connection(false);
        lost = true;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    }
    streaming = false;
  }

  function deliver(frame: string): void {
    let name = '';
    let data = '';
    for (const line of frame.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (!isEventName(name) || data === '') return;
    const payload: unknown = JSON.parse(data);
    for (const listener of listeners.get(name) ?? []) listener(payload);
  }

  return {
    async invoke(channel, request) {
      if (!isChannelName(channel)) {
        return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel: ${String(channel)}` } };
      }
      try {
        const response = await fetch(`/api/invoke/${channel}`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify(request ?? {}),
        });
        return (await response.json()) as Result<never>;
      } catch (error) {
        return { ok: false, error: { code: 'store_unavailable', message: `The app's service cannot be reached: ${String(error)}` } };
      }
    },
    on(event, listener) {
      if (!isEventName(event)) throw new Error(`Unknown event: ${String(event)}`);
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      if (!streaming) {
        streaming = true;
        void readEvents();
      }
      return () => {
        set.delete(listener as (payload: unknown) => void);
        if (set.size === 0) listeners.delete(event);
      };
    },
  };
}
