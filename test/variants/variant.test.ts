import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { dataPath } from '../../src/data-dir.ts';
import { InputError } from '../../src/errors.ts';
import { loadModel, saveModel } from '../../src/onnx/model-io.ts';
import type { Model } from '../../src/onnx/proto.ts';
import { tensorToFloat32 } from '../../src/onnx/tensor.ts';
import { profileModel } from '../../src/profiler/index.ts';
import { prepareImage } from '../../src/detection/image.ts';
import { getFamily } from '../../src/detection/families/index.ts';
import { createDetectorSession } from '../../src/detection/session.ts';
import { GraphEditor } from '../../src/onnx/graph-edit.ts';
import { buildVariant, type BlockName } from '../../src/variants/index.ts';

const model = (name: string) => dataPath('models', name);
/** Few images and positions: the fit is exercised, not tuned (measurements live in the report). */
const quickFit = (family: 'nanodet' | 'yolox') => ({ calibDir: dataPath('coco', 'calib'), family, images: 6, positionsPerImage: 96 });

function convMacs(m: Model, inputShapes?: Record<string, number[]>): number {
  return profileModel(m, { inputShapes }).nodes.filter((n) => n.op === 'Conv').reduce((a, n) => a + n.macs, 0);
}

/**
 * Largest |a - b| and largest |a| over all outputs of two models on the first evaluation images, and the
 * root-mean-square of a - b and of a.
 */
async function maxOutputDifference(
  a: Model,
  b: Model,
  family: 'nanodet' | 'yolox',
  size: number,
  count: number,
): Promise<{ diff: number; scale: number; rmsDiff: number; rms: number }> {
  const spec = getFamily(family);
  const files = readdirSync(dataPath('coco', 'val2017')).sort().slice(0, count);
  const sa = await createDetectorSession(a, 'original');
  const sb = await createDetectorSession(b, 'variant');
  let diff = 0;
  let scale = 0;
  let sumSqDiff = 0;
  let sumSq = 0;
  let n = 0;
  for (const f of files) {
    const input = await prepareImage(dataPath('coco', 'val2017', f), spec.resizeSpec(size), spec.pixelFormat);
    const ya = await sa.run(input.tensor, input.dims);
    const yb = await sb.run(input.tensor, input.dims);
    for (const name of Object.keys(ya)) {
      const da = ya[name]!.data;
      const db = yb[name]!.data;
      expect(db.length).toBe(da.length);
      for (let i = 0; i < da.length; i++) {
        diff = Math.max(diff, Math.abs(da[i]! - db[i]!));
        scale = Math.max(scale, Math.abs(da[i]!));
        sumSqDiff += (da[i]! - db[i]!) ** 2;
        sumSq += da[i]! ** 2;
        n++;
      }
    }
  }
  await sa.release();
  await sb.release();
  return { diff, scale, rmsDiff: Math.sqrt(sumSqDiff / n), rms: Math.sqrt(sumSq / n) };
}

