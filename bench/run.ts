import { benchNames } from './options';

/**
 * `npm run bench [-- name...]`: runs the benchmarks and prints their numbers
 * (`npm run bench -- <name>` for one group; the names are the keys of BENCHES).
 * Options after the names are a bench's own (bench/options.ts).
 * Each bench module exports run(): Promise<Record<string, number>>.
 */
const BENCHES: Record<string, () => Promise<{ run: () => Promise<Record<string, number>> }>> = {
  'protocol/crypto': () => import('./protocol/crypto.bench'),
  'protocol/auth': () => import('./protocol/auth.bench'),
  'protocol/state-res': () => import('./protocol/state-res.bench'),
  homeserver: () => import('./homeserver/homeserver.bench'),
  federation: () => import('./federation/federation.bench'),
  'federation/latency': () => import('./federation/latency.bench'),
  search: () => import('./client-surface/search.bench'),
  relations: () => import('./client-surface/relations.bench'),
  media: () => import('./media/media.bench'),
  'media/thumbnails': () => import('./media/thumbnails.bench'),
  appservice: () => import('./appservice/appservice.bench'),
  push: () => import('./push/push.bench'),
  sync: () => import('./sync/sync.bench'),
  fanout: () => import('./fanout/fanout.bench'),
  replay: () => import('./replay/replay.bench'),
};

async function main(): Promise<void> {
  const wanted = benchNames();
  const names = Object.keys(BENCHES).filter((n) => wanted.length === 0 || wanted.some((w) => n.startsWith(w)));
  console.log(`lattice bench — node ${process.version}, ${require('node:os').cpus().length} cores`);
  for (const name of names) {
    const results = await (await BENCHES[name]()).run();
    console.log(`\n[${name}]`);
    for (const [metric, value] of Object.entries(results)) console.log(`  ${metric}: ${value.toLocaleString('en-US')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
