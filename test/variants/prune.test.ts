import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { dataPath } from '../../src/data-dir.ts';
import { loadModel } from '../../src/onnx/model-io.ts';
import type { Model } from '../../src/onnx/proto.ts';
import { float32Tensor } from '../../src/onnx/tensor.ts';
import { profileModel } from '../../src/profiler/index.ts';
import { getFamily } from '../../src/detection/families/index.ts';
import { prepareImage } from '../../src/detection/image.ts';
import type { CalibrationImage } from '../../src/variants/calibration.ts';
import { loadCalibrationImages } from '../../src/variants/calibration.ts';
import { GraphEditor } from '../../src/onnx/graph-edit.ts';
import { allocate, allocateBruteForce } from '../../src/variants/prune/allocate.ts';
import { applyPlan, planMacs, type PrunePlan } from '../../src/variants/prune/apply.ts';
import { analyzeChannels } from '../../src/variants/prune/channel-groups.ts';
import { eliminate } from '../../src/variants/prune/channel-choice.ts';
import { consumerStats } from '../../src/variants/prune/consumer-stats.ts';
import { reconstruct } from '../../src/variants/prune/reconstruct.ts';
import { pruneOne, runOutputs } from '../../src/variants/prune/sensitivity.ts';
import { input, model as tinyModel, node } from '../profiler/tiny-graph.ts';

const nanodet = () => loadModel(dataPath('models', 'nanodet_m_320.onnx'));
const yolox = () => loadModel(dataPath('models', 'yolox_nano_416.onnx'));

function maxAbs(a: Record<string, { data: Float32Array }>[]): number {
  return Math.max(...a.flatMap((o) => Object.values(o).map((t) => t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0))));
}

function maxDiff(a: Record<string, { data: Float32Array }>[], b: Record<string, { data: Float32Array }>[]): number {
  let d = 0;
  a.forEach((outs, i) => {
    for (const [name, t] of Object.entries(outs)) {
      const u = b[i]![name]!.data;
      t.data.forEach((v, j) => (d = Math.max(d, Math.abs(v - u[j]!))));
    }
  });
  return d;
}

describe('coupled channel groups', () => {
  it('NanoDet-m: 24 groups; the FPN laterals are tied by the top-down Adds, the shuffle units pinned', () => {
    const a = analyzeChannels(nanodet());
    expect(a.groups).toHaveLength(24);
    const fpn = a.groups.find((g) => g.members.includes('Conv_370'))!;
    expect(fpn.members.sort()).toEqual(['Conv_370', 'Conv_371', 'Conv_372']);
    expect(fpn.channels).toBe(96);
    // The depthwise head convs follow them; the pointwise ones read them.
    expect(fpn.followers.sort()).toEqual(['Conv_385', 'Conv_409', 'Conv_433']);
    expect(fpn.consumers.sort()).toEqual(['Conv_387', 'Conv_411', 'Conv_435']);
    // The stem flows through MaxPool into both branches of the first shuffle unit.
    const stem = a.groups.find((g) => g.members.includes('Conv_0'))!;
    expect(stem.followers).toEqual(['Conv_3']);
    expect(stem.consumers.sort()).toEqual(['Conv_4', 'Conv_6']);
    // Branch outputs concatenated then channel-shuffled (Reshape/Transpose) are not prunable.
    const all = a.groups.flatMap((g) => g.members);
    expect(all).not.toContain('Conv_4');
    expect(all).not.toContain('Conv_34');
    // Predictors write graph outputs (through Split/Reshape): pinned.
    expect(all).not.toContain('Conv_393');
  });

  it('YOLOX-Nano: 67 groups; CSP residual Adds tie four convs; SPP reads its input channels four times', () => {
    const a = analyzeChannels(yolox());
    expect(a.groups).toHaveLength(67);
    const residual = a.groups.find((g) => g.members.includes('Conv_76'))!;
    expect(residual.members).toEqual(['Conv_76', 'Conv_88', 'Conv_98', 'Conv_108']);
    const spp = a.groups.find((g) => g.members.includes('Conv_168'))!;
    expect(spp.consumers).toEqual(['Conv_175']);
    const use = a.consumers.find((c) => c.node === 'Conv_175')!;
    expect(use.layout.filter((r) => a.groupOfRoot[r] === spp.id)).toHaveLength(4);
    // The stem reads the Focus slices of the image: its input is pinned, its output prunable.
    expect(a.groups.some((g) => g.members.includes('Conv_41'))).toBe(true);
  });
});

