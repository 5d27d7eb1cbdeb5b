import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus, type Bus } from '@lattice/bus';
import type { OutputRoomEvent, RoomInput, RoomInputReplyOf } from '@lattice/contracts';
import { Keyring, RoomReader } from '@lattice/rooms';
import { NoPositionCache, openDatabase, type Database } from '@lattice/storage';
import { DagReader } from '../dag/dag-reader';
import { GuestEviction } from '../input/guest-eviction';
import { RoomInputHandler, type IsLocalServer, type ProfileLookup } from '../input/room-input-handler';
import { RoomStore } from '../storage/room-store';

export const SERVER = 'test.example';
export const ALICE = `@alice:${SERVER}`;
export const BOB = `@bob:${SERVER}`;
export const CAROL = `@carol:${SERVER}`;

/** A room input without the fields the fixture fills in (distributed over the union's variants). */
type Submission = RoomInput extends infer T
  ? T extends RoomInput
    ? Omit<T, 'inputId' | 'serverName'> & { inputId?: string }
    : never
  : never;

/** A handler over the database as the room-server's module builds one; tests pass a store to spy on, or other profiles and tenants. */
export function newRoomInputHandler(
  db: Database,
  bus: Bus,
  options: { store?: RoomStore; profiles?: ProfileLookup; isLocal?: IsLocalServer } = {},
): RoomInputHandler {
  return new RoomInputHandler(
    db.prisma,
    options.store ?? new RoomStore(db),
    new Keyring(db.prisma),
    bus,
    options.profiles ?? (async () => undefined),
    new NoPositionCache(),
    options.isLocal ?? ((name) => name === SERVER),
    new RoomReader(db.prisma),
    new DagReader(db.prisma),
    new GuestEviction(db.prisma, bus),
  );
}

/** A room-server over an embedded database in a temporary folder, with its output captured. */
export async function startRoomServer() {
  const db: Database = await openDatabase({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-rs-')) });
  const bus = new InProcessBus();
  const output: OutputRoomEvent[] = [];
  bus.consume('output.room', (e) => void output.push(e));
  const store = new RoomStore(db);
  const handler = newRoomInputHandler(db, bus, {
    store,
    profiles: async (u) => ({ displayname: u.slice(1, u.indexOf(':')) }),
  });
  bus.serve('room.input', (batch) => handler.handle(batch));
  let n = 0;
  /** Resolves once the input is answered and what it published is in `output`. */
  const submit = async <S extends Submission>(input: S): Promise<RoomInputReplyOf<S['kind']>> => {
    const full = { inputId: `input-${n++}`, serverName: SERVER, ...input } as RoomInput;
    const reply = await bus.request('room.input', full, full.kind === 'createRoom' ? full.sender : full.roomId);
    await bus.delivered();
    return reply as RoomInputReplyOf<S['kind']>;
  };
  /** Output reaches consumers after the publisher moves on; this waits until everything published so far has. */
  const delivered = () => bus.close();
  return {
    db,
    bus,
    store,
    handler,
    output,
    submit,
    delivered,
    close: async () => {
      await bus.close();
      await db.close();
    },
  };
}
