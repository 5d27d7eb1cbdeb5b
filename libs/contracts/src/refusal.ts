/**
 * Why a service refused a request, as data: the Matrix error the client is
 * to see (client-server-api "Standard error response"), without the HTTP
 * layer's types. The room-server answers refused input with one over the
 * bus; the caller turns it back into its HTTP error.
 */
export interface Refusal {
  status: number;
  errcode: string;
  error: string;
  /** Fields the spec defines beside errcode and error for some errcodes. */
  extra?: Record<string, unknown>;
}

/** Thrown where a request is refused; whoever answers the request turns it into its Refusal reply or HTTP error. */
export class RefusedError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.error);
  }
}

const refuse = (status: number, errcode: string) => (error: string) => new RefusedError({ status, errcode, error });

/** The refusals room input meets, by errcode. */
export const Refusals = {
  forbidden: refuse(403, 'M_FORBIDDEN'),
  notFound: refuse(404, 'M_NOT_FOUND'),
  badJson: refuse(400, 'M_BAD_JSON'),
  tooLarge: refuse(413, 'M_TOO_LARGE'),
  invalidParam: refuse(400, 'M_INVALID_PARAM'),
  invalidRoomState: refuse(400, 'M_INVALID_ROOM_STATE'),
  unsupportedRoomVersion: refuse(400, 'M_UNSUPPORTED_ROOM_VERSION'),
  roomInUse: (error = 'Room alias already taken') => new RefusedError({ status: 400, errcode: 'M_ROOM_IN_USE', error }),
};
