import { createSecureContext, type SecureContext } from 'node:tls';

const contexts = new WeakMap<readonly string[], SecureContext>();

/**
 * TLS options that trust exactly `ca`, with the context built once per CA
 * list. Given as `ca` on each request, Node parses every certificate of it
 * (the system's ~120 roots) again for each new connection, which costs
 * milliseconds of CPU on the path of every federation transaction that opens
 * one. (Spread into request options: https.RequestOptions does not declare
 * secureContext, which tls.connect takes from them.)
 */
export function trusting(ca: readonly string[]): { secureContext: SecureContext } {
  let secureContext = contexts.get(ca);
  if (!secureContext) contexts.set(ca, (secureContext = createSecureContext({ ca: [...ca] })));
  return { secureContext };
}
