import type { MatrixClient } from 'matrix-js-sdk';
import type { VerificationRequest } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { eventually } from './matrix-client';

/** The next verification request `client` receives (to-device or in a room). */
export async function nextVerificationRequest(client: MatrixClient): Promise<VerificationRequest> {
  const { CryptoEvent } = await import('matrix-js-sdk/lib/crypto-api/index.js');
  return new Promise((resolve) => client.once(CryptoEvent.VerificationRequestReceived, resolve));
}

/**
 * Takes a verification request through SAS as two users would: the
 * receiver accepts, the requester starts m.sas.v1, both are shown the emoji
 * and, when they match, both confirm. Answers the emoji each side showed.
 */
export async function completeSas(
  outgoing: VerificationRequest,
  incoming: VerificationRequest,
): Promise<[string[], string[]]> {
  const { VerificationPhase } = await import('matrix-js-sdk/lib/crypto-api/index.js');
  await incoming.accept();
  await eventually('the request to be ready', () => outgoing.phase === VerificationPhase.Ready, 30_000);
  const outgoingVerifier = await outgoing.startVerification('m.sas.v1');
  const outgoingDone = outgoingVerifier.verify();
  const incomingVerifier = await eventually('the other side to see the SAS start', () => incoming.verifier, 30_000);
  const incomingDone = incomingVerifier.verify();
  const [outgoingSas, incomingSas] = await Promise.all([
    eventually('the requester to show the SAS', () => outgoingVerifier.getShowSasCallbacks(), 30_000),
    eventually('the receiver to show the SAS', () => incomingVerifier.getShowSasCallbacks(), 30_000),
  ]);
  const emoji: [string[], string[]] = [outgoingSas.sas.emoji!.map(([e]) => e), incomingSas.sas.emoji!.map(([e]) => e)];
  if (emoji[0].join() !== emoji[1].join())
    throw new Error(`The two sides showed different emoji: ${emoji[0].join()} / ${emoji[1].join()}`);
  await Promise.all([outgoingSas.confirm(), incomingSas.confirm()]);
  await Promise.all([outgoingDone, incomingDone]);
  return emoji;
}
