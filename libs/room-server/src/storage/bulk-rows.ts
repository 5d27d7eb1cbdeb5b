import { allocationSql, type RawSql } from '@lattice/storage';

/**
 * The multi-row writes of the persist transaction, as raw SQL over
 * unnest(): one statement text however many rows, so Postgres and Prisma
 * see the same query every time. Prisma's createMany compiles a fresh query
 * plan on every call (it never caches them); under load that compiling was
 * over a third of the room-server's CPU.
 */

/** An events row as persist writes it (events placed in the DAG; outliers are written elsewhere). */
export interface EventRow {
  eventId: string;
  roomNid: number;
  typeNid: number;
  stateKeyNid: number | null;
  sender: string;
  depth: bigint;
  originServerTs: bigint;
  /** None for rejected and soft-failed events: clients never see them. */
  streamPos: bigint | null;
  stateSnapshotNid: bigint | null;
  /** State events only: the event it replaced. */
  replacesState?: string | null;
  isRejected: boolean;
  rejectionReason: string | null;
  isSoftFailed: boolean;
  redacts: string | null;
  txnId: string | null;
  senderDeviceId: string | null;
}

/** The columns of events that EventRow fills: name, type, and the row's field. */
const EVENT_COLUMNS: Array<[string, string, keyof EventRow]> = [
  ['event_id', 'text', 'eventId'],
  ['room_nid', 'int', 'roomNid'],
  ['type_nid', 'int', 'typeNid'],
  ['state_key_nid', 'int', 'stateKeyNid'],
  ['sender', 'text', 'sender'],
  ['depth', 'bigint', 'depth'],
  ['origin_server_ts', 'bigint', 'originServerTs'],
  ['stream_pos', 'bigint', 'streamPos'],
  ['state_snapshot_nid', 'bigint', 'stateSnapshotNid'],
  ['redacts', 'text', 'redacts'],
  ['txn_id', 'text', 'txnId'],
  ['sender_device_id', 'text', 'senderDeviceId'],
  ['is_rejected', 'boolean', 'isRejected'],
  ['rejection_reason', 'text', 'rejectionReason'],
  ['is_soft_failed', 'boolean', 'isSoftFailed'],
  ['replaces_state', 'text', 'replacesState'],
];

/** An event kept outside the DAG's known state: no snapshot, and in the timeline only when it has a position. */
export type OutlierRow = Pick<
  EventRow,
  'eventId' | 'roomNid' | 'typeNid' | 'stateKeyNid' | 'sender' | 'depth' | 'originServerTs' | 'redacts' | 'streamPos'
>;
const OUTLIER_FIELDS = new Set<keyof EventRow>([
  'eventId',
  'roomNid',
  'typeNid',
  'stateKeyNid',
  'sender',
  'depth',
  'originServerTs',
  'redacts',
  'streamPos',
] satisfies Array<keyof OutlierRow>);

/** Each column's values, in `columns`' order. */
function columnValues<R extends Partial<EventRow>>(columns: typeof EVENT_COLUMNS, rows: R[]): unknown[][] {
  return columns.map(([, , field]) => rows.map((r) => r[field] ?? null));
}

/** Inserts events; returns each one's nid by event ID. */
export async function insertEvents(tx: RawSql, rows: EventRow[]): Promise<Map<string, bigint>> {
  if (rows.length === 0) return new Map();
  const names = EVENT_COLUMNS.map(([name]) => name).join(', ');
  const arrays = EVENT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  // WITH ORDINALITY and ORDER BY: nids are taken in the rows' order, which is the events' order.
  const inserted = await tx.$queryRawUnsafe<Array<{ event_id: string; event_nid: bigint }>>(
    `INSERT INTO events (${names})
     SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS u(${names}, i) ORDER BY i
     RETURNING event_id, event_nid`,
    ...columnValues(EVENT_COLUMNS, rows),
  );
  return new Map(inserted.map((r) => [r.event_id, BigInt(r.event_nid)]));
}

/** Inserts outliers; an event already stored is left as it is. Returns the nids of the rows inserted. */
export async function insertOutlierEvents(tx: RawSql, rows: OutlierRow[]): Promise<Map<string, bigint>> {
  if (rows.length === 0) return new Map();
  const columns = EVENT_COLUMNS.filter(([, , field]) => OUTLIER_FIELDS.has(field));
  const inserted = await tx.$queryRawUnsafe<Array<{ event_id: string; event_nid: bigint }>>(
    `INSERT INTO events (${columns.map(([name]) => name).join(', ')}, is_outlier)
     SELECT *, true FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
     ON CONFLICT DO NOTHING
     RETURNING event_id, event_nid`,
    ...columnValues(columns, rows),
  );
  return new Map(inserted.map((r) => [r.event_id, BigInt(r.event_nid)]));
}

