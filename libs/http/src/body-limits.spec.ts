import { bodyLimitFor, FEDERATION_TRANSACTION_LIMIT_BYTES, JSON_BODY_LIMIT_BYTES } from './body-limits';

describe('bodyLimitFor', () => {
  it('gives a federation transaction room for 50 maximum-size PDUs', () => {
    expect(bodyLimitFor('/_matrix/federation/v1/send/:txnId')).toBe(FEDERATION_TRANSACTION_LIMIT_BYTES);
    expect(FEDERATION_TRANSACTION_LIMIT_BYTES).toBeGreaterThan(50 * 65536);
  });

  it('gives a client request the JSON limit', () => {
    expect(bodyLimitFor('/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId')).toBe(JSON_BODY_LIMIT_BYTES);
  });

  it('gives other federation requests the JSON limit', () => {
    expect(bodyLimitFor('/_matrix/federation/v2/send_join/:roomId/:eventId')).toBe(JSON_BODY_LIMIT_BYTES);
  });
});
