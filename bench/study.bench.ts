// Sweep cost, cold vs resumed from the cache, side by side in one run (NanoDet-m, 2 sizes, 20 images, 1
// thread), and the cost of rebuilding the report page from results.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReportHtml } from '../src/study/html.ts';
import { realStages } from '../src/study/real-stages.ts';
import { runStudy } from '../src/study/runner.ts';
import { parseStudy } from '../src/study/schema.ts';


const study = parseStudy(
  {
    name: 'bench',
    models: [{ id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' }],
    data: { images: 20, shardSize: 10 },
    inputScaling: { sizes: [256] },
  },
  join(tmpdir(), 'bench.json'),
);
const out = mkdtempSync(join(tmpdir(), 'flopmap-bench-'));
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};
try {
  const [results, cold] = await time(() => runStudy(study, { outDir: out, stages: realStages(1) }));
  const [, warm] = await time(() => runStudy(study, { outDir: out, stages: realStages(1) }));
  const [, page] = await time(() => buildReportHtml(results));
  const images = results.points.reduce((n, p) => n + p.images, 0);
  console.log(`sweep cold (${results.points.length} points, ${images} images): ${cold.toFixed(2)} s (${(images / cold).toFixed(1)} images/s)`);
  console.log(`sweep resumed from cache: ${warm.toFixed(3)} s  -> ${(cold / warm).toFixed(1)}x faster than cold`);
  console.log(`report page from results.json: ${page.toFixed(3)} s (${(page / cold * 100).toFixed(1)}% of a cold sweep)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
