/**
 * The embedded database's thread (a worker_thread started by embedded-postgres.ts): PGlite, serving the
 * Postgres wire protocol on a unix socket, so the server talks to it through node-pg as it talks to Postgres,
 * and PGlite's WebAssembly runs on a core of its own instead of the event loop that answers HTTP.
 *
 * Whole protocol messages go to PGlite as they arrived and its bytes go back; the only parsing is of message
 * boundaries, of the names of statements prepared, and of the transaction status an answer ends with. Node loads
 * this file itself (as TypeScript when tests run the sources), so it imports nothing of the project's.
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { Session } from 'node:inspector/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** What the starting thread hands over (workerData). */
export interface PGliteServerOptions {
  dataDir: string;
  /** Postgres settings added to PGlite's own start parameters (`-c name=value` pairs). */
  settings: string[];
  socketPath: string;
}

/** What the worker tells its starting thread: listening, a message worth a debug log line, or closed. */
export type PGliteServerEvent = { ready: true } | { debug: string } | { closed: true };

/** Requests sent before the startup message, told apart by this code where a startup message has its version. */
const SSL_REQUEST = 80_877_103;
const GSS_ENCRYPTION_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Terminate ('X'): the client is leaving; PGlite, one session for the thread's life, is not. */
const TERMINATE = 0x58;
const PARSE = 0x50;
const SIMPLE_QUERY = 0x51;
/** ReadyForQuery ('Z'), the last message of an answer to a Sync or a simple query, and its status for "idle". */
const READY_FOR_QUERY = 0x5a;
const IDLE = 0x49;

function tell(event: PGliteServerEvent): void {
  parentPort!.postMessage(event);
}

/**
 * PGlite is one Postgres session, and a statement runs to its end once started (the call is synchronous), so the
 * connections share it one batch of messages at a time, in the order they arrive. A batch whose answer leaves the
 * session other than idle (inside a transaction, or an extended query before its Sync) gives the session to its
 * connection: the others' batches wait until that connection's answer ends idle again, so no connection's
 * statements run inside another's transaction and each transaction sees only its own uncommitted rows, as
 * separate sessions would.
 */
class SharedSession {
  private turn = Promise.resolve();
  private owner: Socket | undefined;
  private waiting: Array<() => void> = [];

  /** Queues `work` for `socket`, to run once the session is not another connection's. */
  run(socket: Socket, work: () => Promise<void>): void {
    this.turn = this.turn.then(() => {
      if (this.owner === undefined || this.owner === socket) return work();
      this.waiting.push(() => this.run(socket, work));
    });
  }

  /** After a batch of `socket`'s: the session stays its connection's unless the reply left it idle. */
  answered(socket: Socket, reply: Buffer): void {
    const last = reply.length - 6;
    if (last >= 0 && reply[last] === READY_FOR_QUERY && reply[reply.length - 1] === IDLE) this.release(socket);
    else this.owner = socket;
  }

  release(socket: Socket): void {
    if (this.owner !== socket) return;
    this.owner = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }

  /** Resolves once every queued batch has run, those that waited for a transaction included. */
  async settled(): Promise<void> {
    for (let turn = this.turn; ; turn = this.turn) {
      await turn;
      if (turn === this.turn && this.waiting.length === 0) return;
    }
  }
}

/**
 * The names of the statements a batch prepares (Parse messages' names, simple queries' PREPARE): the session
 * outlives the connection, which takes them with it.
 */
function preparedNames(messages: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 5 <= messages.length; at += 1 + messages.readInt32BE(at + 1)) {
    const body = messages.subarray(at + 5, at + 1 + messages.readInt32BE(at + 1));
    if (messages[at] === PARSE) {
      const name = body.subarray(0, body.indexOf(0)).toString();
      if (name) names.push(name);
    } else if (messages[at] === SIMPLE_QUERY) {
      const prepare = /^PREPARE (\w+) AS /.exec(body.subarray(0, 80).toString());
      if (prepare) names.push(prepare[1]);
    }
  }
  return names;
}

