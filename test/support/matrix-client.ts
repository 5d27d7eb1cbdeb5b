import type { ICreateClientOpts, MatrixClient } from 'matrix-js-sdk';

type Logger = NonNullable<ICreateClientOpts['logger']>;

type Sdk = typeof import('matrix-js-sdk');
let sdk: Promise<Sdk> | undefined;

/** matrix-js-sdk is an ES module: loaded once with a real dynamic import. */
export function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import('matrix-js-sdk'), import('matrix-js-sdk/lib/logger.js')]).then(([loaded, { logger }]) => {
    // Parts of the sdk log through its global logger rather than the client's.
    (logger as unknown as { setLevel(level: string): void }).setLevel('silent');
    return loaded;
  });
  return sdk;
}

/** The sdk logs every sync step at debug level; tests report their own failures. */
const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  getChild: () => silentLogger,
};

/** A matrix-js-sdk client with the sdk's logging silenced. */
export async function newClient(opts: ICreateClientOpts): Promise<MatrixClient> {
  const { createClient } = await loadSdk();
  return createClient({ logger: silentLogger, ...opts });
}

/** Registers a user through matrix-js-sdk's own registration flow (UIA with m.login.dummy) and returns a logged-in client. */
export async function registerClient(
  baseUrl: string,
  username: string,
  password = 'correct horse',
): Promise<MatrixClient> {
  const anonymous = await newClient({ baseUrl });
  const session = (await anonymous
    .registerRequest({ username, password })
    .catch((e: { data?: { session?: string } }) => e.data)) as { session?: string } | undefined;
  const registered = await anonymous.registerRequest({
    username,
    password,
    auth: { type: 'm.login.dummy', session: session?.session },
  });
  return newClient({
    baseUrl,
    userId: registered.user_id,
    accessToken: registered.access_token,
    deviceId: registered.device_id,
  });
}

/** Waits until `predicate` holds, polling; fails with `what` after `ms`. */
export async function eventually<T>(
  what: string,
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
