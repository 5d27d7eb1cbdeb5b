import { findRoomVersion, knownRoomVersions, type JsonObject, type Pdu, type RoomVersion } from '@lattice/protocol';
import { FederationError, type FederationClient } from '../client/federation-client';
import { templateProblem } from './sign-template';

/** Why a membership made through another server failed, with the Matrix error a client should see. */
export class RemoteMembershipError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Fields of the error beyond errcode and error, such as room_version with M_INCOMPATIBLE_ROOM_VERSION. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export type HandshakeMembership = 'join' | 'leave' | 'knock';

/**
 * The first half of a membership handshake (server-server-api make_join,
 * make_leave, make_knock): asks `server` for a template of `userId`'s
 * membership event and checks it is one (room, sender, state key, type and
 * membership as the spec lists). The resident's refusals (400, 403, 404)
 * come back as RemoteMembershipError with its errcode, so clients see them
 * (knocks.yaml: "The error should be passed through to clients").
 */
export async function makeMembershipTemplate(
  client: FederationClient,
  origin: string,
  server: string,
  membership: HandshakeMembership,
  roomId: string,
  userId: string,
): Promise<{ version: RoomVersion; template: Partial<Pdu> }> {
  // make_leave takes no versions: the user is already in the room, whatever its version.
  const versions =
    membership === 'leave'
      ? ''
      : `?${knownRoomVersions()
          .map((v) => `ver=${encodeURIComponent(v.id)}`)
          .join('&')}`;
  const path = `/_matrix/federation/v1/make_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}${versions}`;
  const made = await client
    .request<{ room_version?: string; event?: JsonObject }>(origin, server, 'GET', path)
    .catch((e: Error) => {
      if (e instanceof FederationError && [400, 403, 404].includes(e.status)) {
        const body = e.body as { errcode?: unknown; error?: unknown; room_version?: unknown } | undefined;
        const errcode =
          typeof body?.errcode === 'string' ? body.errcode : e.status === 404 ? 'M_NOT_FOUND' : 'M_FORBIDDEN';
        const extra = typeof body?.room_version === 'string' ? { room_version: body.room_version } : undefined;
        throw new RemoteMembershipError(
          e.status,
          errcode,
          typeof body?.error === 'string' ? body.error : `${server} refused the ${membership}`,
          extra,
        );
      }
      throw e;
    });
  const version = made.room_version === undefined ? undefined : findRoomVersion(made.room_version);
  if (!version)
    throw new RemoteMembershipError(
      400,
      'M_INCOMPATIBLE_ROOM_VERSION',
      `The room's version ${made.room_version} is not supported here`,
      { room_version: made.room_version },
    );
  const template = made.event as Partial<Pdu> | undefined;
  const problem = templateProblem(template, userId, roomId, membership);
  if (problem) throw new Error(`${server} offered ${problem}`);
  return { version, template: template! };
}
