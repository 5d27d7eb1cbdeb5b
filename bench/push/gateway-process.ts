import { fork, type ChildProcess } from 'node:child_process';
import { startTestPushGateway } from '../../tools/push/test-push-gateway';

/** What the bench asks the gateway process: when each push of these events arrived, or only how many did. */
interface ArrivalsRequest {
  id: number;
  eventIds: string[];
  countOnly: boolean;
}

/** Arrival times (ms since the epoch) of the pushes of each event asked about, or their number. */
type ArrivalsReply = { id: number; arrivals: Record<string, number[] | number> };

/**
 * The project's test push gateway in a process of its own, so the CPU of
 * receiving tens of thousands of pushes is not counted as the server's
 * (a Lattice under bench runs in the bench's own process).
 */
export interface GatewayProcess {
  url: string;
  arrivals(eventIds: string[]): Promise<Record<string, number[]>>;
  /**
   * How many pushes of each event arrived: what the bench polls while the pushes go, as the arrival times of
   * 20 messages to 10,000 members (3 MB over IPC every poll) took the event loop the server under bench shares.
   */
  counts(eventIds: string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startGatewayProcess(): Promise<GatewayProcess> {
  const child: ChildProcess = fork(__filename, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', () => reject(new Error('the push gateway process exited at start')));
  });
  let nextId = 0;
  const waiting = new Map<number, (arrivals: ArrivalsReply['arrivals']) => void>();
  child.on('message', (m) => {
    const reply = m as ArrivalsReply;
    waiting.get(reply.id)?.(reply.arrivals);
    waiting.delete(reply.id);
  });
  const ask = (eventIds: string[], countOnly: boolean) =>
    new Promise<ArrivalsReply['arrivals']>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ id, eventIds, countOnly } satisfies ArrivalsRequest);
    });
  return {
    url,
    arrivals: (eventIds) => ask(eventIds, false) as Promise<Record<string, number[]>>,
    counts: (eventIds) => ask(eventIds, true) as Promise<Record<string, number>>,
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function serve(): Promise<void> {
  const gateway = await startTestPushGateway();
  // Indexed by event as the bench asks, so polling while hundreds of thousands arrive stays cheap.
  const byEvent = new Map<string, number[]>();
  let indexed = 0;
  process.on('message', (m) => {
    const { id, eventIds, countOnly } = m as ArrivalsRequest;
    for (; indexed < gateway.received.length; indexed++) {
      const push = gateway.received[indexed];
      const eventId = push.notification.event_id as string;
      const times = byEvent.get(eventId);
      if (times) times.push(push.at);
      else byEvent.set(eventId, [push.at]);
    }
    process.send!({
      id,
      arrivals: Object.fromEntries(
        eventIds.map((e) => [e, countOnly ? (byEvent.get(e)?.length ?? 0) : (byEvent.get(e) ?? [])]),
      ),
    } satisfies ArrivalsReply);
  });
  // A bench that dies leaves no gateway behind.
  process.on('disconnect', () => process.exit(0));
  process.send!({ url: gateway.url });
}

if (require.main === module && process.argv[2] === 'serve')
  serve().catch((e: Error) => {
    console.error(e);
    process.exit(1);
  });
