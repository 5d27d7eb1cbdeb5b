import { randomBytes } from 'node:crypto';
import { MatrixError } from '@lattice/http';
import type { StateSelector } from './room-config';

/** What a connection sent of one room, and under which config. */
export interface SentRoom {
  /** The room-events position up to which the room's timeline and state were sent. */
  sent: string;
  membership: string;
  timelineLimit: number;
  /** The required_state it was last sent with: a later one sends only what this one did not select (pairs alone in connections from before selectors). */
  requiredState: StateSelector[] | Array<[string, string]>;
  /** Members whose membership the connection was sent, so $LAZY does not send them again. */
  members?: string[];
}

/**
 * A connection's memory between requests: the sync token its extensions and
 * its "what changed" checks run from, the rooms it was sent, and each list's
 * last answer (an answer that changes is news even with no room in it).
 */
export interface ConnectionState {
  since: string;
  toDevice?: string;
  rooms: Record<string, SentRoom>;
  lists: Record<string, string>;
}

/** A `pos`: the connection's generation (a new connection with the same conn_id starts another) and a counter. */
export interface Pos {
  generation: string;
  counter: number;
}

export function newGeneration(): string {
  return randomBytes(6).toString('base64url');
}

export function formatPos(pos: Pos): string {
  return `${pos.generation}.${pos.counter}`;
}

/** MSC4186 "Connections": a `pos` the server does not know (or no longer keeps) is 400 M_UNKNOWN_POS; the client starts over. */
export function unknownPos(why: string): MatrixError {
  return new MatrixError(400, 'M_UNKNOWN_POS', `Unknown position: ${why}`);
}

export function parsePos(token: string): Pos {
  const match = /^([A-Za-z0-9_-]{1,32})\.(\d{1,9})$/.exec(token);
  if (!match) throw unknownPos('not a position of this server');
  return { generation: match[1], counter: Number(match[2]) };
}