describe('applying a plan', () => {
  it('keeping every channel gives the same outputs in onnxruntime', async () => {
    for (const [m, family] of [[nanodet(), 'nanodet'], [yolox(), 'yolox']] as const) {
      const a = analyzeChannels(m);
      const plan: PrunePlan = new Map(a.groups.map((g) => [g.id, Array.from({ length: g.channels }, (_, c) => c)]));
      const images = await loadCalibrationImages(dataPath('coco', 'calib'), family, family === 'nanodet' ? 320 : 416, 2);
      const same = applyPlan(m, a, plan).model;
      expect(maxDiff(await runOutputs(m, images, 1), await runOutputs(same, images, 1))).toBe(0);
    }
  });

  it('predicts the profiler\'s MACs of a pruned model exactly, and the pruned model runs', async () => {
    const m = yolox();
    const a = analyzeChannels(m);
    const plan: PrunePlan = new Map(a.groups.filter((g) => g.id % 3 === 0).map((g) => [g.id, Array.from({ length: g.channels }, (_, c) => c).filter((c) => c % 4 !== 1)]));
    const pruned = applyPlan(m, a, plan).model;
    const before = profileModel(m);
    expect(planMacs(a, before, m, plan)).toBe(profileModel(pruned).totals.macs);
    expect(profileModel(pruned).totals.macs).toBeLessThan(before.totals.macs);
    const spec = getFamily('yolox');
    const im = await prepareImage(dataPath('coco', 'calib', '000000000285.jpg'), spec.resizeSpec(416), spec.pixelFormat);
    const [out] = await runOutputs(pruned, [{ file: '', tensor: im.tensor, dims: im.dims }], 1);
    expect(out!['output']!.dims).toEqual([1, 3549, 85]);
  });
});

/** x[1,4,6,6] -> A (1x1, 4->6) -> t; u = t + B(t) (linear, so the refit's inputs are well conditioned) (1x1, 6->6); y = C(u) (1x1, 6->3). Channels 4, 5 of A, B are zero. */
function residualBlock(): Model {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const weight = (name: string, cout: number, cin: number, zeroRows: number[]) => {
    const w = Float32Array.from({ length: cout * cin }, rand);
    for (const r of zeroRows) w.fill(0, r * cin, (r + 1) * cin);
    return float32Tensor(name, [cout, cin, 1, 1], w);
  };
  const bias = (name: string, n: number, zero: number[]) => float32Tensor(name, [n], Float32Array.from({ length: n }, (_, i) => (zero.includes(i) ? 0 : rand())));
  const conv = (x: string, w: string, b: string, y: string) => node('Conv', [x, w, b], [y], { kernel_shape: [1, 1] }, y);
  return tinyModel(13, [conv('x', 'wa', 'ba', 't'), node('Identity', ['t'], ['tr']), conv('tr', 'wb', 'bb', 'v'), node('Add', ['tr', 'v'], ['u']), conv('u', 'wc', 'bc', 'y')],
    [input('x', [1, 4, 6, 6])],
    [weight('wa', 6, 4, [4, 5]), bias('ba', 6, [4, 5]), weight('wb', 6, 6, [4, 5]), bias('bb', 6, [4, 5]), weight('wc', 3, 6, []), bias('bc', 3, [])]);
}

