// Queued sweeps against a real redis-server, with real workers and coordinators as separate processes:
// NanoDet-m on 12 images of coco206 in shards of 3, at 320 and 256 (8 units). A worker SIGKILLed while it
// holds a unit, another joining, a coordinator SIGKILLed after its first unit and restarted, two studies on
// one Redis, a worker with different annotations: each sweep's results.json must equal the local sweep's,
// field for field, except the measured inference seconds and latency.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { KEY_PREFIX, parseQueueUrl, queueName, redisOptions } from '../../src/queue/connection.ts';
import type { UnitJob } from '../../src/queue/job.ts';
import { hashOf } from '../../src/study/cache.ts';
import { realStages } from '../../src/study/real-stages.ts';
import type { StudyResults } from '../../src/study/results.ts';
import type { ShardRun } from '../../src/study/stages.ts';
import { runStudy } from '../../src/study/runner.ts';
import { loadStudy } from '../../src/study/schema.ts';
import { flopmap, stop, until, type CliProcess } from './processes.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'flopmap-queue-'));

function studyFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      models: [{ id: 'nanodet-m', path: dataPath('models', 'nanodet_m_320.onnx'), family: 'nanodet' }],
      data: { coco: dataPath('coco206'), images: 12, shardSize: 3 },
      inputScaling: { sizes: [256] },
      ...extra,
    }),
  );
  return file;
}

/** Results as results.json holds them, without what is measured (inference seconds, latency, the timing account) or the study's name. */
function comparable(r: StudyResults): unknown {
  const { timing: _timing, ...json } = JSON.parse(JSON.stringify(r)) as StudyResults;
  return { ...json, study: '', points: json.points.map(({ seconds: _measured, latency: _timed, ...rest }) => rest) };
}

function resultsOf(out: string): unknown {
  return comparable(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults);
}

function units(out: string): string[] {
  return readdirSync(join(out, 'cache', 'units')).map((f) => f.replace(/\.json$/, '')).sort();
}

