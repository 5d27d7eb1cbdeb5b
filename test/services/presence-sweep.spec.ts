import { InProcessBus } from '../../libs/bus/src';
import { NoPositionCache, openDatabase, type Database } from '../../libs/storage/src';
import { OFFLINE_AFTER_MS, PresenceStore } from '../../libs/streams/src';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { servicesEnv } from '../support/services-env';

/** The offline sweep as several sync workers run it: each its own connections to one real Postgres. */
describe('presence sweep across sync workers', () => {
  const env = servicesEnv();
  const USERS = 40;
  let workers: Database[];
  let url: string;

  beforeAll(async () => {
    url = await createScratchDatabase(env.postgresUrl, 'lattice_presence');
    workers = await Promise.all([1, 2, 3].map(() => openDatabase({ kind: 'postgres', url })));
  });
  afterAll(async () => {
    await Promise.all(workers.map((db) => db.close()));
    await dropScratchDatabase(url);
  });

  it('takes each gone user offline exactly once, however many workers sweep at the same time', async () => {
    const bus = new InProcessBus();
    const announced: string[] = [];
    bus.consume('output.presence', (change) => void announced.push(`${change.userId} ${change.state}`));
    const stores = workers.map((db) => new PresenceStore(db.prisma, new NoPositionCache(), bus));
    const seen = Date.now();
    for (let i = 0; i < USERS; i++)
      await stores[0].change(`@user${i}:example.org`, {
        state: 'online',
        lastActiveTs: seen,
        currentlyActive: true,
        lastSeenTs: seen,
      });

    const later = seen + OFFLINE_AFTER_MS + 1_000;
    const swept = await Promise.all([...stores, ...stores].map((store) => store.timeOutGone(later)));
    await bus.close();

    expect(swept.reduce((a, b) => a + b, 0)).toBe(USERS);
    expect(announced.filter((a) => a.endsWith(' offline')).sort()).toEqual(
      Array.from({ length: USERS }, (_, i) => `@user${i}:example.org offline`).sort(),
    );
    expect(await workers[0].prisma.presence.count({ where: { state: 'offline' } })).toBe(USERS);
  });
});
