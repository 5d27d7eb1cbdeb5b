import { Injectable } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import type { MediaRecord } from '../metadata/media-record';

/**
 * Where media of other servers comes from when it is not cached yet: the
 * federation media fetcher replaces this provider (its cache rows go in the
 * same `media` table, origin = the remote server). This default knows no
 * remote media.
 */
@Injectable()
export class RemoteMedia {
  /** Fetches and caches `mxc://origin/mediaId` for `tenant`, or resolves undefined when it cannot be had. */
  async fetch(_origin: string, _mediaId: string, _tenant: TenantConfig): Promise<MediaRecord | undefined> {
    return undefined;
  }
}
