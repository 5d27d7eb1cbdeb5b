/** A user logged in on one device, as raw requests need it. */
export interface Account {
  userId: string;
  deviceId: string;
  token: string;
}

export interface SyncBody {
  next_batch: string;
  to_device: { events: Array<{ sender: string; type: string; content: Record<string, unknown> }> };
  device_lists: { changed: string[]; left: string[] };
  rooms?: { join?: Record<string, unknown> };
}

/**
 * Hand-made client-server requests, for the rules a test must see on the
 * wire (what /sync returns with which token) rather than through an SDK.
 * `url` is read at each call, so it may follow a server that restarts.
 */
export function rawClient(url: () => string) {
  async function call(
    account: Account | undefined,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${url()}/_matrix/client/v3${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(account ? { authorization: `Bearer ${account.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function register(username: string): Promise<Account> {
    const { body } = await call(undefined, 'POST', '/register', {
      username,
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    return { userId: body.user_id as string, deviceId: body.device_id as string, token: body.access_token as string };
  }

  async function sync(account: Account, since?: string, timeoutMs = 0): Promise<SyncBody> {
    const query = new URLSearchParams({ timeout: String(timeoutMs), ...(since ? { since } : {}) });
    return (await call(account, 'GET', `/sync?${query}`)).body as unknown as SyncBody;
  }

  let txn = 0;
  const sendToDevice = (from: Account, type: string, messages: unknown) =>
    call(from, 'PUT', `/sendToDevice/${type}/t${txn++}`, { messages });

  return { call, register, sync, sendToDevice };
}
