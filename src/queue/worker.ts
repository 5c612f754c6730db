// A worker machine: serves every study announced on the Redis (one BullMQ Worker per study queue), each
// unit in a sandboxed processor thread (unit-processor.ts). A short lock (10 s, renewed every 5 s by the
// main thread) and a stalled check every 5 s mean a killed worker's unit is back in the queue for another
// worker within about 15 s (BullMQ "Stalled jobs"). A study whose stage code or COCO annotations differ from
// this checkout's is refused: the worker stops with one line naming the file.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ShardRun } from '../study/stages.ts';
import { KEY_PREFIX, probeRedis, redisOptions, type QueueUrl } from './connection.ts';
import type { ProcessorConfig, UnitJob } from './job.ts';
import { checkManifest, REGISTRY_KEY, stageCodeHashes, type StudyManifest } from './manifest.ts';

const PROCESSOR = fileURLToPath(new URL('./unit-processor-entry.mjs', import.meta.url));
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;
const DISCOVERY_MS = 1_000;

export interface WorkerSettings {
  queue: QueueUrl;
  /** Units run at once per study (one processor thread each). */
  concurrency: number;
  /** onnxruntime threads per unit; default: the coordinator's. */
  threads?: number;
  /** This machine's COCO folder; default: the coordinator's path. */
  coco?: string;
  /** Disk cache for models and shard annotations fetched from Redis. */
  dir: string;
  name: string;
  log: (line: string) => void;
}

export class UnitWorker {
  private readonly served = new Map<string, Worker<UnitJob, ShardRun>>();
  private readonly code = stageCodeHashes();
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private settle!: { resolve: () => void; reject: (err: unknown) => void };
  /** Resolves once closed; rejects when the worker refuses a study or loses its registry. */
  readonly finished: Promise<void>;

  private constructor(
    private readonly redis: Redis,
    private readonly settings: WorkerSettings,
  ) {
    this.finished = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.finished.catch(() => {}); // handled by whoever awaits it; no unhandled-rejection crash before then
  }

  /** Probes Redis (bad URL, unreachable, too old: InputError), then serves studies until closed. */
  static async start(settings: WorkerSettings): Promise<UnitWorker> {
    const worker = new UnitWorker(await probeRedis(settings.queue), settings);
    await worker.discover();
    return worker;
  }

  /** Serves the studies announced now; stops serving withdrawn ones. */
  private async discover(): Promise<void> {
    if (this.closing) return;
    try {
      const registry = await this.redis.hgetall(REGISTRY_KEY);
      for (const [study, text] of Object.entries(registry)) {
        if (!this.served.has(study)) this.serve(JSON.parse(text) as StudyManifest);
      }
      for (const [study, worker] of this.served) {
        if (!(study in registry)) {
          this.served.delete(study);
          this.settings.log(`study ${study} finished; no longer serving it`);
          void worker.close();
        }
      }
    } catch (err) {
      await this.stop();
      this.settle.reject(err);
      return;
    }
    this.timer = setTimeout(() => void this.discover(), DISCOVERY_MS);
  }

  private serve(m: StudyManifest): void {
    const { imagesDir } = checkManifest(m, this.code, this.settings.coco);
    const s = this.settings;
    const config: ProcessorConfig = { queue: s.queue, imagesDir, blobDir: join(s.dir, 'blobs'), threads: s.threads };
    const worker = new Worker<UnitJob, ShardRun>(m.queue, PROCESSOR, {
      connection: redisOptions(s.queue),
      prefix: KEY_PREFIX,
      name: s.name,
      concurrency: s.concurrency,
      useWorkerThreads: true,
      workerThreadsOptions: { workerData: config },
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 2,
    });
    worker.on('completed', (job, run) => s.log(`${m.study}: ${job.data.unit} done (${run.images} images in ${run.seconds.toFixed(2)} s)`));
    worker.on('failed', (job, err) => s.log(`${m.study}: ${job?.data.unit ?? 'a unit'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`));
    worker.on('error', (err) => s.log(`${m.study}: ${err.message}`));
    this.served.set(m.study, worker);
    s.log(`serving study ${m.study} (queue ${m.queue}, ${s.concurrency} at a time)`);
  }

  private async stop(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await Promise.all([...this.served.values()].map((w) => w.close()));
    this.served.clear();
    this.redis.disconnect();
  }

  /** Finishes the units in hand, then disconnects. */
  async close(): Promise<void> {
    if (this.closing) return;
    await this.stop();
    this.settle.resolve();
  }
}
