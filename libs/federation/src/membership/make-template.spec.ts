import { FederationError, type FederationClient } from '../client/federation-client';
import { makeMembershipTemplate } from './make-template';

const user = '@u:here';
const room = '!r:there';

/** A resident server that answers make_* with `answer`, or refuses with `status` and `body`. */
function resident(answer: unknown, refusal?: { status: number; body: unknown }) {
  const paths: string[] = [];
  const client = {
    request: async (_origin: string, _server: string, _method: string, path: string) => {
      paths.push(path);
      if (refusal) throw new FederationError('there', refusal.status, refusal.body);
      return answer;
    },
  } as unknown as FederationClient;
  return { client, paths };
}

const template = (membership: string) => ({
  room_version: '10',
  event: { type: 'm.room.member', room_id: room, sender: user, state_key: user, content: { membership } },
});

describe('makeMembershipTemplate', () => {
  it('asks make_knock with every room version this server supports', async () => {
    const { client, paths } = resident(template('knock'));
    const made = await makeMembershipTemplate(client, 'here', 'there', 'knock', room, user);
    expect(made.version.id).toBe('10');
    expect(paths[0]).toMatch(/^\/_matrix\/federation\/v1\/make_knock\/!r%3Athere\/%40u%3Ahere\?ver=1&ver=2&.*ver=12/);
  });

  it("passes the resident's M_INCOMPATIBLE_ROOM_VERSION through to the client", async () => {
    const { client } = resident(undefined, {
      status: 400,
      body: { errcode: 'M_INCOMPATIBLE_ROOM_VERSION', error: 'too new', room_version: '99' },
    });
    await expect(makeMembershipTemplate(client, 'here', 'there', 'knock', room, user)).rejects.toMatchObject({
      status: 400,
      errcode: 'M_INCOMPATIBLE_ROOM_VERSION',
      message: 'too new',
      extra: { room_version: '99' },
    });
  });

  it('passes a refusal through as M_FORBIDDEN', async () => {
    const { client } = resident(undefined, { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'not knockable' } });
    await expect(makeMembershipTemplate(client, 'here', 'there', 'knock', room, user)).rejects.toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
    });
  });

  it('refuses a template for another membership than asked (knocks.yaml: "MUST verify")', async () => {
    const { client } = resident(template('join'));
    await expect(makeMembershipTemplate(client, 'here', 'there', 'knock', room, user)).rejects.toThrow(
      'a template for join, not knock',
    );
  });

  it('refuses a template of a version this server does not support with M_INCOMPATIBLE_ROOM_VERSION', async () => {
    const { client } = resident({ ...template('knock'), room_version: '99' });
    await expect(makeMembershipTemplate(client, 'here', 'there', 'knock', room, user)).rejects.toMatchObject({
      status: 400,
      errcode: 'M_INCOMPATIBLE_ROOM_VERSION',
    });
  });
});