describe('sweeps over BullMQ on a real redis-server', () => {
  let redis: RedisServer;
  const started: CliProcess[] = [];
  const run = (args: string[]): CliProcess => {
    const p = flopmap(args);
    started.push(p);
    return p;
  };
  const queueOf = (study: string) =>
    new Queue<UnitJob, ShardRun>(queueName(study), { connection: redisOptions(parseQueueUrl(redis.url)), prefix: KEY_PREFIX });
  const worker = (name: string, extra: string[] = []) =>
    run(['worker', '--queue', redis.url, '--threads', '1', '--dir', join(dir, name), ...extra]);
  const sweep = (study: string, out: string) => run(['sweep', study, '--queue', redis.url, '--threads', '1', '--out', out]);
  let local: unknown;

  beforeAll(async () => {
    redis = await startRedis();
    // The reference: the same study swept locally, in this process.
    const file = studyFile('local');
    local = comparable(await runStudy(loadStudy(file), { outDir: join(dir, 'local'), stages: realStages(1), threads: 1 }));
  });

  afterAll(async () => {
    for (const p of started) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(started.map((p) => p.exit));
    await redis?.stop();
  });

  it('a worker killed while it holds a unit, another joining, a second study alongside: the local results', async () => {
    const w1 = worker('w1');
    const a = sweep(studyFile('killed-worker'), join(dir, 'a'));
    // A second study on the same Redis, with units of its own (6 images at 320 and 192).
    const b = sweep(studyFile('other', { data: { coco: dataPath('coco206'), images: 6, shardSize: 3 }, inputScaling: { sizes: [192] } }), join(dir, 'b'));
    const qa = queueOf('killed-worker');
    // The first unit's job goes active as soon as w1 takes it; its processor thread is still starting then.
    await until('w1 to hold a unit', async () => (await qa.getActiveCount()) > 0 && w1.child.exitCode === null);
    w1.child.kill('SIGKILL');
    expect(await w1.exit).toBe(null);
    const w2 = worker('w2');
    expect(await a.exit, a.output()).toBe(0);
    expect(await b.exit, b.output()).toBe(0);

    expect(resultsOf(join(dir, 'a'))).toEqual(local);
    // The killed worker's unit was started again by the other worker (BullMQ's stalled-job check).
    const jobs = await qa.getJobs(['completed']);
    expect(jobs.some((j) => j.attemptsStarted >= 2 || j.stalledCounter >= 1)).toBe(true);
    // Each queue holds exactly its own study's units: job id = the unit's cache key.
    expect(jobs.map((j) => j.id).sort()).toEqual(units(join(dir, 'a')));
    const qb = queueOf('other');
    const other = await qb.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']);
    expect(other.map((j) => j.id).sort()).toEqual(units(join(dir, 'b')));
    expect(other).toHaveLength(4);
    expect(other.every((j) => j.data.size.height === 320 || j.data.size.height === 192)).toBe(true);
    const results = JSON.parse(readFileSync(join(dir, 'b', 'results.json'), 'utf8')) as StudyResults;
    expect(results.points.map((p) => [p.id, p.images, p.error])).toEqual([
      ['nanodet-m@320', 6, undefined],
      ['nanodet-m@192', 6, undefined],
    ]);
    // The joining worker fetched each model (320, 256, 192) and each shard's annotations once, by hash.
    const blobs = (kind: string) => readdirSync(join(dir, 'w2', 'blobs', kind));
    expect(blobs('models')).toHaveLength(3);
    expect(blobs('gt')).toHaveLength(4); // the other study's 2 shards are the first 2 of this one's
    for (const kind of ['models', 'gt']) {
      for (const f of blobs(kind)) expect(hashOf(readFileSync(join(dir, 'w2', 'blobs', kind, f)))).toBe(f.replace(/\.\w+$/, ''));
    }
    await Promise.all([qa.close(), qb.close()]);
    await stop(w2);
  });

  it('a coordinator killed after its first unit and restarted finishes with the local results', async () => {
    const w = worker('w3');
    // A worker whose COCO annotations differ from the coordinator's refuses, naming its file.
    const coco = join(dir, 'coco-changed');
    mkdirSync(coco);
    symlinkSync(dataPath('coco206', 'val2017'), join(coco, 'val2017'));
    const gt = JSON.parse(readFileSync(dataPath('coco206', 'instances_val2017_206.json'), 'utf8')) as { annotations: unknown[] };
    gt.annotations.pop();
    writeFileSync(join(coco, 'instances_val2017_206.json'), JSON.stringify(gt));

    const file = studyFile('restarted');
    const out = join(dir, 'c');
    const first = sweep(file, out);
    const refused = worker('w-bad', ['--coco', coco]);
    expect(await refused.exit).toBe(2);
    const lines = refused.output().trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^flopmap: ${join(coco, 'instances_val2017_206.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: COCO annotations differ from the coordinator's instances_val2017_206\\.json`),
    );

    await until('the first unit in the cache', () => existsSync(join(out, 'cache', 'units')) && readdirSync(join(out, 'cache', 'units')).length > 0);
    first.child.kill('SIGKILL');
    expect(await first.exit).toBe(null);
    const second = sweep(file, out);
    expect(await second.exit, second.output()).toBe(0);
    expect(resultsOf(out)).toEqual(local);
    const q = queueOf('restarted');
    expect((await q.getJobs(['completed'])).map((j) => j.id).sort()).toEqual(units(out));
    await q.close();
    await stop(w);
  });

  it('a unit that keeps failing is retried with backoff, then fails its point; the other units go on', async () => {
    // This worker's COCO folder lacks the images of the second shard (same annotations, so it is not refused).
    const gtPath = dataPath('coco206', 'instances_val2017_206.json');
    const gt = JSON.parse(readFileSync(gtPath, 'utf8')) as { images: { id: number; file_name: string }[] };
    const firstSix = [...gt.images].sort((a, b) => a.id - b.id).slice(0, 6);
    const coco = join(dir, 'coco-partial');
    mkdirSync(join(coco, 'val2017'), { recursive: true });
    symlinkSync(gtPath, join(coco, 'instances_val2017_206.json'));
    for (const im of firstSix.slice(0, 3)) symlinkSync(dataPath('coco206', 'val2017', im.file_name), join(coco, 'val2017', im.file_name));

    const w = worker('w4', ['--coco', coco]);
    const out = join(dir, 'd');
    const c = sweep(studyFile('failing', { data: { coco: dataPath('coco206'), images: 6, shardSize: 3 }, inputScaling: { sizes: [] } }), out);
    expect(await c.exit, c.output()).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
    expect(results.points).toHaveLength(1);
    expect(results.points[0]!.error).toMatch(/^unit nanodet-m@320#1 failed on the queue after 3 attempts: .*val2017/);
    const q = queueOf('failing');
    const [done] = await q.getJobs(['completed']);
    const [failed] = await q.getJobs(['failed']);
    expect(done!.data.unit).toBe('nanodet-m@320#0');
    expect([failed!.data.unit, failed!.attemptsMade]).toEqual(['nanodet-m@320#1', 3]);
    await q.close();
    await stop(w);
  });
});
