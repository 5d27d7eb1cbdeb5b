import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PGliteServerEvent, PGliteServerOptions } from './pglite-server';
import { startScriptThread } from './script-thread';

const logger = new Logger('EmbeddedPostgres');

/** node-pg connects to `<host>/.s.PGSQL.<port>` when its host is a folder (libpq's convention). */
const PORT = 5432;
/** A unix socket's path fits in sun_path's 108 bytes, its terminating zero included. */
const MAX_SOCKET_PATH = 107;

/** PGlite on a thread of its own, reached as Postgres is, over a unix socket. */
export interface EmbeddedPostgres {
  /** node-pg's connection settings for it. */
  connection: { host: string; port: number; user: string; database: string };
  /** Bytes in use on the thread's JavaScript heap, which the process's heap metrics (the main thread's) leave out. */
  heapUsed(): Promise<number>;
  /** Closes PGlite (what the connections left behind is rolled back) and ends the thread. */
  stop(): Promise<void>;
}

/**
 * Starts PGlite on a worker thread (pglite-server.ts) serving the data folder on a unix socket in that folder
 * (in a private temporary folder when the path is too long for a socket). Once started, the thread ending
 * before stop() is a failure nothing can recover from in process: it is thrown as an uncaught error, which
 * ends the server with the reason, instead of a server whose every query fails.
 */
export async function startEmbeddedPostgres(dataDir: string, settings: string[]): Promise<EmbeddedPostgres> {
  const inDataDir = resolve(dataDir);
  const host =
    join(inDataDir, `.s.PGSQL.${PORT}`).length <= MAX_SOCKET_PATH
      ? inDataDir
      : mkdtempSync(join(tmpdir(), 'lattice-pglite-'));
  const options: PGliteServerOptions = { dataDir, settings, socketPath: join(host, `.s.PGSQL.${PORT}`) };
  const worker = startScriptThread(__dirname, 'pglite-server', { name: 'pglite', workerData: options });

  let state: 'starting' | 'running' | 'stopping' = 'starting';
  let started!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
  let closed!: () => void;
  const closing = new Promise<void>((resolve) => (closed = resolve));
  // An error the thread did not catch ends it: it is the reason given when the exit follows.
  let cause: Error | undefined;
  const failed = (error: Error) => {
    if (state === 'stopping') {
      if (cause) logger.warn(`The embedded database did not close cleanly: ${cause.message}`);
      closed();
    } else if (state === 'starting') started.reject(error);
    else throw error;
  };
  worker.on('message', (event: PGliteServerEvent) => {
    if ('ready' in event) {
      state = 'running';
      started.resolve();
    } else if ('debug' in event) logger.debug(event.debug);
    else closed();
  });
  worker.on('error', (e) => (cause = e));
  worker.on('exit', (code) =>
    failed(
      new Error(`The embedded database's thread ended (exit code ${code})${cause ? `: ${cause.message}` : ''}`, {
        cause,
      }),
    ),
  );

  const removeSocketFolder = () => host !== inDataDir && rmSync(host, { recursive: true, force: true });
  try {
    await ready;
  } catch (e) {
    await worker.terminate();
    removeSocketFolder();
    throw e;
  }
  return {
    connection: { host, port: PORT, user: 'postgres', database: 'postgres' },
    heapUsed: async () => (await worker.getHeapStatistics()).used_heap_size,
    stop: async () => {
      state = 'stopping';
      worker.postMessage('close');
      await closing;
      await worker.terminate();
      removeSocketFolder();
    },
  };
}
