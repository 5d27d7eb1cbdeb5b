import { Injectable } from '@nestjs/common';
import { fetchRemoteHierarchy, FederationClient, type RemoteHierarchy } from '@lattice/federation';

const KEEP_MS = 60_000;
const MAX_ENTRIES = 1_000;

/**
 * Other servers' GET /hierarchy answers, kept a minute (space_hierarchy.yaml:
 * "Responses to this endpoint should be cached for a period of time"), so
 * paging through a space (each page walks the tree again) does not ask
 * again for every page. Failures are not kept.
 */
@Injectable()
export class RemoteHierarchyCache {
  private readonly answers = new Map<string, { until: number; answer: Promise<RemoteHierarchy | undefined> }>();

  constructor(private readonly federation: FederationClient) {}

  fetch(
    origin: string,
    servers: string[],
    roomId: string,
    suggestedOnly: boolean,
    now = Date.now(),
  ): Promise<RemoteHierarchy | undefined> {
    const key = JSON.stringify([origin, roomId, suggestedOnly]);
    const kept = this.answers.get(key);
    if (kept && kept.until > now) return kept.answer;
    if (this.answers.size >= MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value!);
    const answer = fetchRemoteHierarchy(this.federation, origin, servers, roomId, suggestedOnly);
    this.answers.set(key, { until: now + KEEP_MS, answer });
    void answer.then((a) => a === undefined && this.answers.get(key)?.answer === answer && this.answers.delete(key));
    return answer;
  }
}
