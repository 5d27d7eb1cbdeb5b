import {
  claimsAliasExclusively,
  claimsUserExclusively,
  coversUser,
  parseRegistration,
  RegistrationError,
} from './registration';

const base = {
  id: 'irc',
  url: 'http://127.0.0.1:9999/',
  as_token: 'as',
  hs_token: 'hs',
  sender_localpart: '_irc_bot',
  namespaces: { users: [{ exclusive: true, regex: '@_irc_.*' }], aliases: [{ exclusive: false, regex: '#_irc_.*' }] },
};

describe('application service registrations', () => {
  it('reads a registration as bridges write it, with the spec defaults', () => {
    const r = parseRegistration(base, 'example.org', 'irc.yaml');
    expect(r).toMatchObject({
      id: 'irc',
      url: 'http://127.0.0.1:9999',
      sender: '@_irc_bot:example.org',
      rateLimited: true,
      receiveEphemeral: false,
      protocols: [],
      rooms: [],
    });
  });

  it('takes MSC2409 push_ephemeral as receive_ephemeral', () => {
    expect(
      parseRegistration({ ...base, 'de.sorunome.msc2409.push_ephemeral': true }, 'example.org', 'irc.yaml')
        .receiveEphemeral,
    ).toBe(true);
  });

  it('refuses a namespace regex that does not compile, naming it', () => {
    const bad = { ...base, namespaces: { users: [{ exclusive: true, regex: '@_irc_(' }] } };
    expect(() => parseRegistration(bad, 'example.org', 'irc.yaml')).toThrow(
      /irc\.yaml: namespaces\.users\[0\]\.regex is not a valid regular expression/,
    );
  });

  it('refuses a registration without its required fields', () => {
    expect(() => parseRegistration({ id: 'irc' }, 'example.org', 'irc.yaml')).toThrow(RegistrationError);
  });

  it('matches whole IDs, local users only', () => {
    const r = parseRegistration(base, 'example.org', 'irc.yaml');
    expect(coversUser(r, '@_irc_bob:example.org')).toBe(true);
    expect(coversUser(r, '@_irc_bob:elsewhere.org')).toBe(false);
    expect(coversUser(r, '@bob_irc_x:example.org')).toBe(false);
    expect(coversUser(r, '@_irc_bot:example.org')).toBe(true);
  });

  it('claims exclusively only what an exclusive namespace holds', () => {
    const r = parseRegistration(base, 'example.org', 'irc.yaml');
    expect(claimsUserExclusively(r, '@_irc_bob:example.org')).toBe(true);
    expect(claimsAliasExclusively(r, '#_irc_chan:example.org')).toBe(false);
  });
});
