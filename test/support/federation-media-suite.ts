import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { DATABASE, type Database } from '../../libs/storage/src';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from './embedded-server';
import { clientCall, federatingConfig } from './federating-server';
import type { PeerUnderTest } from './federation-suite';
import type { FederationPeer } from './federation-peer';
import { decodeImage, getMedia, testPicture, thumbnailUrl, uploadMedia } from './media-requests';

/**
 * Federation media (server-server-api "Content Repository", v1.11) between
 * this server and a peer: each side's user downloads the other's media and
 * a thumbnail of it through their own server, which fetches it over the
 * authenticated federation media endpoints. Runs against Synapse
 * (test/interop) and a second deployment of this server (test/e2e).
 */
export function federationMediaSuite({ name: peerName, start }: PeerUnderTest): void {
  describe(`federation media with ${peerName}`, () => {
    jest.setTimeout(60_000);
    const certs = makeTestCertificates();
    let peer: FederationPeer;
    let lattice: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let latticeName: string;
    let latticePort: number;
    let alice: { userId: string; accessToken: string };
    let bob: { userId: string; accessToken: string };

    beforeAll(async () => {
      latticePort = await freePort();
      latticeName = `localhost:${latticePort}`;
      [peer, lattice] = await Promise.all([
        start(certs),
        startEmbeddedServer(federatingConfig(certs, latticeName, latticePort)),
      ]);
      const { body } = await clientCall(lattice.url, latticeName, 'POST', '/_matrix/client/v3/register', undefined, {
        username: 'media-alice',
        password: 'interop password',
        auth: { type: 'm.login.dummy' },
      });
      alice = { userId: body.user_id as string, accessToken: body.access_token as string };
      bob = await peer.register('media-bob');
    }, 120_000);

    afterAll(async () => {
      await lattice?.close();
      await peer?.stop();
    });

    const downloadUrl = (base: string, mxc: string) =>
      `${base}/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`;

    it(`serves a ${peerName} user's download and thumbnail of media uploaded here`, async () => {
      const picture = await testPicture('png', 640, 320);
      const mxc = await uploadMedia(lattice.url, alice.accessToken, picture, 'image/png');
      const download = await getMedia(downloadUrl(peer.clientUrl, mxc), bob.accessToken);
      expect(download.status).toBe(200);
      expect(download.bytes.equals(picture)).toBe(true);
      const thumbnail = await getMedia(
        thumbnailUrl(peer.clientUrl, mxc, { width: 96, height: 96, method: 'crop' }),
        bob.accessToken,
      );
      expect(thumbnail.status).toBe(200);
      expect(await decodeImage(thumbnail.bytes)).toMatchObject({ width: 96, height: 96 });
    });

    it(`fetches a ${peerName} user's media and its thumbnail for a user here`, async () => {
      const picture = await testPicture('jpeg', 800, 400);
      const mxc = await uploadMedia(peer.clientUrl, bob.accessToken, picture, 'image/jpeg');
      const download = await getMedia(downloadUrl(lattice.url, mxc), alice.accessToken);
      expect(download.status).toBe(200);
      expect(download.contentType).toBe('image/jpeg');
      expect(download.bytes.equals(picture)).toBe(true);
      const thumbnail = await getMedia(
        thumbnailUrl(lattice.url, mxc, { width: 320, height: 240, method: 'scale' }),
        alice.accessToken,
      );
      expect(thumbnail.status).toBe(200);
      const decoded = await decodeImage(thumbnail.bytes);
      // Never smaller than asked, never larger than the original, the original's 2:1 shape kept.
      expect(decoded.height).toBeGreaterThanOrEqual(240);
      expect(decoded.width).toBeLessThanOrEqual(800);
      expect(decoded.width).toBe(decoded.height * 2);
    });

    it(`fetches a thumbnail of ${peerName} media it has not downloaded, from ${peerName}'s federation thumbnail endpoint`, async () => {
      const mxc = await uploadMedia(peer.clientUrl, bob.accessToken, await testPicture('png', 500, 500), 'image/png');
      const thumbnail = await getMedia(
        thumbnailUrl(lattice.url, mxc, { width: 32, height: 32, method: 'crop' }),
        alice.accessToken,
      );
      expect(thumbnail.status).toBe(200);
      expect(await decodeImage(thumbnail.bytes)).toMatchObject({ width: 32, height: 32 });
      const [origin, mediaId] = mxc.slice('mxc://'.length).split('/');
      // The thumbnail came on its own: the original was never fetched.
      expect(
        await lattice.app
          .get<Database>(DATABASE)
          .prisma.media.findUnique({ where: { origin_mediaId: { origin, mediaId } } }),
      ).toBeNull();
    });

    it(`does not fetch ${peerName} media for the deprecated unauthenticated endpoints, which the freeze closes to it`, async () => {
      const mxc = await uploadMedia(peer.clientUrl, bob.accessToken, await testPicture('png', 60, 60), 'image/png');
      const legacy = await getMedia(`${lattice.url}/_matrix/media/v3/download/${mxc.slice('mxc://'.length)}`);
      expect(legacy.status).toBe(404);
      const [origin, mediaId] = mxc.slice('mxc://'.length).split('/');
      expect(
        await lattice.app
          .get<Database>(DATABASE)
          .prisma.media.findUnique({ where: { origin_mediaId: { origin, mediaId } } }),
      ).toBeNull();
    });

    it(`answers 404 for ${peerName} media that does not exist`, async () => {
      const missing = await getMedia(
        downloadUrl(lattice.url, `mxc://${peer.serverName}/doesNotExist123`),
        alice.accessToken,
      );
      expect({ status: missing.status, errcode: missing.error?.errcode }).toEqual({
        status: 404,
        errcode: 'M_NOT_FOUND',
      });
    });

    it('refuses an unsigned federation media request', async () => {
      const mxc = await uploadMedia(lattice.url, alice.accessToken, await testPicture('png', 50, 50), 'image/png');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: latticePort,
            path: `/_matrix/federation/v1/media/download/${mxc.split('/').pop()}`,
            ca: [readFileSync(certs.caFile, 'utf8')],
            servername: 'localhost',
            headers: { host: latticeName },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
    });
  });
}