describe(`RetinaNet conv1x1 at P3, the released LW-RetinaNet head`, () => {
  it('cuts the conv MACs at 800x1216 from 230.24 G to 140.99 G, runs, and leaves P4..P7 as they were', async () => {
    const original = loadModel(model('retinanet_r50_fpn_zero.onnx.gz'));
    const shapes = { images: [1, 3, 800, 1216] };
    const { model: variant, layers } = await buildVariant(original, { block: 'conv1x1', levels: ['P3'], inputShapes: shapes });
    // 4 tower convs in each subnet and the class predictor.
    expect(layers.map((l) => `${l.subnet}/${l.role}`).sort()).toEqual([...Array(4).fill('box/tower'), 'cls/predictor', ...Array(4).fill('cls/tower')]);
    expect(convMacs(original, shapes) / 1e9).toBeCloseTo(230.24, 1);
    const after = convMacs(variant, shapes) / 1e9;
    expect(Math.abs(after - 140.99) / 140.99).toBeLessThan(0.005);

    // P4..P7 convs read the same weights as before, with the same values; P3's blocks read none of them.
    const before = new GraphEditor(original);
    const edited = new GraphEditor(variant);
    const groups = new Map(profileModel(variant, { inputShapes: shapes }).nodes.map((n) => [n.name, n.group]));
    const p3Reads = new Set<string>();
    let otherLevels = 0;
    // Blocks first (they sort before P4 in the box subnet), then the other levels.
    const convs = variant.graph.node.filter((n) => n.opType === 'Conv');
    convs.sort((a, b) => Number((b.name ?? '').includes('/conv1x1.')) - Number((a.name ?? '').includes('/conv1x1.')));
    for (const node of convs) {
      const group = groups.get(node.name ?? '') ?? '';
      if ((node.name ?? '').includes('/conv1x1.')) {
        for (const i of node.input!.slice(1)) p3Reads.add(edited.resolveInitializer(i)!.name!);
      } else if (/^head\/P[4-7]/.test(group)) {
        const old = original.graph.node.find((n) => n.name === node.name)!;
        expect(node.input).toEqual(old.input);
        const w = Buffer.from(tensorToFloat32(edited.resolveInitializer(node.input![1]!)!).buffer);
        expect(Buffer.compare(w, Buffer.from(tensorToFloat32(before.resolveInitializer(old.input![1]!)!).buffer))).toBe(0);
        for (const i of node.input!.slice(1)) expect(p3Reads.has(edited.resolveInitializer(i)!.name!)).toBe(false);
        otherLevels++;
      }
    }
    expect(otherLevels).toBe(4 * 10);

    const session = await createDetectorSession(variant, 'variant');
    const out = await session.run(new Float32Array(3 * 256 * 384).fill(0.5), [1, 3, 256, 384]);
    await session.release();
    // 9 anchors at every position of P3..P7 for 256x384: (32*48 + 16*24 + 8*12 + 4*6 + 2*3) * 9 = 18414.
    expect(out.cls_logits!.dims).toEqual([1, 18414, 91]);
  });
});

