import type { StorageReplaced } from '@shared/contract/storage';
import type { Result } from '@shared/errors';
import type { Dispatch } from '../core/dispatch';
import { EventBus } from '../core/eventBus';
import { errorFacts } from '../core/logger';
import type { AppConfig } from './config';
import { createServices, type Services } from './services';

/**
 * What the transports (Electron IPC, the web bridge) hold instead of one set of services: a
 * dispatch and an event bus that stay the same when the services restart on another data file (a
 * restore from a backup, a fresh start). Requests that arrive during a restart wait for it.
 */
export interface ServiceHost {
  readonly events: EventBus;
  readonly dispatch: Dispatch;
  /** The services running now. */
  current(): Services;
  close(): Promise<void>;
}

export async function startServiceHost(config: AppConfig): Promise<ServiceHost> {
  // Listener failures are logged by whichever services run then.
  let services: Services | null = null;
  const events = new EventBus((error, name) =>
    services?.log.logger.warn({ service: 'app', event: name, ...errorFacts(error) }, 'an event listener failed'),
  );
  /** Resolves when a restart ends: the new services, or null when they could not start (`failure` says so). */
  let ready: Promise<Services | null>;
  let failure: Result<never> | null = null;

  const restart = async (): Promise<StorageReplaced | null> => {
    const previous = services;
    if (!previous) return null;
    let done!: (value: Services | null) => void;
    ready = new Promise((resolve) => (done = resolve));
    services = null;
    await previous.close();
    try {
      const next = await createServices(config, link);
      services = next;
      done(next);
      return next.replaced;
    } catch (error) {
      // The services could not come back (the folder lock taken by another app meanwhile): every
      // request says so, and the app must be started again.
      const message = error instanceof Error ? error.message : String(error);
      failure = {
        ok: false,
        error: { code: 'storage_unavailable', message: `The app could not restart on its data file; start it again. ${message}` },
      };
      console.error(`MM Assistant: ${message}`);
      done(null);
      throw error;
    }
  };
  const link = { events, restart };

  services = await createServices(config, link);
  ready = Promise.resolve(services);

  return {
    events,
    async dispatch(channel, request, context) {
      const current = services ?? (await ready);
      if (!current) return failure ?? { ok: false, error: { code: 'closed', message: 'The app is closed.' } };
      return current.dispatch(channel, request, context);
    },
    current() {
      if (!services) throw new Error('the services are restarting');
      return services;
    },
    async close() {
      if (services) await services.close();
      events.clear();
    },
  };
}
