import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { FederationClient, trustedCertificates } from '@lattice/federation';
import { MatrixError } from '@lattice/http';
import { AddressPolicy, guardedRequest } from '@lattice/outbound';
import type { ThumbnailMethod } from '../thumbnails/thumbnail-geometry';
import { MalformedMultipartError, multipartBoundary, readMultipartMixed } from './multipart-mixed';

/** Media bytes another server answered with, streaming; the caller reads or destroys `body`. */
export interface FetchedMedia {
  contentType: string | null;
  /** From the answer's Content-Disposition, when it names a file. */
  fileName: string | null;
  /** The Content-Length, when given: checked against the limit before reading. */
  declaredLength: number | undefined;
  body: Readable;
}

export interface RemoteThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
}

/** The remote server has no such media (404), or refuses to make a thumbnail of it (400). */
export class RemoteMediaUnavailable extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Fetches other servers' media for our users (server-server-api "Content
 * Repository"): the authenticated federation endpoints first, signed as the
 * tenant asking; for a server that does not know them (404 M_UNRECOGNIZED,
 * or a 404/405/400 that is not a Matrix error at all, as old servers
 * answer), the deprecated /_matrix/media/v3 endpoints with allow_remote=false,
 * as the spec requires. A media part with a Location is followed under the
 * outbound address policy (it names any URL the remote server chose).
 */
@Injectable()
export class RemoteMediaFetcher {
  private readonly logger = new Logger(RemoteMediaFetcher.name);
  private readonly addresses: AddressPolicy;
  private readonly ca: string[];

  constructor(
    private readonly federation: FederationClient,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
  ) {
    this.addresses = new AddressPolicy(config.outbound);
    this.ca = trustedCertificates(config.federation.trustedCaFiles);
  }

  download(asServer: string, serverName: string, mediaId: string): Promise<FetchedMedia> {
    const id = encodeURIComponent(mediaId);
    return this.fetch(
      asServer,
      serverName,
      `/_matrix/federation/v1/media/download/${id}`,
      `/_matrix/media/v3/download/${encodeURIComponent(serverName)}/${id}?allow_remote=false`,
    );
  }

  thumbnail(
    asServer: string,
    serverName: string,
    mediaId: string,
    request: RemoteThumbnailRequest,
  ): Promise<FetchedMedia> {
    const id = encodeURIComponent(mediaId);
    const query = `width=${request.width}&height=${request.height}&method=${request.method}&animated=${request.animated}`;
    return this.fetch(
      asServer,
      serverName,
      `/_matrix/federation/v1/media/thumbnail/${id}?${query}`,
      `/_matrix/media/v3/thumbnail/${encodeURIComponent(serverName)}/${id}?${query}&allow_remote=false`,
    );
  }

  private async fetch(
    asServer: string,
    serverName: string,
    federationPath: string,
    legacyPath: string,
  ): Promise<FetchedMedia> {
    const answer = await this.federation.stream(asServer, serverName, federationPath).catch((e: Error) => {
      throw unreachable(serverName, e);
    });
    if (answer.statusCode === 200) return this.fromMultipart(serverName, answer);
    const error = await errorOf(answer);
    if (!unrecognized(answer.statusCode ?? 0, error)) throw failure(serverName, answer.statusCode ?? 0, error);
    this.logger.debug(
      `${serverName} does not serve federation media (${answer.statusCode} ${error?.errcode ?? 'no Matrix error'}): trying the deprecated endpoint`,
    );
    const legacy = await this.federation.stream(null, serverName, legacyPath).catch((e: Error) => {
      throw unreachable(serverName, e);
    });
    if (legacy.statusCode === 200) return plainMedia(legacy);
    throw failure(serverName, legacy.statusCode ?? 0, await errorOf(legacy));
  }

