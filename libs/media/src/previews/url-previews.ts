import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { loadSharp } from '../images/load-sharp';
import { LATTICE_CONFIG, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { Errors, MatrixError } from '@lattice/http';
import {
  AddressPolicy,
  guardedFetch,
  RefusedDestinationError,
  ResponseTooLargeError,
  type GuardedResponse,
} from '@lattice/outbound';
import { mxcUri } from '@lattice/protocol';
import { ContentReferences } from '../content-references';
import { MediaStorage } from '../storage/media-storage';
import { ThumbnailPregenerator } from '../thumbnails/thumbnail-pregenerator';
import { newMediaId } from '../upload/media-uploads';
import type { OpenGraph } from './open-graph';
import { UrlPreviewStore } from './url-preview-store';

/** The HTML parser (htmlparser2) is loaded at the first page previewed, not at start: a server whose users preview no links does without its memory. */
const loadOpenGraph = () => import('./open-graph');

/**
 * URL previews (client-server-api GET /media/preview_url): fetches the page
 * under the outbound address policy (a user must not make this server reach
 * its own network), within the configured size and time limits, reads its
 * OpenGraph properties and, when it advertises one, its oEmbed answer; a
 * preview image is stored as media of the tenant and given as an mxc:// URI.
 * Answers are kept per tenant and URL for media.urlPreviews.cacheMs.
 */
@Injectable()
export class UrlPreviews {
  private readonly logger = new Logger(UrlPreviews.name);
  private readonly addresses: AddressPolicy;

  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly cache: UrlPreviewStore,
    private readonly storage: MediaStorage,
    private readonly references: ContentReferences,
    private readonly pregenerator: ThumbnailPregenerator,
  ) {
    this.addresses = new AddressPolicy(config.outbound);
  }

  async preview(tenant: TenantConfig, url: string, ts: number | undefined): Promise<OpenGraph> {
    if (!(tenant.media.urlPreviews ?? this.config.media.urlPreviews.enabled))
      throw Errors.unrecognized(404, 'URL previews are turned off on this server');
    const target = parseHttpUrl(url);
    const now = Date.now();
    const cached = await this.cache.find(tenant.serverName, target.href, ts ?? now, now);
    if (cached) return cached;
    const og = await this.fetchPreview(tenant, target);
    await this.cache.save(tenant.serverName, target.href, og, now, now + this.config.media.urlPreviews.cacheMs);
    return og;
  }

  private async fetchPreview(tenant: TenantConfig, url: URL): Promise<OpenGraph> {
    const page = await this.fetch(url, 'text/html,application/xhtml+xml;q=0.9,image/*;q=0.8,*/*;q=0.5');
    if (page.status < 200 || page.status >= 300)
      throw new MatrixError(502, 'M_UNKNOWN', `${url.href} answered ${page.status}`);
    const type = mediaType(page);
    if (type.startsWith('image/')) return this.withImage(tenant, {}, page);
    if (type !== 'text/html' && type !== 'application/xhtml+xml') return {};
    const { og, oEmbedUrl } = (await loadOpenGraph()).extractPagePreview(decodeText(page), page.url);
    const withOEmbed = oEmbedUrl ? { ...(await this.oEmbed(new URL(oEmbedUrl))), ...og } : og;
    const imageUrl = withOEmbed['og:image'];
    delete withOEmbed['og:image'];
    if (typeof imageUrl !== 'string') return withOEmbed;
    const image = await this.fetch(new URL(imageUrl), 'image/*').catch((e: Error) => {
      this.logger.debug(`Preview image ${imageUrl} of ${url.href} could not be fetched: ${e.message}`);
      return undefined;
    });
    return image && image.status === 200 && mediaType(image).startsWith('image/')
      ? this.withImage(tenant, withOEmbed, image)
      : withOEmbed;
  }

  private async oEmbed(url: URL): Promise<OpenGraph> {
    try {
      const answer = await this.fetch(url, 'application/json');
      if (answer.status !== 200) return {};
      return (await loadOpenGraph()).openGraphFromOEmbed(JSON.parse(answer.body.toString('utf8')));
    } catch (e) {
      this.logger.debug(`oEmbed ${url.href} gave nothing: ${(e as Error).message}`);
      return {};
    }
  }

  /** Stores the image as media of the tenant (no uploader: the server fetched it) and describes it the way the spec's answer does. */
  private async withImage(tenant: TenantConfig, og: OpenGraph, image: GuardedResponse): Promise<OpenGraph> {
    const sharp = await loadSharp();
    const meta = await sharp(image.body)
      .metadata()
      .catch((e: Error) => {
        this.logger.debug(`Preview image ${image.url.href} does not decode: ${e.message}`);
        return undefined;
      });
    if (!meta) return og;
    const contentType = mediaType(image);
    const blob = await this.storage.put(Readable.from([image.body]), { maxBytes: image.body.length });
    const mediaId = newMediaId();
    const origin = tenant.serverName;
    await this.references.attach(blob, async (rows) => {
      await rows.insertUploaded({
        origin,
        mediaId,
        tenant: origin,
        uploaderUserId: null,
        now: Date.now(),
        contentType,
        uploadName: null,
        size: blob.size,
      });
      return true;
    });
    this.pregenerator.uploaded(origin, mediaId);
    return {
      ...og,
      'og:image': mxcUri(origin, mediaId),
      'og:image:type': contentType,
      'og:image:width': meta.width,
      'og:image:height': meta.pageHeight ?? meta.height,
      'matrix:image:size': blob.size,
    };
  }

  private async fetch(url: URL, accept: string): Promise<GuardedResponse> {
    const { maxBytes, timeoutMs } = this.config.media.urlPreviews;
    try {
      return await guardedFetch(url, { addresses: this.addresses, maxBytes, timeoutMs, headers: { accept } });
    } catch (e) {
      if (e instanceof RefusedDestinationError)
        throw Errors.forbidden(`This server does not preview ${url.host}: ${e.message}`);
      if (e instanceof ResponseTooLargeError) throw new MatrixError(502, 'M_TOO_LARGE', e.message);
      throw new MatrixError(502, 'M_UNKNOWN', `Could not fetch ${url.href}: ${(e as Error).message}`);
    }
  }
}

function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw Errors.invalidParam('url is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw Errors.invalidParam('Only http and https URLs can be previewed');
  return parsed;
}

function mediaType(response: GuardedResponse): string {
  return String(response.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** The page's text in the charset its Content-Type names, UTF-8 when it names none (or one this runtime does not know). */
function decodeText(response: GuardedResponse): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(String(response.headers['content-type'] ?? ''))?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(response.body);
  } catch {
    return new TextDecoder('utf-8').decode(response.body);
  }
}
