/** A device as whois needs it. */
export interface SeenDevice {
  deviceId: string;
  lastSeenIp: string | null;
  lastSeenTs: bigint | null;
}

/**
 * The whois answer (client-server-api GET /admin/whois/{userId}, which
 * Synapse's admin API repeats): per device one session with its last
 * connection. Lattice records the last IP and time per device, not every
 * connection or the user agent, so each session has at most one connection.
 */
export function whoisAnswer(userId: string, devices: readonly SeenDevice[]) {
  return {
    user_id: userId,
    devices: Object.fromEntries(
      devices.map((d) => [
        d.deviceId,
        {
          sessions: [
            {
              connections:
                d.lastSeenTs === null ? [] : [{ ip: d.lastSeenIp ?? undefined, last_seen: Number(d.lastSeenTs) }],
            },
          ],
        },
      ]),
    ),
  };
}
