import { RemoteMembershipError } from '@lattice/federation';
import { MatrixError } from '@lattice/http';

/**
 * What a client sees when a membership handshake through another server
 * fails: the resident's refusal as it gave it, anything else as 502.
 */
export function remoteFailure(what: string): (e: Error) => never {
  return (e) => {
    if (e instanceof RemoteMembershipError) throw new MatrixError(e.status, e.errcode, e.message, e.extra);
    throw new MatrixError(502, 'M_UNKNOWN', `Could not ${what}: ${e.message}`);
  };
}