describe(`fitted variants of the real NanoDet and YOLOX heads`, () => {
  it('lowrank at full rank reproduces NanoDet-m outputs to 1e-4 (fitted on real calibration images)', async () => {
    const original = loadModel(model('nanodet_m_320.onnx'));
    const result = await buildVariant(original, { block: 'lowrank', levels: ['P3'], rank: 1_000_000, fit: quickFit('nanodet') });
    // The dense convs of the P3 head: two pointwise tower convs and gfl_cls; depthwise ones are skipped.
    expect(result.layers.map((l) => l.name)).toEqual(['Conv_387', 'Conv_391', 'Conv_393']);
    expect(result.skipped.map((s) => s.name)).toEqual(['Conv_385', 'Conv_389']);
    for (const l of result.layers) expect(l.relativeError!).toBeLessThan(1e-4);
    const { diff, scale } = await maxOutputDifference(original, result.model, 'nanodet', 320, 2);
    expect(scale).toBeGreaterThan(0.5);
    expect(diff).toBeLessThan(1e-4);
  });

  const cases: [string, 'nanodet' | 'yolox', BlockName, number, number][] = [
    ['nanodet_m_320.onnx', 'nanodet', 'lowrank', 32, 0.5],
    ['nanodet_m_320.onnx', 'nanodet', 'bottleneck', 24, 0.6],
    ['nanodet_m_320.onnx', 'nanodet', 'conv1x1', 0, 0.8],
    ['yolox_nano_416.onnx', 'yolox', 'lowrank', 24, 0.5],
    ['yolox_nano_416.onnx', 'yolox', 'bottleneck', 16, 0.8],
    ['yolox_nano_416.onnx', 'yolox', 'conv1x1', 0, 0.8],
  ];
  it.each(cases)('%s %s at P3: fewer MACs, runs, per-layer error below a sane bound', async (file, family, block, rank, bound) => {
    const original = loadModel(model(file));
    const result = await buildVariant(original, { block, levels: ['P3'], rank: rank || undefined, fit: quickFit(family) });
    expect(result.layers.length).toBeGreaterThan(0);
    for (const l of result.layers) {
      expect(l.relativeError!).toBeGreaterThan(0);
      expect(l.relativeError!).toBeLessThan(bound);
    }
    expect(convMacs(result.model)).toBeLessThan(convMacs(original));
    const size = family === 'nanodet' ? 320 : 416;
    const { diff, rmsDiff, rms } = await maxOutputDifference(original, result.model, family, size, 1);
    expect(Number.isFinite(diff)).toBe(true);
    // The outputs move by less than half their RMS (measured 0.09-0.35). The largest single element is no
    // bound: YOLOX's conv1x1 head moves one raw output by 1.01x the largest output on image 1 (0.75x before the
    // reference preprocessing changed the calibration and test pixels).
    expect(rmsDiff).toBeLessThan(0.5 * rms);
  });

  it('dwsep: no dense kxk conv in these heads (already separable), so it is fitted on YOLOX\'s dense 3x3 stem conv', async () => {
    const original = loadModel(model('yolox_nano_416.onnx'));
    await expect(buildVariant(original, { block: 'dwsep', levels: ['P3'] })).rejects.toThrow(/dwsep: applies to no selected conv at P3 \(.*already separable/);
    const result = await buildVariant(original, { block: 'dwsep', levels: [], nodes: ['Conv_41'], fit: quickFit('yolox') });
    expect(result.layers[0]!.shapes).toEqual([[12, 1, 3, 3], [16, 12, 1, 1]]);
    expect(result.layers[0]!.relativeError!).toBeLessThan(0.5);
    // The data-free rank-1 projection is worse than the fitted ALS weights on the same images.
    const projected = await buildVariant(original, { block: 'dwsep', levels: [], nodes: ['Conv_41'] });
    const fitted = await maxOutputDifference(original, result.model, 'yolox', 416, 1);
    const unfitted = await maxOutputDifference(original, projected.model, 'yolox', 416, 1);
    expect(fitted.diff).toBeLessThan(unfitted.diff);
  });

  it('--init random and --weights: a random variant takes trained weights back by initializer name', async () => {
    const original = loadModel(model('nanodet_m_320.onnx'));
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-variant-'));
    const trained = await buildVariant(original, { block: 'lowrank', levels: ['P3'], rank: 40, fit: quickFit('nanodet') });
    const trainedFile = join(dir, 'trained.onnx');
    saveModel(trained.model, trainedFile);
    const random = await buildVariant(original, { block: 'lowrank', levels: ['P3'], rank: 40, init: 'random' });
    const restored = await buildVariant(original, { block: 'lowrank', levels: ['P3'], rank: 40, init: 'random', weightsFrom: trainedFile });
    const same = await maxOutputDifference(trained.model, restored.model, 'nanodet', 320, 1);
    expect(same.diff).toBe(0);
    const differs = await maxOutputDifference(trained.model, random.model, 'nanodet', 320, 1);
    expect(differs.diff).toBeGreaterThan(0.01);
    await expect(buildVariant(original, { block: 'lowrank', levels: ['P3'], rank: 30, weightsFrom: trainedFile })).rejects.toThrow(InputError);
  });
});

describe(`flopmap variant on bad input`, () => {
  const out = join(mkdtempSync(join(tmpdir(), 'flopmap-variant-')), 'v.onnx');
  it('a level the head does not have: exit 2 naming the levels found', async () => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'flopmap', 'variant', model('nanodet_m_320.onnx'), '--block', 'conv1x1', '--levels', 'P6', '-o', out])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(lines.join('')).toMatch(/--levels P6: no such level in the model's head \(levels found: P3, P4, P5\)/);
  });
  it('a block that does not exist: exit 2', async () => {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'flopmap', 'variant', model('nanodet_m_320.onnx'), '--block', 'ghost', '--levels', 'P3', '-o', out])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});
