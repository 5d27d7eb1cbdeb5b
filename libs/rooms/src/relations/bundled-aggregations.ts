import { Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { toClientEvent } from '../client-event';
import { RoomReader, type StoredEvent } from '../room-reader';
import { EventVisibility } from '../visibility/event-visibility';
import {
  isValidReplacement,
  latestInThread,
  mayHaveAggregations,
  mostRecentReplacement,
  threadAggregation,
} from './aggregation-rules';
import { RelationsReader, type RelationSummary } from './relations-reader';

export interface Viewer {
  userId: string;
  deviceId?: string;
}

/** Latest replies read per thread to find one the viewer may see. */
const THREAD_CANDIDATES = 10;
/** Latest edits read per event to find a valid one the viewer may see. */
const REPLACEMENT_CANDIDATES = 10;
/** References listed per event. */
const MAX_REFERENCES = 100;

/**
 * Server-side aggregations of child events (client-server-api "Aggregations
 * of child events"), bundled into `unsigned.m.relations`: m.thread (latest
 * reply, count, current_user_participated), m.reference (the children's IDs)
 * and m.replace (the most recent valid edit; the original's content is left
 * as it is, and a redacted original bundles no edit). Every child shown,
 * whole or by ID, passes the viewer's history visibility check.
 */
@Injectable()
export class BundledAggregations {
  constructor(
    private readonly reader: RoomReader,
    private readonly relations: RelationsReader,
    private readonly visibility: EventVisibility,
  ) {}

  /** The events in client format, each with its aggregations. */
  async clientEvents(viewer: Viewer, events: StoredEvent[]): Promise<JsonObject[]> {
    const bundles = await this.forEvents(viewer, events, true);
    return events.map((e) => toClientEvent(e, viewer, bundles.get(e.eventId)));
  }

  private async forEvents(
    viewer: Viewer,
    events: StoredEvent[],
    withThreads: boolean,
  ): Promise<Map<string, JsonObject>> {
    const parents = events.filter(mayHaveAggregations);
    const summaries = await this.relations.summaries(
      parents.map((e) => e.eventId),
      viewer.userId,
    );
    const bundles = new Map<string, JsonObject>();
    if (summaries.length === 0) return bundles;
    const byParent = new Map(parents.map((e) => [e.eventId, e]));
    const of = (relType: string) => summaries.filter((s) => s.relType === relType && byParent.has(s.parentEventId));
    const add = (eventId: string, relType: string, aggregation: JsonObject) =>
      bundles.set(eventId, { ...bundles.get(eventId), [relType]: aggregation });

    if (withThreads) {
      for (const [rootId, aggregation] of await this.threads(viewer, of('m.thread'), byParent))
        add(rootId, 'm.thread', aggregation);
    }
    for (const [eventId, chunk] of await this.references(viewer.userId, of('m.reference')))
      add(eventId, 'm.reference', { chunk });
    const editable = of('m.replace').filter((s) => !byParent.get(s.parentEventId)!.redactedBy);
    for (const [eventId, edit] of await this.replacements(viewer, editable, byParent)) add(eventId, 'm.replace', edit);
    return bundles;
  }

  private async threads(
    viewer: Viewer,
    summaries: RelationSummary[],
    roots: Map<string, StoredEvent>,
  ): Promise<Map<string, JsonObject>> {
    const candidates = await this.visibleChildren(
      viewer.userId,
      summaries.map((s) => s.parentEventId),
      'm.thread',
      THREAD_CANDIDATES,
      'position',
    );
    const latest = new Map<string, StoredEvent>();
    for (const summary of summaries) {
      const reply = latestInThread(candidates.get(summary.parentEventId) ?? []);
      if (reply) latest.set(summary.parentEventId, reply);
    }
    // The latest reply carries its own aggregations (an edit of it, say); threads do not nest, so no deeper.
    const replyBundles = await this.forEvents(viewer, [...latest.values()], false);
    const out = new Map<string, JsonObject>();
    for (const summary of summaries) {
      const reply = latest.get(summary.parentEventId);
      // A thread none of whose latest replies the viewer may see is not shown as one.
      if (!reply) continue;
      const root = roots.get(summary.parentEventId)!;
      out.set(
        summary.parentEventId,
        threadAggregation(
          toClientEvent(reply, viewer, replyBundles.get(reply.eventId)),
          summary.count,
          root.pdu.sender === viewer.userId,
          summary.viewerParticipated,
        ),
      );
    }
    return out;
  }

  private async references(userId: string, summaries: RelationSummary[]): Promise<Map<string, JsonObject[]>> {
    const children = await this.visibleChildren(
      userId,
      summaries.map((s) => s.parentEventId),
      'm.reference',
      MAX_REFERENCES,
      'position',
    );
    const out = new Map<string, JsonObject[]>();
    for (const [parentId, events] of children)
      out.set(
        parentId,
        [...events].sort((a, b) => (a.streamPos < b.streamPos ? -1 : 1)).map((e) => ({ event_id: e.eventId })),
      );
    return out;
  }

  private async replacements(
    viewer: Viewer,
    summaries: RelationSummary[],
    originals: Map<string, StoredEvent>,
  ): Promise<Map<string, JsonObject>> {
    const children = await this.visibleChildren(
      viewer.userId,
      summaries.map((s) => s.parentEventId),
      'm.replace',
      REPLACEMENT_CANDIDATES,
      'timestamp',
    );
    const out = new Map<string, JsonObject>();
    for (const [originalId, edits] of children) {
      const original = originals.get(originalId)!;
      const edit = mostRecentReplacement(edits.filter((e) => isValidReplacement(original.pdu, e.pdu)));
      if (edit) out.set(originalId, toClientEvent(edit, viewer));
    }
    return out;
  }

  /** The latest children of each parent with one rel_type that the user may see, by parent. */
  private async visibleChildren(
    userId: string,
    parentIds: string[],
    relType: string,
    perParent: number,
    order: 'position' | 'timestamp',
  ): Promise<Map<string, StoredEvent[]>> {
    const out = new Map<string, StoredEvent[]>();
    if (parentIds.length === 0) return out;
    const children = await this.relations.latestChildren(parentIds, relType, perParent, order);
    // By the index, not the content: a child the viewer is shown redacted (an erased sender's) has no m.relates_to left.
    const parentOf = new Map(children.map((c) => [c.eventId, c.parentEventId]));
    const visible = await this.visibility.visibleToUser(
      userId,
      await this.reader.events(children.map((c) => c.eventId)),
    );
    for (const event of visible) {
      const parentId = parentOf.get(event.eventId)!;
      out.set(parentId, [...(out.get(parentId) ?? []), event]);
    }
    return out;
  }
}
