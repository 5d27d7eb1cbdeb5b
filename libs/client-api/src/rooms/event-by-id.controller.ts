import { Controller, Get, Param } from '@nestjs/common';
import { Auth, Errors, GuestAllowed, Requester } from '@lattice/http';
import { BundledAggregations } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';

/**
 * GET /events/{eventId} (old_sync.yaml, deprecated for
 * /rooms/{roomId}/event/{eventId}): an event the user may see, else 404 as
 * if it did not exist.
 */
@Controller('_matrix/client/v3/events')
export class EventByIdController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly bundles: BundledAggregations,
  ) {}

  @GuestAllowed()
  @Get(':eventId')
  async event(@Auth() r: Requester, @Param('eventId') eventId: string) {
    const found = await this.storage.reader.event(eventId);
    const [visible] = found ? await this.storage.visibility.visibleToUser(r.userId, [found]) : [];
    if (!visible) throw Errors.notFound('Event not found');
    return (await this.bundles.clientEvents(r, [visible]))[0];
  }
}
