import type { MatrixClient } from 'matrix-js-sdk';

type Sdk = typeof import('matrix-js-sdk');
let sdk: Promise<Sdk> | undefined;

/** matrix-js-sdk is an ES module: loaded once with a real dynamic import. */
export function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import('matrix-js-sdk'), import('matrix-js-sdk/lib/logger.js')]).then(([loaded, { logger }]) => {
    (logger as unknown as { setLevel(level: string): void }).setLevel('silent');
    return loaded;
  });
  return sdk;
}

/** Registers a user through matrix-js-sdk's own registration flow (UIA with m.login.dummy) and returns a logged-in client. */
export async function registerClient(baseUrl: string, username: string, password = 'correct horse'): Promise<MatrixClient> {
  const { createClient } = await loadSdk();
  const anonymous = createClient({ baseUrl });
  const session = (await anonymous.registerRequest({ username, password }).catch((e: { data?: { session?: string } }) => e.data)) as { session?: string } | undefined;
  const registered = await anonymous.registerRequest({ username, password, auth: { type: 'm.login.dummy', session: session?.session } });
  return createClient({ baseUrl, userId: registered.user_id, accessToken: registered.access_token, deviceId: registered.device_id });
}

/** Waits until `predicate` holds, polling; fails with `what` after `ms`. */
export async function eventually<T>(what: string, predicate: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
