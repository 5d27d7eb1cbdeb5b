import { answerForAskedUsers } from './asked-users';

describe('answerForAskedUsers', () => {
  it('keeps the users asked about', () => {
    expect(answerForAskedUsers({ '@b:there': { k: 1 } }, { '@b:there': [] })).toEqual({ '@b:there': { k: 1 } });
  });

  it('drops keys of users nobody asked that server about', () => {
    expect(answerForAskedUsers({ '@b:there': { k: 1 }, '@alice:here': { forged: true } }, { '@b:there': [] })).toEqual({
      '@b:there': { k: 1 },
    });
  });

  it('answers nothing for a missing field', () => {
    expect(answerForAskedUsers(undefined, { '@b:there': [] })).toEqual({});
  });
});
