import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** A send-to-device message as MSC2409 hands it to an application service. */
export interface ServiceToDevice {
  type: string;
  sender: string;
  to_user_id: string;
  to_device_id: string;
  content: Record<string, unknown>;
}

/** Reads the to-device inbox rows an output.streams change announced (positions first..last). */
@Injectable()
export class ToDeviceReader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async between(
    userIds: string[],
    first: bigint,
    last: bigint,
  ): Promise<Array<{ position: bigint; message: ServiceToDevice }>> {
    const rows = await this.db.toDeviceMessage.findMany({
      where: { userId: { in: userIds }, streamPos: { gte: first, lte: last } },
      orderBy: { streamPos: 'asc' },
    });
    return rows.map((r) => ({
      position: r.streamPos,
      message: {
        type: r.type,
        sender: r.sender,
        to_user_id: r.userId,
        to_device_id: r.deviceId,
        content: JSON.parse(r.content) as Record<string, unknown>,
      },
    }));
  }
}