/** What goes with events into the persist transaction besides their rows; each part may be absent. */
export interface EventDetails {
  /** Event rows whose nids were taken beforehand (EventNidPool). */
  events?: Array<{ eventNid: bigint; row: EventRow }>;
  json?: Array<{ eventNid: bigint; json: string }>;
  /** prev_events edges; an edge already stored is kept. */
  prevEdges?: Array<{ eventNid: bigint; prevEventId: string }>;
  /** auth_events edges; an edge already stored is kept. */
  authEdges?: Array<{ eventNid: bigint; authEventId: string }>;
  txns?: Array<{ userId: string; deviceId: string; scope: string; txnId: string; eventId: string }>;
  /** Forward extremities that stop being ones and those that become ones, each named by its room's and event's nids. */
  extremities?: { removed: ExtremityRow[]; added: ExtremityRow[] };
  processed?: Array<{ inputId: string; reply: string }>;
  /** The m.relates_to of events with a stream position (event_relations). */
  relations?: RelationRow[];
  /** Events (by ID) whose relationship goes: redacted ones. */
  unrelated?: string[];
  /** The searchable text of events clients see (event_search). */
  search?: SearchRow[];
  /** Timeline gaps before these positions (events placed on state fetched for a prev event this server lacks). */
  gaps?: Array<{ roomNid: number; streamPos: bigint }>;
  /**
   * Positions of the events stream the statement takes itself (allocationSql), its answer being the last of them
   * (`last`). The rows' stream positions then count from 0, the first of them.
   */
  allocate?: number;
}

export interface ExtremityRow {
  roomNid: number;
  eventNid: bigint;
}

/** An event_search row before its text becomes a tsvector. */
export interface SearchRow {
  eventNid: bigint;
  roomNid: number;
  streamPos: bigint;
  key: string;
  text: string;
}

export interface RelationRow {
  eventNid: bigint;
  roomNid: number;
  parentEventId: string;
  relType: string;
  aggregationKey: string | null;
  typeNid: number;
  sender: string;
  streamPos: bigint;
}

/**
 * Writes every part of `details` in one statement (eventDetailsStatement):
 * one round trip to Postgres instead of one per table, which on a busy
 * machine is mostly time spent waiting to be scheduled.
 */
export async function writeEventDetails(tx: RawSql, details: EventDetails): Promise<void> {
  const statement = eventDetailsStatement(details);
  if (statement) await tx.$executeRawUnsafe(statement.text, ...statement.values);
}

