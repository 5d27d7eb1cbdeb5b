import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { freePort } from '../../tools/net/free-port';
import { generateHeisenbridgeRegistration, Heisenbridge, heisenbridgePython } from '../support/heisenbridge';
import { IrcClient } from '../support/irc-client';
import { ngircdBinary, startIrcServer } from '../support/irc-server';
import { eventually, registerClient } from '../support/matrix-client';
import { startServicesDeployment } from '../support/services-deployment';

const python = heisenbridgePython();
const ngircd = ngircdBinary();
const missing = [
  !python && 'LATTICE_HEISENBRIDGE_PYTHON (a virtualenv with heisenbridge from PyPI)',
  !ngircd && 'ngircd (apt-get install ngircd)',
].filter(Boolean);
if (missing.length)
  process.stdout.write(`Skipping the heisenbridge test: it needs ${missing.join(' and ')}; .ci/run provides both\n`);

/**
 * A real IRC bridge end to end: heisenbridge (PyPI) against Lattice in services mode, ngircd (Debian)
 * as the IRC network. A Matrix user (matrix-js-sdk) sets the bridge up through its control room as
 * its README says, and talks with a person on IRC (a raw socket client) both ways through a bridged
 * channel; a message sent while the app-service sender process is down reaches IRC once it is back.
 */
(missing.length ? describe.skip : describe)('heisenbridge and an IRC server through Lattice', () => {
  let deployment: Awaited<ReturnType<typeof startServicesDeployment>>;
  let irc: Awaited<ReturnType<typeof startIrcServer>>;
  let bridge: Heisenbridge;
  let alice: MatrixClient;
  let bob: IrcClient;
  let channelRoom: Room;

  const textsIn = (room: Room) =>
    room
      .getLiveTimeline()
      .getEvents()
      .filter((e) => e.getType() === 'm.room.message')
      .map((e) => e.getContent().body as string);

  async function joinInviteFrom(sender: string, what: string, excluding: string[] = []): Promise<Room> {
    const invited = await eventually(
      what,
      () =>
        alice
          .getRooms()
          .find(
            (room) =>
              room.getMyMembership() === 'invite' &&
              !excluding.includes(room.roomId) &&
              room.getMember(alice.getUserId()!)?.events.member?.getSender() === sender,
          ),
      60_000,
    );
    await alice.joinRoom(invited.roomId);
    return eventually(
      `${what} joined`,
      () => alice.getRoom(invited.roomId)?.getMyMembership() === 'join' && alice.getRoom(invited.roomId)!,
      30_000,
    );
  }

  async function command(room: Room, text: string): Promise<void> {
    await alice.sendTextMessage(room.roomId, text);
  }

  beforeAll(async () => {
    const [ircPort, bridgePort] = [await freePort(), await freePort()];
    irc = await startIrcServer(ngircd!, ircPort);
    const registrationPath = generateHeisenbridgeRegistration(python!, bridgePort);
    const configFile = join(mkdtempSync(join(tmpdir(), 'lattice-heisenbridge-config-')), 'lattice.yaml');
    writeFileSync(
      configFile,
      dump({
        tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registrationPath] }],
        appservices: { retryInitialMs: 200, retryMaxMs: 1_000 },
        rateLimit: { perSecond: 1000, burst: 1000 },
      }),
    );
    deployment = await startServicesDeployment({ configFile });
    alice = await registerClient(deployment.url, 'alice');
    await alice.startClient({ initialSyncLimit: 20 });
    bridge = new Heisenbridge(python!, registrationPath, deployment.url, alice.getUserId()!);
    bridge.start();
  }, 400_000);

  afterAll(async () => {
    bob?.close();
    alice?.stopClient();
    await bridge?.stop();
    await deployment?.close();
    await irc?.stop();
  });

  it('sets a network up from the control room and joins an IRC channel', async () => {
    const control = await joinInviteFrom('@heisenbridge:localhost', 'the control room invite', []);
    await command(control, 'ADDNETWORK lattice');
    await command(control, `ADDSERVER lattice 127.0.0.1 ${irc.port}`);
    await command(control, 'OPEN lattice');
    const network = await joinInviteFrom('@heisenbridge:localhost', 'the network room invite', [control.roomId]);
    await command(network, 'CONNECT');
    await eventually(
      'the IRC welcome in the network room',
      () => textsIn(network).some((text) => /welcome/i.test(text)),
      60_000,
    );
    bob = await IrcClient.connect(irc.port, 'bob');
    await bob.join('#bridged');
    await command(network, 'JOIN #bridged');
    channelRoom = await joinInviteFrom('@heisenbridge:localhost', 'the channel room invite', [
      control.roomId,
      network.roomId,
    ]);
    await bob.waitFor(
      'alice joining #bridged',
      (m) => m.command === 'JOIN' && m.params[0] === '#bridged' && (m.prefix ?? '').startsWith('alice!'),
    );
  }, 240_000);

  it('brings what the IRC user says into the Matrix room, from their puppet', async () => {
    bob.say('#bridged', 'hello from IRC');
    const event = await eventually(
      'the IRC message in Matrix',
      () =>
        channelRoom
          .getLiveTimeline()
          .getEvents()
          .find((e: MatrixEvent) => e.getContent().body === 'hello from IRC'),
      60_000,
    );
    expect(event.getSender()).toMatch(/^@irc_.*bob.*:localhost$/);
  }, 90_000);

  it('brings what the Matrix user says to the IRC channel', async () => {
    await alice.sendTextMessage(channelRoom.roomId, 'hello from Matrix');
    const line = await bob.waitFor(
      'the Matrix message on IRC',
      (m) => m.command === 'PRIVMSG' && m.params[0] === '#bridged' && m.params[1] === 'hello from Matrix',
      60_000,
    );
    expect(line.prefix).toMatch(/^alice!/);
  }, 90_000);

  it('loses no message while the app-service sender restarts', async () => {
    await deployment.kill('appservice');
    await alice.sendTextMessage(channelRoom.roomId, 'sent while the sender was down');
    await alice.sendTextMessage(channelRoom.roomId, 'and a second one');
    await deployment.restart('appservice');
    const first = await bob.waitFor(
      'the first message on IRC',
      (m) => m.command === 'PRIVMSG' && m.params[1] === 'sent while the sender was down',
      60_000,
    );
    const second = await bob.waitFor(
      'the second message on IRC',
      (m) => m.command === 'PRIVMSG' && m.params[1] === 'and a second one',
      60_000,
    );
    expect(bob.received.indexOf(first)).toBeLessThan(bob.received.indexOf(second));
  }, 120_000);
});
