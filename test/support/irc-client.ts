import { connect, type Socket } from 'node:net';

export interface IrcMessage {
  prefix?: string;
  command: string;
  params: string[];
}

/**
 * A raw IRC client over a node net socket (RFC 1459 lines), as a person on
 * the IRC side of a bridge: it registers a nick, answers PINGs, joins
 * channels and keeps every message it was sent.
 */
export class IrcClient {
  readonly received: IrcMessage[] = [];
  private buffer = '';

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\r\n')) !== -1) {
        const message = parseLine(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
        if (message.command === 'PING') this.send(`PONG :${message.params[0] ?? ''}`);
        this.received.push(message);
      }
    });
  }

  static async connect(port: number, nick: string): Promise<IrcClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const client = new IrcClient(socket);
    client.send(`NICK ${nick}`);
    client.send(`USER ${nick} 0 * :${nick}`);
    await client.waitFor('the welcome (001)', (m) => m.command === '001');
    return client;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async join(channel: string): Promise<void> {
    this.send(`JOIN ${channel}`);
    await this.waitFor(`the join of ${channel}`, (m) => m.command === 'JOIN' && m.params[0] === channel);
  }

  say(target: string, text: string): void {
    this.send(`PRIVMSG ${target} :${text}`);
  }

  async waitFor(what: string, match: (message: IrcMessage) => boolean, ms = 30_000): Promise<IrcMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`IRC: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): void {
    this.send('QUIT :bye');
    this.socket.end();
  }
}

function parseLine(line: string): IrcMessage {
  let rest = line;
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1);
  }
  const trailingAt = rest.indexOf(' :');
  const trailing = trailingAt === -1 ? undefined : rest.slice(trailingAt + 2);
  const words = (trailingAt === -1 ? rest : rest.slice(0, trailingAt)).split(' ').filter(Boolean);
  return {
    prefix,
    command: words[0].toUpperCase(),
    params: [...words.slice(1), ...(trailing === undefined ? [] : [trailing])],
  };
}