/** The statement writing every part of `details`, one data-modifying CTE per part; undefined when there is none. */
export function eventDetailsStatement(details: EventDetails): { text: string; values: unknown[] } | undefined {
  const parts: string[] = [];
  const params: unknown[] = [];
  const arrays = (...values: unknown[][]) => values.map((v) => `$${params.push(v)}`);
  const { events, json, prevEdges, authEdges, txns, extremities, processed, relations, unrelated, search, gaps } =
    details;
  // A parameter, not a number in the text: the text stays the same for any count, and is prepared once.
  const allocate = details.allocate ? `$${params.push(details.allocate)}::bigint` : undefined;
  // A position counted from the allocation's first; a null one (an event kept from clients) stays null.
  const placed = (position: string) =>
    allocate ? `${position} + (SELECT position FROM alloc) - ${allocate} + 1` : position;
  if (events?.length) {
    const [nids, ...columns] = arrays(
      events.map((e) => e.eventNid),
      ...columnValues(
        EVENT_COLUMNS,
        events.map((e) => e.row),
      ),
    );
    const names = EVENT_COLUMNS.map(([name]) => name);
    parts.push(
      `INSERT INTO events (event_nid, ${names.join(', ')})
       SELECT event_nid, ${names.map((name) => (name === 'stream_pos' ? placed(name) : name)).join(', ')}
       FROM unnest(${nids}::bigint[], ${columns.map((c, i) => `${c}::${EVENT_COLUMNS[i][1]}[]`).join(', ')}) AS u(event_nid, ${names.join(', ')})`,
    );
  }
  if (json?.length) {
    // One JSON array, not a text[]: the driver escapes every quote of a text[] element; a json value is sent as it is (elements come back byte for byte).
    const [nids] = arrays(json.map((r) => r.eventNid));
    const texts = `$${params.push(`[${json.map((r) => r.json).join(',')}]`)}`;
    parts.push(
      `INSERT INTO event_json (event_nid, json) SELECT n.nid, j.value::text
       FROM unnest(${nids}::bigint[]) WITH ORDINALITY AS n(nid, i) JOIN json_array_elements(${texts}::json) WITH ORDINALITY AS j(value, i) USING (i)`,
    );
  }
  if (prevEdges?.length) {
    const [nids, ids] = arrays(
      prevEdges.map((r) => r.eventNid),
      prevEdges.map((r) => r.prevEventId),
    );
    parts.push(
      `INSERT INTO event_edges (event_nid, prev_event_id) SELECT * FROM unnest(${nids}::bigint[], ${ids}::text[]) ON CONFLICT DO NOTHING`,
    );
  }
  if (authEdges?.length) {
    const [nids, ids] = arrays(
      authEdges.map((r) => r.eventNid),
      authEdges.map((r) => r.authEventId),
    );
    parts.push(
      `INSERT INTO event_auth_edges (event_nid, auth_event_id) SELECT * FROM unnest(${nids}::bigint[], ${ids}::text[]) ON CONFLICT DO NOTHING`,
    );
  }
  if (txns?.length) {
    const [users, devices, scopes, txnIds, events] = arrays(
      txns.map((r) => r.userId),
      txns.map((r) => r.deviceId),
      txns.map((r) => r.scope),
      txns.map((r) => r.txnId),
      txns.map((r) => r.eventId),
    );
    parts.push(
      `INSERT INTO txn_ids (user_id, device_id, scope, txn_id, event_id) SELECT * FROM unnest(${users}::text[], ${devices}::text[], ${scopes}::text[], ${txnIds}::text[], ${events}::text[])`,
    );
  }
  // Both by whole key, not by room: each message leaves a dead row of the room behind, which a scan of the room's rows
  // would read again and again until the table is vacuumed.
  const extremityKeys = (rows: ExtremityRow[]) =>
    arrays(
      rows.map((r) => r.roomNid),
      rows.map((r) => r.eventNid),
    );
  if (extremities?.removed.length) {
    const [rooms, events] = extremityKeys(extremities.removed);
    parts.push(
      `DELETE FROM forward_extremities f USING unnest(${rooms}::int[], ${events}::bigint[]) AS gone(room_nid, event_nid)
       WHERE f.room_nid = gone.room_nid AND f.event_nid = gone.event_nid`,
    );
  }
  if (extremities?.added.length) {
    const [rooms, events] = extremityKeys(extremities.added);
    parts.push(
      `INSERT INTO forward_extremities (room_nid, event_nid) SELECT * FROM unnest(${rooms}::int[], ${events}::bigint[])`,
    );
  }
  if (processed?.length) {
    const [ids, replies] = arrays(
      processed.map((r) => r.inputId),
      processed.map((r) => r.reply),
    );
    parts.push(
      `INSERT INTO processed_inputs (input_id, reply) SELECT * FROM unnest(${ids}::text[], ${replies}::text[])`,
    );
  }
  if (relations?.length) {
    const columns = arrays(
      relations.map((r) => r.eventNid),
      relations.map((r) => r.roomNid),
      relations.map((r) => r.parentEventId),
      relations.map((r) => r.relType),
      relations.map((r) => r.aggregationKey),
      relations.map((r) => r.typeNid),
      relations.map((r) => r.sender),
      relations.map((r) => r.streamPos),
    );
    const types = ['bigint', 'int', 'text', 'text', 'text', 'int', 'text', 'bigint'];
    const names = 'event_nid, room_nid, parent_event_id, rel_type, aggregation_key, type_nid, sender';
    parts.push(
      `INSERT INTO event_relations (${names}, stream_pos)
       SELECT ${names}, ${placed('stream_pos')}
       FROM unnest(${columns.map((c, i) => `${c}::${types[i]}[]`).join(', ')}) AS u(${names}, stream_pos) ON CONFLICT DO NOTHING`,
    );
  }
  if (unrelated?.length) {
    const [ids] = arrays(unrelated);
    parts.push(
      `DELETE FROM event_relations WHERE event_nid IN (SELECT event_nid FROM events WHERE event_id = ANY(${ids}::text[]))`,
    );
  }
  if (search?.length) {
    const [nids, rooms, positions, keys, texts] = arrays(
      search.map((r) => r.eventNid),
      search.map((r) => r.roomNid),
      search.map((r) => r.streamPos),
      search.map((r) => r.key),
      search.map((r) => r.text),
    );
    parts.push(
      `INSERT INTO event_search (event_nid, room_nid, stream_pos, key, vector)
       SELECT n, r, ${placed('p')}, k, to_tsvector('english', t) FROM unnest(${nids}::bigint[], ${rooms}::int[], ${positions}::bigint[], ${keys}::text[], ${texts}::text[]) AS s(n, r, p, k, t)
       ON CONFLICT DO NOTHING`,
    );
  }
  if (gaps?.length) {
    const [rooms, positions] = arrays(
      gaps.map((g) => g.roomNid),
      gaps.map((g) => g.streamPos),
    );
    parts.push(
      `INSERT INTO timeline_gaps (room_nid, stream_pos)
       SELECT room_nid, ${placed('stream_pos')} FROM unnest(${rooms}::int[], ${positions}::bigint[]) AS u(room_nid, stream_pos)`,
    );
  }
  if (parts.length === 0) return undefined;
  const ctes = parts.map((part, i) => `w${i} AS (${part})`);
  if (allocate) ctes.unshift(`alloc AS (${allocationSql("'events'", allocate)})`);
  return {
    text: `WITH ${ctes.join(', ')} SELECT ${allocate ? '(SELECT position FROM alloc)' : 'NULL'} AS last`,
    values: params,
  };
}
