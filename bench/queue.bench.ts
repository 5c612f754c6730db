// Units per second of one sweep run locally, over the queue with one worker process, and with two, side by
// side in one run on a real redis-server (NanoDet-m, 24 images of coco206 in shards of 3, 320 and 256: 16
// units, 1 onnxruntime thread each), and the queue's overhead per unit: wall time per unit beyond the
// inference seconds the units report, against the local sweep's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPath, PROJECT_ROOT } from '../src/data-dir.ts';
import { parseQueueUrl } from '../src/queue/connection.ts';
import { QueueCoordinator } from '../src/queue/coordinator.ts';
import { realStages } from '../src/study/real-stages.ts';
import type { StudyResults } from '../src/study/results.ts';
import { runStudy } from '../src/study/runner.ts';
import { loadStudy, type Study } from '../src/study/schema.ts';
import { startRedis } from '../test/queue/redis-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'flopmap-bench-queue-'));
const UNITS = 16;

function study(name: string): Study {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      models: [{ id: 'nanodet-m', path: dataPath('models', 'nanodet_m_320.onnx'), family: 'nanodet' }],
      data: { coco: dataPath('coco206'), images: 24, shardSize: 3 },
      inputScaling: { sizes: [256] },
    }),
  );
  return loadStudy(file);
}

/** A worker process, resolved once it is connected and waiting. */
function startWorker(url: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'worker', '--queue', url, '--threads', '1', '--dir', join(dir, name)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('waiting for sweeps')) resolve(child);
    });
    child.once('exit', () => reject(new Error(`worker ${name} exited: ${text}`)));
  });
}

interface Timing {
  wall: number;
  inference: number;
}

async function timed(run: () => Promise<StudyResults>): Promise<Timing> {
  const t = performance.now();
  const results = await run();
  const wall = (performance.now() - t) / 1000;
  if (results.points.some((p) => p.error)) throw new Error(`a point failed: ${JSON.stringify(results.points.map((p) => p.error))}`);
  return { wall, inference: results.points.reduce((s, p) => s + p.seconds, 0) };
}

const redis = await startRedis();
const q = parseQueueUrl(redis.url);
const workers: ChildProcess[] = [];
const queued = async (name: string): Promise<Timing> => {
  const s = study(name);
  const coordinator = await QueueCoordinator.open(q, s.name, { dir: s.data.coco, annotationsPath: realStages(1).resolveCoco(s.data.coco).annotationsPath });
  try {
    return await timed(() => runStudy(s, { outDir: join(dir, name), stages: realStages(1), threads: 1, executor: coordinator }));
  } finally {
    await coordinator.close();
  }
};
try {
  const local = await timed(() => runStudy(study('local'), { outDir: join(dir, 'local'), stages: realStages(1), threads: 1 }));
  workers.push(await startWorker(redis.url, 'w1'));
  const one = await queued('one-worker');
  workers.push(await startWorker(redis.url, 'w2'));
  const two = await queued('two-workers');

  const rate = (t: Timing) => UNITS / t.wall;
  const overhead = (t: Timing) => (t.wall - t.inference) / UNITS; // per unit, beyond inference
  const line = (label: string, t: Timing) =>
    `${label}: ${t.wall.toFixed(2)} s, ${rate(t).toFixed(2)} units/s (${(rate(t) / rate(local)).toFixed(2)}x local), ` +
    `overhead ${(overhead(t) * 1000).toFixed(0)} ms/unit beyond ${((t.inference / UNITS) * 1000).toFixed(0)} ms inference`;
  console.log(`${UNITS} units (NanoDet-m, 2 sizes x 8 shards of 3 images), 1 onnxruntime thread each`);
  console.log(line('local sweep', local));
  console.log(line('queue, 1 worker', one));
  console.log(line('queue, 2 workers', two));
  console.log(`2 workers vs 1: ${(rate(two) / rate(one)).toFixed(2)}x units/s`);
  console.log(`queue overhead per unit vs local: ${(overhead(one) / overhead(local)).toFixed(2)}x (1 worker), ${(overhead(two) / overhead(local)).toFixed(2)}x (2 workers)`);
} finally {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once('exit', r) : r(null)))));
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
