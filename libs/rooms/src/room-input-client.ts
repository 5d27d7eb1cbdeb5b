import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { partitionKeyOf, type RoomInput } from '@lattice/contracts';
import { MatrixError } from '@lattice/http';

type Input = RoomInput extends infer T ? (T extends RoomInput ? Omit<T, 'inputId'> : never) : never;

/**
 * Sends room input to the room-server over the bus and turns an error reply
 * back into the Matrix error the client sees.
 */
@Injectable()
export class RoomInputClient {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async submit(input: Input): Promise<{ roomId: string; eventId?: string }> {
    const full = { ...input, inputId: randomUUID() } as RoomInput;
    const reply = await this.bus.request('room.input', full, partitionKeyOf(full));
    if (!reply.ok) throw new MatrixError(reply.error.status, reply.error.errcode, reply.error.error, reply.error.extra);
    return { roomId: reply.roomId, eventId: reply.eventId };
  }
}
