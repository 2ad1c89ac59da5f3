import type { EventName, EventPayloadOf } from '@shared/contract';

type Listener = (name: EventName, payload: unknown) => void;

/** Typed fan-out of contract events from core services to whoever forwards them (IPC, bridge). */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  /** `onListenerError` hears a forwarder that threw (the composition root logs it). */
  constructor(private readonly onListenerError: (error: unknown, name: EventName) => void = () => undefined) {}

  emit<E extends EventName>(name: E, payload: EventPayloadOf<E>): void {
    for (const listener of this.listeners) {
      try {
        listener(name, payload);
      } catch (error) {
        // One failing forwarder (e.g. a closed window) must not stop the others.
        this.onListenerError(error, name);
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
