// Time to profile the RetinaNet graph at 800x1216, split into load / shape inference / counting / grouping.
// Goal: under 1 s in total on the 2-core dev machine. Median of several runs, phases measured side by side.
import { dataPath } from '../src/data-dir.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { countNode } from '../src/profiler/count.ts';
import { indexGraph } from '../src/profiler/graph.ts';
import { assignGroups } from '../src/profiler/grouping/assign.ts';
import { profileModel } from '../src/profiler/index.ts';
import { resolveInputShapes } from '../src/profiler/inputs.ts';
import { runShapeInference } from '../src/profiler/shapes/infer.ts';

const RUNS = 7;
const file = dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz');

const phases = { load: [] as number[], index: [] as number[], shapes: [] as number[], counting: [] as number[], grouping: [] as number[], profileModel: [] as number[] };
const time = <T>(list: number[], fn: () => T): T => {
  const t0 = performance.now();
  const out = fn();
  list.push(performance.now() - t0);
  return out;
};

for (let r = 0; r < RUNS; r++) {
  const model = time(phases.load, () => loadModel(file));
  const index = time(phases.index, () => indexGraph(model));
  const { tensors } = time(phases.shapes, () => runShapeInference(index, resolveInputShapes(index, { images: [1, 3, 800, 1216] })));
  time(phases.counting, () => index.nodes.map((n) => countNode(index, n, tensors)));
  time(phases.grouping, () => assignGroups(index, tensors));
  time(phases.profileModel, () => profileModel(model, { inputShapes: { images: [1, 3, 800, 1216] } }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])) as Record<keyof typeof phases, number>;
const total = m.load + m.index + m.shapes + m.counting + m.grouping;
console.log(`RetinaNet-R50-FPN (631 nodes, 47.6 MB) at 1x3x800x1216, median of ${RUNS} runs:`);
for (const k of ['load', 'index', 'shapes', 'counting', 'grouping'] as const) {
  console.log(`  ${k.padEnd(10)} ${m[k].toFixed(1).padStart(7)} ms  ${((100 * m[k]) / total).toFixed(1).padStart(5)}% of total`);
}
console.log(`  ${'total'.padEnd(10)} ${total.toFixed(1).padStart(7)} ms  (goal < 1000 ms: ${total < 1000 ? 'met' : 'MISSED'})`);
console.log(`  profileModel on a loaded model: ${m.profileModel.toFixed(1)} ms = ${(m.profileModel / m.load).toFixed(2)}x the load time`);