/** One client's connection, on the shared session. */
function serve(pglite: PGlite, socket: Socket, session: SharedSession): void {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  const prepared = new Set<string>();
  let left = false;
  /**
   * What Postgres does for a leaving client: ends its transaction and forgets its prepared statements (the session
   * outlives the connection, prepared-statements.ts), once the session is this connection's or no one's.
   */
  const leave = async (): Promise<void> => {
    if (left) return;
    left = true;
    if (pglite.isInTransaction()) await pglite.exec('ROLLBACK');
    session.release(socket);
    // One at a time: a name whose PREPARE failed was never prepared, and DEALLOCATE refuses it.
    for (const name of prepared) await pglite.exec(`DEALLOCATE ${name}`).catch(() => undefined);
  };

  /** Takes the complete messages off `pending` and answers them; a part of a message waits for its rest. */
  const answer = async (): Promise<void> => {
    while (!started && pending.length >= 8 && pending.length >= pending.readInt32BE(0)) {
      const length = pending.readInt32BE(0);
      const code = pending.readInt32BE(4);
      const message = pending.subarray(0, length);
      pending = pending.subarray(length);
      if (code === SSL_REQUEST || code === GSS_ENCRYPTION_REQUEST) {
        // Over a local socket there is nothing to encrypt: 'N' tells the client to go on without.
        socket.write('N');
      } else if (code === CANCEL_REQUEST) {
        // The statement to cancel is already running to its end on this thread: there is nothing to interrupt.
        socket.end();
        return;
      } else {
        started = true;
        const reply = await run(pglite, message);
        socket.write(reply);
        session.answered(socket, reply);
      }
    }
    if (!started) return;
    let end = 0;
    let terminated = false;
    while (end + 5 <= pending.length && end + 1 + pending.readInt32BE(end + 1) <= pending.length) {
      if (pending[end] === TERMINATE) {
        terminated = true;
        break;
      }
      end += 1 + pending.readInt32BE(end + 1);
    }
    // Several messages at once (a query's Parse, Bind, Describe, Execute, Sync) are one call: PGlite runs them in turn.
    if (end > 0) {
      const messages = pending.subarray(0, end);
      pending = pending.subarray(end);
      for (const name of preparedNames(messages)) prepared.add(name);
      const reply = await run(pglite, messages);
      socket.write(reply);
      session.answered(socket, reply);
    }
    // Before the socket ends, which is when the client's end() returns: whatever anyone sends next finds the session
    // as Postgres would have it, without this connection's statements.
    if (terminated) {
      await leave();
      socket.end();
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // A failure here is PGlite's own (a database error is an answer, in the bytes): the rejection is left
    // unhandled, which ends this thread, and the server with it (embedded-postgres.ts), rather than hang.
    session.run(socket, answer);
  });
  socket.on('error', (e) =>
    tell({ debug: `A connection to the embedded database failed; it is closed: ${e.message}` }),
  );
  // A connection that dropped without a Terminate leaves too.
  socket.on('close', () => session.run(socket, leave));
}

/**
 * Runs a batch of messages (or a startup message) and gives PGlite's answer as it wrote it. Not execProtocolRaw:
 * that also parses every message of the answer and keeps it in a list only the parsing calls (exec, query) empty,
 * which a connection speaking the wire protocol never makes, so one connection's answers piled up on this thread's
 * heap for its whole life (36 MB per 2,000 reads of 50 rows, measured), and the parsing took most of the time of a
 * small read. The streamed answer comes as views into PGlite's memory, which the next call overwrites: each is
 * copied.
 */
async function run(pglite: PGlite, messages: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pglite.execProtocolRawStream(messages, { onRawData: (bytes) => chunks.push(Buffer.from(bytes)) });
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

async function main(options: PGliteServerOptions): Promise<void> {
  const pglite = await PGlite.create(options.dataDir, {
    startParams: [...PGlite.defaultStartParams, ...options.settings],
  });
  const session = new SharedSession();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(pglite, socket, session);
  });
  // A socket file left by a process that ended without closing; the data folder is this process's alone.
  rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, resolve);
  });
  const close = async () => {
    server.close();
    // A connection's close queues its rollback (serve): PGlite closes after those turns, not before the last runs.
    const connectionsClosed = [...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const socket of sockets) socket.destroy();
    await Promise.all(connectionsClosed);
    await session.settled();
    await pglite.close();
    rmSync(options.socketPath, { force: true });
    tell({ closed: true });
  };
  // The only message is 'close'. Failing to close ends the thread with the error, which the starting thread logs.
  parentPort!.once('message', () => void close());
  await collectStartupGarbage();
  tell({ ready: true });
}

/**
 * Starting PGlite leaves ~165 MB of ArrayBuffers behind (the WebAssembly and file-system bundles it loaded), which
 * an idle thread allocating little does not collect for a long while: the server's first minutes of load ran 700 MB
 * of RSS instead of ~400 (fan-out bench). The inspector's collectGarbage (V8's low-memory collection) frees them and
 * gives the grown heap spaces back (the thread's heap 18 MB idle, against 23 after an eager vm.measureMemory),
 * without exposing `gc` through V8 flags, which are the process's: turning them on and off at run time while
 * another thread compiles WebAssembly (matrix-js-sdk's crypto in the tests' processes) can crash the process.
 * The same as the main thread's (libs/runtime collect-startup-garbage.ts): this file imports nothing of the project's.
 */
async function collectStartupGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}

if (parentPort) void main(workerData as PGliteServerOptions);
