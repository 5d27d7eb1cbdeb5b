import { Controller, Get, Param, Query } from '@nestjs/common';
import { Auth, Errors, Requester } from '@lattice/http';
import {
  BundledAggregations,
  RelationsReader,
  requireRoomView,
  viewHorizon,
  type ChildrenQuery,
  type StoredEvent,
} from '@lattice/rooms';
import { formatPaginationToken } from '@lattice/streams';
import { StorageAccess } from '../storage-access';
import { parseRelationsPage, parseThreadsPage } from './relations-params';

interface RelationsQuery {
  dir?: string;
  from?: string;
  to?: string;
  limit?: string;
  recurse?: string;
}

/**
 * GET /relations (client-server-api "Relationships API") and GET /threads
 * ("Threading"). 403 for a room the user may not read; the parent must be an
 * event the user may see (404 otherwise, as if it did not exist); every
 * child and thread root returned passes the history visibility check, and a
 * former member's pages end at their leave.
 */
@Controller('_matrix/client/v1/rooms/:roomId')
export class RelationsController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly relations: RelationsReader,
    private readonly bundles: BundledAggregations,
  ) {}

  @Get('relations/:eventId')
  all(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Query() query: RelationsQuery,
  ) {
    return this.children(r, roomId, eventId, query);
  }

  @Get('relations/:eventId/:relType')
  ofType(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Param('relType') relType: string,
    @Query() query: RelationsQuery,
  ) {
    return this.children(r, roomId, eventId, query, relType);
  }

  @Get('relations/:eventId/:relType/:eventType')
  ofTypes(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Param('relType') relType: string,
    @Param('eventType') eventType: string,
    @Query() query: RelationsQuery,
  ) {
    return this.children(r, roomId, eventId, query, relType, eventType);
  }

  @Get('threads')
  async threads(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Query('include') include?: string,
    @Query('from') from?: string,
    @Query('limit') limit?: string,
  ) {
    const page = parseThreadsPage({ include, from, limit });
    const view = await requireRoomView(this.storage.reader, this.storage.visibility, roomId, r.userId);
    const roots = await this.relations.threadRoots({
      roomId,
      before: page.before,
      upTo: viewHorizon(view),
      participant: page.participatedOnly ? r.userId : undefined,
      limit: page.limit,
    });
    const shown = roots.slice(0, page.limit);
    const events = inOrder(
      shown.map((t) => t.rootEventId),
      await this.storage.reader.events(shown.map((t) => t.rootEventId)),
    );
    const visible = await this.storage.visibility.visibleToUser(r.userId, events);
    return {
      chunk: await this.bundles.clientEvents(r, visible),
      ...(roots.length > page.limit ? { next_batch: formatPaginationToken(shown.at(-1)!.latest) } : {}),
    };
  }

  private async children(
    r: Requester,
    roomId: string,
    parentEventId: string,
    query: RelationsQuery,
    relType?: string,
    eventType?: string,
  ) {
    const page = parseRelationsPage(query);
    const view = await requireRoomView(this.storage.reader, this.storage.visibility, roomId, r.userId);
    // The parent and the page are read side by side and pass the visibility check together: one round of reads each.
    const [parent, { children, more }] = await Promise.all([
      this.storage.reader.event(parentEventId),
      this.page({
        roomId,
        parentEventId,
        relType,
        eventType,
        depth: page.depth,
        backwards: page.backwards,
        from: page.from,
        to: page.to,
        upTo: viewHorizon(view),
        limit: page.limit,
      }),
    ]);
    if (!parent || parent.roomId !== roomId) throw Errors.notFound('Event not found');
    const [visibleParent, ...visible] = await this.storage.visibility.visibleToUser(r.userId, [parent, ...children]);
    if (visibleParent?.eventId !== parent.eventId) throw Errors.notFound('Event not found');
    const last = children.at(-1);
    return {
      chunk: await this.bundles.clientEvents(r, visible),
      ...(more && last
        ? { next_batch: formatPaginationToken(page.backwards ? last.streamPos : last.streamPos + 1n) }
        : {}),
      ...(query.from !== undefined ? { prev_batch: query.from } : {}),
      ...(page.recurseGiven ? { recursion_depth: page.depth } : {}),
    };
  }

  /** The children on one page, in page order, and whether a next page follows. */
  private async page(query: ChildrenQuery): Promise<{ children: StoredEvent[]; more: boolean }> {
    const nids = await this.relations.children(query);
    const children = await this.storage.reader.eventsByNid(nids.slice(0, query.limit));
    // eventsByNid reads oldest first; a backwards page is newest first.
    if (query.backwards) children.reverse();
    return { children, more: nids.length > query.limit };
  }
}

/** Events in the order of `ids` (the store reads them in its own order). */
function inOrder(ids: string[], events: StoredEvent[]): StoredEvent[] {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
