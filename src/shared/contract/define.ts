import type { z } from 'zod';

/** A request/response channel: the request is validated in main with `request`; `response` is a type only. */
export interface ChannelDef<Req extends z.ZodType, Res> {
  readonly request: Req;
  readonly response?: Res;
}

/** An event main pushes to the renderer; `payload` is a type only. */
export interface EventDef<Payload> {
  readonly payload?: Payload;
}

/** Curried so the response type is given explicitly while the request schema is inferred. */
export function channel<Res>() {
  return <Req extends z.ZodType>(request: Req): ChannelDef<Req, Res> => ({ request });
}

export function event<Payload>(): EventDef<Payload> {
  return {};
}
