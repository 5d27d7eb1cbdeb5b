import type { Bus } from '../bus';
import type { NatsBusOptions } from './nats-bus';

export type { NatsBusOptions } from './nats-bus';

/** Connects services mode's bus. The NATS client is loaded only here: the single process, which has no NATS, does without its memory. */
export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  return (await import('./nats-bus')).NatsBus.connect(options);
}
