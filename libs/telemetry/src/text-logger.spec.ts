import { TextLogger } from './text-logger';

describe('TextLogger', () => {
  const printed = (message: unknown): string => {
    const lines: string[] = [];
    const logger = new TextLogger({ colors: false, timestamp: false });
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    try {
      logger.log(message, 'Access');
    } finally {
      write.mockRestore();
    }
    return lines.join('');
  };

  it('prints a structured record on one line: its msg, then the fields the msg does not show', () => {
    const line = printed({ msg: 'PUT /send 200 3ms', status: 200, route: '/send/:txnId', user_id: '@a:hs' });
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(line).toContain('PUT /send 200 3ms route=/send/:txnId user_id=@a:hs');
    expect(line).not.toContain('status=');
  });

  it('prints other messages as Nest does', () => {
    expect(printed('started')).toContain('started');
  });
});
