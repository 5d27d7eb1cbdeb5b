import { InProcessBus } from '@lattice/bus';
import type { RoomInputReply } from '@lattice/contracts';
import { MatrixError } from '@lattice/http';
import { ForegroundWork } from '@lattice/storage';
import { RoomInputClient } from './room-input-client';

const send = {
  kind: 'send' as const,
  serverName: 's',
  sender: '@u:s',
  roomId: '!r:s',
  type: 'm.room.message',
  content: { body: 'hi' },
};

function clientAnswering(reply: RoomInputReply): RoomInputClient {
  const bus = new InProcessBus();
  bus.serve('room.input', async (batch) => batch.map(() => reply));
  return new RoomInputClient(bus, new ForegroundWork());
}

describe('RoomInputClient', () => {
  it("gives the room-server's reply to the input without its ok flag", async () => {
    await expect(clientAnswering({ ok: true, roomId: '!r:s', eventId: '$e' }).submit(send)).resolves.toEqual({
      roomId: '!r:s',
      eventId: '$e',
    });
  });

  it('turns a refusal into the MatrixError the client sees, with its status, errcode and extra fields', async () => {
    const refused = clientAnswering({
      ok: false,
      error: { status: 429, errcode: 'M_LIMIT_EXCEEDED', error: 'Slow down', extra: { retry_after_ms: 10 } },
    }).submit(send);
    await expect(refused).rejects.toBeInstanceOf(MatrixError);
    await expect(refused).rejects.toMatchObject({
      status: 429,
      errcode: 'M_LIMIT_EXCEEDED',
      message: 'Slow down',
      extra: { retry_after_ms: 10 },
    });
  });
});
