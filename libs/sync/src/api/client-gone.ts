import type { FastifyReply } from 'fastify';

/**
 * Aborts when the client hangs up before its answer is sent, which ends the long-poll waiting for it. A response
 * emits 'close' after a normal finish too, and aborting then made an AbortError, stack trace and all, for every
 * answer, with nothing left to stop.
 */
export function clientGoneSignal(reply?: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply?.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}
