// `flopmap worker`: runs the units of queued sweeps on this machine until stopped (SIGINT/SIGTERM finish the
// units in hand first). The work lives in src/queue/worker.ts.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { positiveInt } from './options.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the units of sweeps started with `flopmap sweep STUDY --queue URL`, until stopped')
    .requiredOption('--queue <url>', 'Redis of the sweeps, redis://HOST:PORT')
    .option('--concurrency <n>', 'units at once per study (one thread each)', '1')
    .option('--threads <n>', "onnxruntime threads per unit (default: the coordinator's)")
    .option('--coco <dir>', "this machine's COCO folder (default: the coordinator's path)")
    .option('--dir <dir>', 'disk cache for the models and annotations fetched from Redis', '.flopmap-cache/worker')
    .action(async (opts: { queue: string; concurrency: string; threads?: string; coco?: string; dir: string }) => {
      const { parseQueueUrl } = await import('../queue/connection.ts');
      const queue = parseQueueUrl(opts.queue);
      const concurrency = positiveInt('--concurrency', opts.concurrency)!;
      const threads = positiveInt('--threads', opts.threads);
      const name = `${hostname()}-${process.pid}`;
      const log = (line: string) => process.stderr.write(`worker ${name}: ${line}\n`);
      const { UnitWorker } = await import('../queue/worker.ts');
      const worker = await UnitWorker.start({
        queue,
        concurrency,
        threads,
        coco: opts.coco === undefined ? undefined : resolve(opts.coco),
        dir: resolve(opts.dir),
        name,
        log,
      });
      log(`connected to ${opts.queue}; waiting for sweeps`);
      const stop = () => {
        log('stopping after the units in hand');
        void worker.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await worker.finished;
    });
}
