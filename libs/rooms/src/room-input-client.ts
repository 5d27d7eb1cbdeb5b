import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { partitionKeyOf, type RoomInput, type RoomInputDoneByKind } from '@lattice/contracts';
import { MatrixError } from '@lattice/http';
import { ForegroundWork } from '@lattice/storage';

type Input = RoomInput extends infer T ? (T extends RoomInput ? Omit<T, 'inputId'> : never) : never;

/** What submitting an input of these kinds gives back when the room-server accepts it. */
export type RoomInputResult<K extends RoomInput['kind']> = Omit<RoomInputDoneByKind[K], 'ok'>;

/**
 * Sends room input to the room-server over the bus and turns a refusal
 * back into the Matrix error the client sees. Input is foreground work: in
 * one process, push work waits for it (ForegroundWork).
 */
@Injectable()
export class RoomInputClient {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly foreground: ForegroundWork,
  ) {}

  async submit<I extends Input>(input: I): Promise<RoomInputResult<I['kind']>> {
    const full = { ...input, inputId: randomUUID() } as RoomInput;
    const reply = await this.foreground.during(() => this.bus.request('room.input', full, partitionKeyOf(full)));
    if (!reply.ok) throw MatrixError.fromRefusal(reply.error);
    const { ok: _ok, ...result } = reply;
    return result as RoomInputResult<I['kind']>;
  }
}
