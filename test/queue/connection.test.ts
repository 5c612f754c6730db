// The queue's front door: URL parsing, the Redis probe against a real redis-server, and the one-line exit-2
// errors of `flopmap sweep --queue` and `flopmap worker` for a bad URL or an unreachable Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { dataPath } from '../../src/data-dir.ts';
import { InputError } from '../../src/errors.ts';
import { parseQueueUrl, probeRedis, redisVersion, tooOld } from '../../src/queue/connection.ts';
import { buildManifest, checkManifest, stageCodeHashes } from '../../src/queue/manifest.ts';
import { freePort, startRedis, type RedisServer } from './redis-server.ts';

/** Runs the CLI in this process; returns its exit code and what it wrote to stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'flopmap', ...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('queue URL', () => {
  it('parses host, port, database and credentials', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2 });
    expect(parseQueueUrl('redis://u:p%40ss@host')).toMatchObject({ host: 'host', port: 6379, db: 0, username: 'u', password: 'p@ss' });
    for (const bad of ['localhost:6379', 'http://host:6379', 'redis://host:6379/x', 'redis://']) {
      expect(() => parseQueueUrl(bad)).toThrow(InputError);
    }
  });

  it('reads the server version and refuses Redis older than 5.0', () => {
    expect(redisVersion('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n')).toBe('7.0.15');
    expect(tooOld('4.0.14')).toBe(true);
    expect(tooOld('5.0.0')).toBe(false);
    expect(tooOld('7.2.4')).toBe(false);
  });
});

describe('a worker checks its code and COCO annotations against the coordinator', () => {
  it('names the stage source file that differs', () => {
    const coco = dataPath('coco206');
    const manifest = buildManifest('s', 'sweep-s', coco, dataPath('coco206', 'instances_val2017_206.json'));
    const mine = stageCodeHashes();
    expect(checkManifest(manifest, mine, undefined).imagesDir).toBe(dataPath('coco206', 'val2017'));
    const file = Object.keys(mine).find((f) => f.endsWith('nms.ts'))!;
    expect(() => checkManifest(manifest, { ...mine, [file]: 'changed' }, undefined)).toThrow(`${file}: stage code differs from the coordinator's`);
  });
});

describe('flopmap with --queue', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('probes a real redis-server', async () => {
    const client = await probeRedis(parseQueueUrl(redis.url));
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('exits 2 with one line for a bad URL or an unreachable Redis', async () => {
    const study = 'experiments/ci-gate.json';
    const bad = await cli(['sweep', study, '--queue', 'http://127.0.0.1:6379']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('flopmap: --queue http://127.0.0.1:6379: unsupported scheme "http:"; expected redis://HOST:PORT\n');

    const port = await freePort(); // nothing listens there
    const down = await cli(['worker', '--queue', `redis://127.0.0.1:${port}`]);
    expect(down.code).toBe(2);
    expect(down.stderr).toBe(`flopmap: --queue redis://127.0.0.1:${port}: cannot reach Redis (connect ECONNREFUSED 127.0.0.1:${port})\n`);

    const sweepDown = await cli(['sweep', study, '--queue', `redis://127.0.0.1:${port}`]);
    expect(sweepDown.code).toBe(2);
    expect(sweepDown.stderr.split('\n')).toHaveLength(2);
    expect(sweepDown.stderr).toContain('cannot reach Redis');
  });
});
