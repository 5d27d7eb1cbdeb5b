import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

import { freePort } from '../../tools/net/free-port';
/** Credentials the loopback S3 server accepts (moto accepts any). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'lattice-test', secretAccessKey: 'lattice-test-secret' };

export interface RunningS3Server {
  endpoint: string;
  /** Creates a bucket of a fresh name and returns the name. */
  newBucket(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * moto's S3-compatible server (PyPI `moto[server]`), run on a free loopback
 * port: the real S3 wire protocol (SigV4, multipart uploads, ranges) without
 * a cloud account. LATTICE_MOTO_SERVER names its executable (.ci/run sets
 * it); else `moto_server` on PATH. Undefined when neither exists.
 */
export function motoServerBinary(): string | undefined {
  for (const candidate of [process.env.LATTICE_MOTO_SERVER, 'moto_server']) {
    if (candidate && spawnSync(candidate, ['--help']).status === 0) return candidate;
  }
  return undefined;
}

export const S3_SKIP_REASON =
  'moto_server not found: install it with `pip install "moto[server]"` and set LATTICE_MOTO_SERVER (as .ci/run does)';

export async function startS3Server(binary: string): Promise<RunningS3Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(endpoint).then(
      (r) => r.status < 500,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: S3_TEST_CREDENTIALS,
  });
  let n = 0;
  return {
    endpoint,
    newBucket: async (prefix) => {
      const bucket = `${prefix}-${process.pid}-${n++}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    close: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
