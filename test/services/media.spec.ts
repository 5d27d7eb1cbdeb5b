import { createHash } from 'node:crypto';
import type { LocalDeployment } from '../../tools/services/local-deployment';
import { registerClient } from '../support/matrix-client';
import { mediaFlows, pseudoRandomBytes } from '../support/media-flows';
import { decodeImage, getMedia, testPicture, thumbnailUrl, uploadMedia } from '../support/media-requests';
import {
  motoServerBinary,
  S3_SKIP_REASON,
  S3_TEST_CREDENTIALS,
  startS3Server,
  type RunningS3Server,
} from '../support/s3-server';
import { startServicesDeployment } from '../support/services-deployment';

const moto = motoServerBinary();
let s3: RunningS3Server | undefined;

/** The processes take their configuration from the environment they are started with. */
async function startOnS3(): Promise<LocalDeployment & { close(): Promise<void> }> {
  s3 = await startS3Server(moto!);
  const s3Env = {
    LATTICE_MEDIA_S3_BUCKET: await s3.newBucket('lattice-services-media'),
    LATTICE_MEDIA_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  };
  Object.assign(process.env, s3Env);
  const deployment = await startServicesDeployment({ replicas: { media: 2 } });
  const closeDeployment = deployment.close;
  return Object.assign(deployment, {
    close: async () => {
      await closeDeployment();
      await s3?.close();
      // The suites share this process: the next one's deployment must not find the bucket here.
      for (const name of Object.keys(s3Env)) delete process.env[name];
    },
  });
}

(moto ? describe : describe.skip)(
  moto
    ? 'media in services mode: two media replicas on S3 storage behind nginx'
    : `media in services mode (skipped: ${S3_SKIP_REASON})`,
  () => {
    let deployment: LocalDeployment & { close(): Promise<void> };
    mediaFlows(async () => (deployment = await startOnS3()));

    it('serves from one replica what was uploaded to the other', async () => {
      const alice = await registerClient(deployment.url, `replica-alice-${Date.now()}`);
      const bytes = pseudoRandomBytes(3 * 1024 * 1024, 'across-replicas');
      const [first, second] = ['media-1', 'media-2'].map((name) => `http://127.0.0.1:${deployment.process(name).port}`);
      const authorization = `Bearer ${alice.getAccessToken()}`;
      const uploaded = await fetch(`${first}/_matrix/media/v3/upload?filename=across.bin`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      const { content_uri } = (await uploaded.json()) as { content_uri: string };
      const downloaded = await fetch(
        `${second}/_matrix/client/v1/media/download/${content_uri.slice('mxc://'.length)}`,
        { headers: { authorization } },
      );
      expect(downloaded.status).toBe(200);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(sha(Buffer.from(await downloaded.arrayBuffer()))).toBe(sha(bytes));
    });

    it('thumbnails on one replica a picture uploaded to the other, and through nginx', async () => {
      const alice = await registerClient(deployment.url, `thumb-alice-${Date.now()}`);
      const token = alice.getAccessToken()!;
      const [first, second] = ['media-1', 'media-2'].map((name) => `http://127.0.0.1:${deployment.process(name).port}`);
      const mxc = await uploadMedia(first, token, await testPicture('jpeg'), 'image/jpeg');
      for (const base of [second, deployment.url]) {
        const answer = await getMedia(thumbnailUrl(base, mxc, { width: 96, height: 96, method: 'crop' }), token);
        expect(answer.status).toBe(200);
        expect(await decodeImage(answer.bytes)).toEqual({ format: 'jpeg', width: 96, height: 96, pages: 1 });
      }
    });

    it('routes federation media to the media replicas (which demand a signed request)', async () => {
      const answer = await fetch(`${deployment.url}/_matrix/federation/v1/media/download/someMedia`);
      expect(answer.status).toBe(401);
    });
  },
);