describe('pruning and reconstruction', () => {
  it('a residual block whose removed channels are zero is pruned and reconstructed exactly', async () => {
    const m = residualBlock();
    let s = 3;
    const images: CalibrationImage[] = Array.from({ length: 4 }, () => ({ file: '', dims: [1, 4, 6, 6] as [number, number, number, number], tensor: Float32Array.from({ length: 144 }, () => ((s = (s * 69069 + 1) >>> 0) / 2 ** 32) * 2 - 1) }));
    const a = analyzeChannels(m);
    expect(a.groups).toHaveLength(1);
    const [g] = a.groups;
    expect(g!.members).toEqual(['t', 'v']);
    expect(g!.consumers).toEqual(['v', 'y']);
    const stats = await consumerStats(m, a, images, 36);
    const e = eliminate(m, a, g!, stats, [2], 'greedy');
    expect(e.order.slice().sort()).toEqual([4, 5]);
    const reference = await runOutputs(m, images, 1);
    // The single-group refit from the original's statistics...
    const one = pruneOne(m, a, stats, g!, e, 2, true);
    expect(profileModel(one).totals.macs).toBeLessThan(profileModel(m).totals.macs);
    // Exact up to the refit's small ridge (1e-5 of the mean diagonal): relative error well under 1e-4.
    const scale = maxAbs(reference);
    expect(maxDiff(reference, await runOutputs(one, images, 1)) / scale).toBeLessThan(1e-4);
    // ...and the sequential reconstruction on the pruned model, starting from plain slicing.
    const sliced = applyPlan(m, a, new Map([[g!.id, [0, 1, 2, 3]]]));
    const editor = new GraphEditor(sliced.model);
    await reconstruct(m, editor, [{ node: 'v', keptOut: [0, 1, 2, 3] }, { node: 'y', keptOut: [0, 1, 2] }], images, { positionsPerImage: 36 });
    expect(maxDiff(reference, await runOutputs(editor.model, images, 1)) / scale).toBeLessThan(1e-4);
  });

  it('the DP allocation matches brute force on a small case', () => {
    let s = 11;
    const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const groups = Array.from({ length: 5 }, () => {
        const saved = [0, 1 + Math.floor(rand() * 6), 7 + Math.floor(rand() * 6), 13 + Math.floor(rand() * 6)];
        const error = [0, rand(), 1 + rand(), 2 + rand() * 3];
        return { saved, error };
      });
      const need = 10 + Math.floor(rand() * 40);
      const brute = allocateBruteForce(groups, need);
      const dp = allocate(groups, need, need);
      if (!brute) {
        expect(dp).toBeUndefined();
        continue;
      }
      const dpError = dp!.reduce((acc, o, g) => acc + groups[g]!.error[o]!, 0);
      const dpSaved = dp!.reduce((acc, o, g) => acc + groups[g]!.saved[o]!, 0);
      expect(dpSaved).toBeGreaterThanOrEqual(need);
      expect(dpError).toBeCloseTo(brute.error, 12);
    }
  });
});

describe('flopmap prune', () => {
  it('bad input exits 2 naming the option', async () => {
    const model = dataPath('models', 'nanodet_m_320.onnx');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'flopmap', 'prune', model, '--family', 'nanodet', '--flops', '1.5', '-o', '/tmp/never.onnx'])).toBe(2);
      expect(await main(['node', 'flopmap', 'prune', model, '--family', 'nanodet', '--ratios', '0.5,2', '-o', '/tmp/never.onnx'])).toBe(2);
      expect(await main(['node', 'flopmap', 'prune', model, '--family', 'nanodet', '--epochs', '3', '-o', '/tmp/never.onnx'])).toBe(2);
      expect(await main(['node', 'flopmap', 'prune', model, '--family', 'nanodet', '--distill', '--learning-rate', '-1', '-o', '/tmp/never.onnx'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(/--flops 1.5/);
    expect(errors.join('')).toMatch(/--ratios 0.5,2/);
    expect(errors.join('')).toMatch(/--epochs, --seed, --distill-images and --learning-rate go with --distill/);
    expect(errors.join('')).toMatch(/--learning-rate -1/);
  });
});
