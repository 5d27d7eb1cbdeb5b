import { logOutput } from './log-output';
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
      logOutput.flush();
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

  it("prints an error's stack after its message", () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      lines.push(String(text));
      return true;
    });
    try {
      new TextLogger({ colors: false, timestamp: false }).error('it broke', 'Error: it broke\n    at somewhere', 'Ctx');
      logOutput.flush();
    } finally {
      write.mockRestore();
    }
    const text = lines.join('');
    expect(text.indexOf('it broke')).toBeLessThan(text.indexOf('at somewhere'));
  });
});
