import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { motoServerBinary, S3_SKIP_REASON, S3_TEST_CREDENTIALS, startS3Server } from '../../test/support/s3-server';
import { startSynapse } from '../../test/support/synapse';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { rssMiB, startSingleProcess } from '../homeserver/targets';

const FILE_MB = 100;
/** Upload-and-download rounds per server, taken in turn (LATTICE_BENCH_ROUNDS); the median round is reported. */
const ROUNDS = Number(process.env.LATTICE_BENCH_ROUNDS ?? 3);

/** A media server under test: where to upload, how to download, and the process whose memory counts. */
interface MediaTarget {
  name: string;
  url: string;
  token: string;
  pid: () => number;
  stop(): Promise<void>;
}

interface Round {
  uploadMBps: number;
  downloadMBps: number;
  rssBeforeMiB: number;
  /** Peak RSS during the round minus RSS before it, MiB. */
  rssGrowthMiB: number;
}

/**
 * Media throughput of a 100 MB file, Lattice (single process, local
 * storage; and on S3 with LATTICE_MOTO_SERVER) and Synapse from PyPI
 * (LATTICE_SYNAPSE_PYTHON) side by side on this machine: upload and download MB/s, and how much the server's resident
 * memory grows while it moves the file. A server that streams grows by its
 * buffers, not by the file.
 */
export async function run(): Promise<Record<string, number>> {
  const file = pseudoRandom(FILE_MB * 1024 * 1024);
  const fileSha = sha256(file);
  const targets: MediaTarget[] = [await startLattice(18760, 'local storage')];
  const moto = motoServerBinary();
  if (moto) targets.push(await startLatticeOnS3(moto));
  else console.log(`  (S3 storage skipped: ${S3_SKIP_REASON})`);
  if (process.env.LATTICE_SYNAPSE_PYTHON) targets.push(await startSynapseTarget());
  else console.log('  (Synapse skipped: set LATTICE_SYNAPSE_PYTHON to the python of a virtualenv with matrix-synapse)');
  const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
  try {
    // One round each first, not counted for speed (JIT, caches); its memory growth counts, from the RSS before any media moved.
    for (const target of targets) {
      const warmup = await uploadAndDownload(target, file, fileSha);
      console.log(`  ... ${target.name} first round: RSS +${warmup.rssGrowthMiB} MiB from ${warmup.rssBeforeMiB} MiB`);
      rounds.get(target.name)!.push(warmup);
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const target of targets) {
        const round = await uploadAndDownload(target, file, fileSha);
        rounds.get(target.name)!.push(round);
        console.log(
          `  ... ${target.name} round ${i + 1}: upload ${round.uploadMBps} MB/s, download ${round.downloadMBps} MB/s, RSS +${round.rssGrowthMiB} MiB`,
        );
      }
    }
  } finally {
    for (const target of targets) await target.stop();
  }
  const results: Record<string, number> = {};
  for (const [name, [first, ...measured]] of rounds) {
    results[`${name}: upload MB/s (${FILE_MB} MB file, median of ${ROUNDS})`] = median(
      measured.map((r) => r.uploadMBps),
    );
    results[`${name}: download MB/s (${FILE_MB} MB file, median of ${ROUNDS})`] = median(
      measured.map((r) => r.downloadMBps),
    );
    results[`${name}: RSS MiB before the first upload`] = first.rssBeforeMiB;
    results[`${name}: RSS growth MiB during an upload + download (max over all ${ROUNDS + 1} rounds)`] = Math.max(
      first.rssGrowthMiB,
      ...measured.map((r) => r.rssGrowthMiB),
    );
  }
  return results;
}

async function uploadAndDownload(target: MediaTarget, file: Buffer, fileSha: string): Promise<Round> {
  const before = rssMiB(target.pid());
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(target.pid()))), 20);
  try {
    const uploadStart = performance.now();
    const uploaded = await send(`${target.url}/_matrix/media/v3/upload?filename=bench.bin`, 'POST', target.token, file);
    const { content_uri } = JSON.parse(uploaded.body.toString()) as { content_uri?: string };
    if (uploaded.status !== 200 || !content_uri) throw new Error(`${target.name} upload answered ${uploaded.status}`);
    const uploadS = (performance.now() - uploadStart) / 1000;

    const downloadStart = performance.now();
    const downloaded = await send(
      `${target.url}/_matrix/client/v1/media/download/${content_uri.slice('mxc://'.length)}`,
      'GET',
      target.token,
    );
    const downloadS = (performance.now() - downloadStart) / 1000;
    if (downloaded.status !== 200 || downloaded.sha256 !== fileSha)
      throw new Error(`${target.name} download answered ${downloaded.status} with ${downloaded.size} bytes`);
    return {
      uploadMBps: round1(FILE_MB / uploadS),
      downloadMBps: round1(FILE_MB / downloadS),
      rssBeforeMiB: before,
      rssGrowthMiB: peak - before,
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * One request over node:http, the answer hashed as it streams in and kept only when small (JSON).
 * Not fetch: undici's request body path is slower than either server here, and would measure the client.
 */
function send(
  url: string,
  method: string,
  token: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer; sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const headers = {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}),
    };
    const req = request(url, { method, headers, agent: false }, (res) => {
      const hash = createHash('sha256');
      const small: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
        if (size <= 65536) small.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(small), sha256: hash.digest('hex'), size }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startLattice(port: number, storage: string, env: Record<string, string> = {}): Promise<MediaTarget> {
  const target = await startSingleProcess(port, undefined, {
    LATTICE_MEDIA_MAX_UPLOAD_BYTES: String(2 * FILE_MB * 1024 * 1024),
    ...env,
  });
  const token = await register(target.url, 'mediabench');
  return {
    name: `lattice single-process (${storage})`,
    url: target.url,
    token,
    pid: () => target.pid,
    stop: () => target.stop(),
  };
}

/** On moto's S3 server (LATTICE_MOTO_SERVER): shows the S3 path streams too; its speed is mostly moto's, an in-memory Python server. */
async function startLatticeOnS3(moto: string): Promise<MediaTarget> {
  const s3 = await startS3Server(moto);
  const target = await startLattice(18770, 'S3 storage on moto', {
    LATTICE_MEDIA_S3_BUCKET: await s3.newBucket('lattice-bench-media'),
    LATTICE_MEDIA_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  });
  return {
    ...target,
    stop: async () => {
      await target.stop();
      await s3.close();
    },
  };
}

async function startSynapseTarget(): Promise<MediaTarget> {
  const synapse = await startSynapse(makeTestCertificates(), {
    config: {
      max_upload_size: `${2 * FILE_MB}M`,
      rc_media_create: { per_second: 1000, burst_count: 1000 },
      enable_authenticated_media: true,
    },
  });
  const { accessToken } = await synapse.register('mediabench');
  return {
    name: 'synapse (PyPI, SQLite, local storage)',
    url: synapse.clientUrl,
    token: accessToken,
    pid: () => synapse.pid()!,
    stop: () => synapse.stop(),
  };
}

async function register(url: string, username: string): Promise<string> {
  const response = await fetch(`${url}/_matrix/client/v3/register`, {
    method: 'POST',
    body: JSON.stringify({ username, password: 'bench password', auth: { type: 'm.login.dummy' } }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

/** Incompressible bytes, so no layer can make the file cheaper than its size. */
function pseudoRandom(length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha512').update('media bench').digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha512').update(block).digest();
  }
  return out;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const round1 = (n: number) => Math.round(n * 10) / 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
