import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from './embedded-server';
import { clientCall, federatingConfig } from './federating-server';
import type { PeerUnderTest } from './federation-suite';
import type { FederationPeer } from './federation-peer';
import { heisenbridgePython } from './heisenbridge';
import { eventually } from './matrix-client';
import { MautrixAppservice } from './mautrix-appservice';

/**
 * An application service here (mautrix-python, ephemeral events on) receives
 * what a peer server's user does in a room the service's user shares with
 * them: the peer's read receipts, which reach this server as m.receipt EDUs
 * (MSC2409 ephemeral events come from federation as from local clients).
 * Run against Synapse (test/interop) and a second Lattice (test/e2e).
 */
export function federatedAppserviceSuite({ name: peerName, start }: PeerUnderTest): void {
  // mautrix-python comes with heisenbridge (LATTICE_HEISENBRIDGE_PYTHON; .ci/run makes it).
  const python = heisenbridgePython();
  if (!python)
    process.stdout.write(
      `Skipping the application service test with ${peerName}: it needs LATTICE_HEISENBRIDGE_PYTHON (a virtualenv with heisenbridge, which brings mautrix); .ci/run provides it\n`,
    );

  (python ? describe : describe.skip)(`an application service here, in a room with ${peerName} users`, () => {
    jest.setTimeout(60_000);
    const certs = makeTestCertificates();
    let peer: FederationPeer;
    let lattice: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let latticeName: string;
    let service: MautrixAppservice;

    const latticeClient = (method: string, path: string, token?: string, body?: unknown) =>
      clientCall(lattice.url, latticeName, method, path, token, body);

    beforeAll(async () => {
      service = await MautrixAppservice.register(python!);
      const port = await freePort();
      latticeName = `localhost:${port}`;
      const config = federatingConfig(certs, latticeName, port);
      const latticeConfig = {
        ...config,
        tenants: [{ serverName: latticeName, appServiceConfigFiles: [service.registration.path] }],
      };
      [peer, lattice] = await Promise.all([start(certs), startEmbeddedServer(latticeConfig)]);
      await service.start(lattice.url);
    }, 120_000);

    afterAll(async () => {
      service?.stop();
      await lattice?.close();
      await peer?.stop();
    });

    it(`receives the read receipt of a ${peerName} user as an ephemeral event`, async () => {
      const asToken = service.registration.asToken;
      const registered = await latticeClient('POST', '/_matrix/client/v3/register', asToken, {
        type: 'm.login.application_service',
        username: '_mx_remy',
      });
      const bridged = registered.body.access_token as string;
      const roomId = (await latticeClient('POST', '/_matrix/client/v3/createRoom', bridged, { preset: 'public_chat' }))
        .body.room_id as string;
      const room = encodeURIComponent(roomId);
      const paula = await peer.register('paula');
      const joined = await peer.request(
        'POST',
        `/_matrix/client/v3/join/${room}?server_name=${encodeURIComponent(latticeName)}`,
        paula.accessToken,
        {},
      );
      expect(joined.status).toBe(200);
      const sent = await latticeClient('PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/r1`, bridged, {
        msgtype: 'm.text',
        body: 'read this',
      });
      const eventId = sent.body.event_id as string;
      await eventually(`the message on ${peerName}`, async () => {
        const { status } = await peer.request(
          'GET',
          `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(eventId)}`,
          paula.accessToken,
        );
        return status === 200;
      });
      await peer.request(
        'POST',
        `/_matrix/client/v3/rooms/${room}/receipt/m.read/${encodeURIComponent(eventId)}`,
        paula.accessToken,
        {},
      );
      const receipt = await eventually(
        `${peerName}'s receipt at the service`,
        () =>
          service.received.find(
            (r) =>
              r.kind === 'ephemeral' &&
              r.data.type === 'm.receipt' &&
              r.data.content?.[eventId]?.['m.read']?.[paula.userId],
          ),
        30_000,
      );
      expect(receipt.data.room_id).toBe(roomId);
    });
  });
}
