// The coordinator's side of a queued sweep: a unit executor for the study runner that hands each unit not in
// the cache to BullMQ as one job and resolves with the worker's result. Job id = the unit's cache key, so a
// unit is queued once however often the sweep is restarted, and finished jobs are kept a day: a restarted
// coordinator gets the units that finished while it was down straight from Redis.
import { readFileSync } from 'node:fs';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { readModelBytes } from '../onnx/model-io.ts';
import type { ShardRun } from '../study/stages.ts';
import type { UnitExecutor, UnitWork } from '../study/unit-executor.ts';
import { BlobStore } from './blobs.ts';
import { KEY_PREFIX, probeRedis, queueName, redisOptions, type QueueUrl } from './connection.ts';
import type { UnitJob } from './job.ts';
import { buildManifest, REGISTRY_KEY } from './manifest.ts';

const KEEP_FINISHED = { age: 24 * 3600 };
/** BullMQ retries: 3 attempts, waiting 1 s then 2 s (exponential backoff). */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED };

export interface QueueProgress {
  /** Units handed to the queue by this run (cached units never reach it). */
  total: number;
  done: number;
  failed: number;
  queued: number;
  running: number;
  /** Distinct workers seen serving this study's queue since the sweep started. */
  workers: number;
  /** From this run's rate so far; null before the first unit finishes. */
  etaSeconds: number | null;
}

export class QueueCoordinator implements UnitExecutor {
  readonly parallel = true;
  private total = 0;
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private readonly workersSeen = new Set<string>();
  private readonly blobs: BlobStore;

  private constructor(
    private readonly redis: Redis,
    private readonly queue: Queue<UnitJob, ShardRun>,
    private readonly events: QueueEvents,
    readonly study: string,
  ) {
    this.blobs = new BlobStore(redis);
  }

  /** Probes Redis (bad URL, unreachable, too old: InputError), opens the study's queue and announces the study. */
  static async open(q: QueueUrl, study: string, coco: { dir: string; annotationsPath: string }): Promise<QueueCoordinator> {
    const redis = await probeRedis(q);
    const name = queueName(study);
    const connection = redisOptions(q);
    const queue = new Queue<UnitJob, ShardRun>(name, { connection, prefix: KEY_PREFIX });
    const events = new QueueEvents(name, { connection, prefix: KEY_PREFIX });
    queue.on('error', () => {}); // connection errors are retried by ioredis; waits report what matters
    queue.setMaxListeners(0); // every unit waiting for its job listens for the queue closing
    events.on('error', () => {});
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    await redis.hset(REGISTRY_KEY, study, JSON.stringify(buildManifest(study, name, coco.dir, coco.annotationsPath)));
    return new QueueCoordinator(redis, queue, events, study);
  }

  async run(unit: UnitWork): Promise<ShardRun> {
    this.total++;
    await this.blobs.put(unit.modelHash, () => readModelBytes(unit.modelPath));
    await this.blobs.put(unit.annotationsHash, () => readFileSync(unit.annotationsPath));
    const data: UnitJob = {
      unit: unit.id,
      family: unit.family,
      size: unit.size,
      modelHash: unit.modelHash,
      annotationsHash: unit.annotationsHash,
      images: unit.images,
      threads: unit.threads,
    };
    // An existing job with this id (a restarted sweep) is kept as it is, finished or not.
    const job: Job<UnitJob, ShardRun> = await this.queue.add(unit.id, data, { ...JOB_OPTIONS, jobId: unit.key });
    // A unit that used up its attempts in an earlier run gets fresh ones in this run.
    if ((await job.getState()) === 'failed') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    try {
      const result = (await job.waitUntilFinished(this.events)) as ShardRun;
      this.done++;
      return result;
    } catch (err) {
      this.failed++;
      throw new Error(`unit ${unit.id} failed on the queue after ${JOB_OPTIONS.attempts} attempts: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async progress(): Promise<QueueProgress> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
    for (const w of await this.queue.getWorkers()) this.workersSeen.add(String(w['rawname'] ?? w['name'] ?? ''));
    const finished = this.done + this.failed;
    const left = this.total - finished;
    const elapsed = (Date.now() - this.started) / 1000;
    return {
      total: this.total,
      done: this.done,
      failed: this.failed,
      queued: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
      running: counts.active ?? 0,
      workers: this.workersSeen.size,
      etaSeconds: finished > 0 ? (left * elapsed) / finished : null,
    };
  }

  /** Withdraws the study from the registry (workers stop serving it) and closes the connections. */
  async close(): Promise<void> {
    await this.redis.hdel(REGISTRY_KEY, this.study).catch(() => {});
    await this.events.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}

/** `queue sweep-default: units 5/16 done, 1 failed, 8 queued, 2 running, 2 workers seen, ETA 40 s`. */
export function progressLine(queue: string, p: QueueProgress): string {
  const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
  const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
  return `queue ${queue}: units ${p.done}/${p.total} done${failed}, ${p.queued} queued, ${p.running} running, ${p.workers} workers seen${eta}`;
}