  private async fromMultipart(serverName: string, answer: IncomingMessage): Promise<FetchedMedia> {
    const boundary = multipartBoundary(answer.headers['content-type']);
    if (!boundary) {
      answer.destroy();
      throw new MatrixError(502, 'M_UNKNOWN', `${serverName} answered federation media without a multipart/mixed body`);
    }
    const { media } = await readMultipartMixed(answer, boundary).catch((e: Error) => {
      answer.destroy();
      throw new MatrixError(
        502,
        'M_UNKNOWN',
        `${serverName} answered malformed federation media: ${e instanceof MalformedMultipartError ? e.message : 'read failed'}`,
      );
    });
    const location = media.headers.location;
    if (!location) return partMedia(media.headers, media.body);
    media.body.resume();
    // The spec's redirect: the URL may be anywhere (a CDN), so it is fetched like any URL a peer chose, not trusted as the peer itself.
    const { response } = await guardedRequest(new URL(location), {
      addresses: this.addresses,
      timeoutMs: 30_000,
      ca: this.ca,
    }).catch((e: Error) => {
      throw new MatrixError(502, 'M_UNKNOWN', `Could not fetch the media ${serverName} redirected to: ${e.message}`);
    });
    if (response.statusCode !== 200) {
      response.resume();
      throw new MatrixError(502, 'M_UNKNOWN', `The media ${serverName} redirected to answered ${response.statusCode}`);
    }
    return plainMedia(response);
  }
}

interface MatrixErrorBody {
  errcode?: string;
  error?: string;
}

/** A non-200 answer's Matrix error, if it is one (read to at most 64 KiB). */
async function errorOf(answer: IncomingMessage): Promise<MatrixErrorBody | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer) {
    size += (chunk as Buffer).length;
    if (size > 65_536) {
      answer.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof body === 'object' && body !== null && typeof (body as MatrixErrorBody).errcode === 'string'
      ? (body as MatrixErrorBody)
      : undefined;
  } catch {
    return undefined;
  }
}

function unrecognized(status: number, error: MatrixErrorBody | undefined): boolean {
  if (error) return error.errcode === 'M_UNRECOGNIZED';
  return status === 404 || status === 405 || status === 400;
}

function failure(serverName: string, status: number, error: MatrixErrorBody | undefined): Error {
  if (status === 404 || (status === 400 && error?.errcode !== 'M_TOO_LARGE'))
    return new RemoteMediaUnavailable(status, `${serverName} answered ${status} ${error?.errcode ?? ''}`.trim());
  if (error?.errcode === 'M_TOO_LARGE')
    return new MatrixError(502, 'M_TOO_LARGE', `${serverName}'s media is too large`);
  if (status === 504 && error?.errcode === 'M_NOT_YET_UPLOADED')
    return new MatrixError(504, 'M_NOT_YET_UPLOADED', 'Content has not yet been uploaded');
  return new MatrixError(
    502,
    'M_UNKNOWN',
    `${serverName} answered ${status}${error?.errcode ? ` ${error.errcode}` : ''}`,
  );
}

function unreachable(serverName: string, e: Error): MatrixError {
  return new MatrixError(502, 'M_UNKNOWN', `Could not reach ${serverName}: ${e.message}`);
}

function plainMedia(response: IncomingMessage): FetchedMedia {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers[name] = value;
  return partMedia(headers, response);
}

function partMedia(headers: Record<string, string>, body: Readable): FetchedMedia {
  const length = headers['content-length'];
  return {
    contentType: headers['content-type'] ?? null,
    fileName: fileNameOf(headers['content-disposition']),
    declaredLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    body,
  };
}

/** The file name of a Content-Disposition header (RFC 6266): filename*= (RFC 8187, UTF-8) before filename=. */
export function fileNameOf(disposition: string | undefined): string | null {
  if (!disposition) return null;
  const extended = /filename\*\s*=\s*utf-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      return null;
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
  return plain ? (plain[1] ?? plain[2]).replace(/\\(.)/g, '$1') : null;
}
