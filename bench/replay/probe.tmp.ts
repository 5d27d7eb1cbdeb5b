import { createScratchDatabase } from '../../tools/services/scratch-servers';
import { BenchClient, percentile } from '../homeserver/client-load';
import { startSingleProcess } from '../homeserver/targets';

async function main() {
  const embedded = process.env.PROBE_EMBEDDED === '1';
  const t = process.env.PROBE_URL ? { url: process.env.PROBE_URL, pid: Number(process.env.PROBE_PID), stop: async () => undefined } : await startSingleProcess(18790, embedded ? undefined : await createScratchDatabase(process.env.LATTICE_BENCH_POSTGRES_URL!, 'pe_probe'), process.env.PROBE_ENV ? JSON.parse(process.env.PROBE_ENV) : {});
  try {
    for (const members of (process.env.PROBE_MEMBERS ?? '2,20').split(',').map(Number)) {
      const users: BenchClient[] = [];
      for (let i = 0; i < members; i++) users.push(await BenchClient.register(t.url, `p${members}_${i}_${Date.now().toString(36)}`));
      const room = await users[0].createRoom([]);
      await users[0].call('PUT', `/rooms/${encodeURIComponent(room)}/state/m.room.join_rules/`, { join_rule: 'public' });
      for (const u of users.slice(1)) await u.join(room);
      const signal = async () => { if (process.env.PROBE_SIGNAL) { require('node:fs').writeFileSync(`/tmp/pe/trigger-${t.pid}`, ''); await new Promise((r) => setTimeout(r, Number(process.env.PROBE_WAIT ?? 300))); } };
      await signal();
      const cpu = () => { const f = require('node:fs').readFileSync(`/proc/${t.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
      const cpu0 = cpu();
      const times: number[] = [];
      const n = Number(process.env.PROBE_SENDS ?? 300);
      for (let i = 0; i < n; i++) {
        const u = users[Math.floor(i / 3) % members];
        const s = performance.now();
        await u.send(room, `t${i}`, `hello ${i}`);
        times.push(performance.now() - s);
      }
      const cpuPerSend = (cpu() - cpu0) / n;
      await signal();
      const slow = times.map((x, i) => [i, Math.round(x)]).filter(([, x]) => x > 50);
      console.log(`members ${members}: server cpu/send ${cpuPerSend.toFixed(2)} ms p50 ${percentile(times, 50)} p95 ${percentile(times, 95)} p99 ${percentile(times, 99)} slow(>50ms) ${slow.length}: ${JSON.stringify(slow.slice(0, 20))}`);
    }
  } finally {
    await t.stop();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
