import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { loadModel } from '../../src/onnx/model-io.ts';
import { onnx, type Model } from '../../src/onnx/proto.ts';
import { float32Tensor } from '../../src/onnx/tensor.ts';
import { withInputSize } from '../../src/onnx/input-size.ts';
import { groupSum, inferShapes, profileModel, type Profile } from '../../src/profiler/index.ts';
import { retinanetMacs } from './retinanet-arithmetic.ts';

const G = 1e9;
const convMacs = (p: Profile) => p.nodes.filter((n) => n.op === 'Conv').reduce((s, n) => s + n.macs, 0);
const model = (file: string) => loadModel(dataPath('models', file));

describe('RetinaNet-R50-FPN', () => {
  const retinanet = model('retinanet_r50_fpn_zero.onnx.gz');

  it('gives every node output a shape at 1x3x800x1216 (ONNX shape inference leaves the head convs unshaped)', () => {
    const shapes = inferShapes(retinanet, { images: [1, 3, 800, 1216] });
    const missing = retinanet.graph.node.flatMap((n) => (n.output ?? []).filter((o) => o && !shapes.has(o)));
    expect(missing).toEqual([]);
    expect(shapes.get('cls_logits')).toEqual([1, 9 * (100 * 152 + 50 * 76 + 25 * 38 + 13 * 19 + 7 * 10), 91]);
  });

  it('counts 230.24 G conv MACs at 800x1216, split as the study reports', () => {
    const p = profileModel(retinanet, { inputShapes: { images: [1, 3, 800, 1216] } });
    expect(p.warnings).toEqual([]);
    const conv = convMacs(p);
    expect(Math.abs(conv / (230.24 * G) - 1)).toBeLessThan(0.005);
    expect(p.totals.macs).toBe(conv);
    expect(groupSum(p, 'backbone').macs / G).toBeCloseTo(79.24, 2);
    expect(groupSum(p, 'neck').macs / G).toBeCloseTo(15.44, 2);
    expect(groupSum(p, 'head').macs / G).toBeCloseTo(135.56, 2);
    expect(groupSum(p, 'head/P3').macs / G).toBeCloseTo(101.67, 2);
    expect(Math.round((100 * groupSum(p, 'head/P3').macs) / conv)).toBe(44);
    expect(groupSum(p, 'post').macs).toBe(0);
  });

  for (const [h, w] of [[800, 1216], [512, 768], [481, 643]]) {
    it(`matches layer arithmetic group by group at ${h}x${w} (torchvision layer list, independent of the graph)`, () => {
      const p = profileModel(retinanet, { inputShapes: { images: [1, 3, h, w] } });
      const want = retinanetMacs(h, w);
      expect(groupSum(p, 'backbone/stem').macs).toBe(want.stem);
      want.stages.forEach((macs, i) => expect(groupSum(p, `backbone/stage${i + 1}`).macs).toBe(macs));
      expect(groupSum(p, 'neck').macs).toBe(want.fpn);
      want.levels.forEach((l, i) => {
        expect(groupSum(p, `head/P${i + 3}/cls`).macs).toBe(l.cls);
        expect(groupSum(p, `head/P${i + 3}/box`).macs).toBe(l.box);
      });
    });
  }

  it('scales conv MACs with the number of positions (512x768 vs 1024x1536: exactly 4x)', () => {
    const small = convMacs(profileModel(retinanet, { inputShapes: { images: [1, 3, 512, 768] } }));
    const large = convMacs(profileModel(retinanet, { inputShapes: { images: [1, 3, 1024, 1536] } }));
    expect(large).toBe(4 * small);
  });

  it('counts shared weights once: 34,041,559 params = torchvision 34,014,999 + 26,560 folded BatchNorm biases', () => {
    // torchvision documents retinanet_resnet50_fpn at 34,014,999 parameters; the export folds each frozen
    // BatchNorm into its conv, adding one bias per channel: 64 + 1408 + 3584 + 10240 + 11264 = 26,560.
    const p = profileModel(retinanet, { inputShapes: { images: [1, 3, 800, 1216] } });
    expect(p.totals.params).toBe(34_014_999 + 26_560);
    // The head's convs read the same weights at every level: each node still reports its own.
    const heads = p.nodes.filter((n) => n.name.includes('cls_logits') && n.op === 'Conv');
    expect(heads.map((n) => n.params)).toEqual(new Array(5).fill(256 * 819 * 9 + 819));
  });

  it('groups a light-head variant by structure: P3 cls conv.0 as depthwise 3x3 + pointwise 1x1, nodes appended', () => {
    const variant = onnx.ModelProto.decode(onnx.ModelProto.encode(retinanet).finish()) as Model;
    const g = variant.graph;
    const target = g.node.find((n) => n.name === '/head/classification_head/conv/conv.0/conv.0.0/Conv')!;
    const out = target.output![0];
    target.input = [target.input![0], 'p3_dw_weight'];
    target.output = ['p3_dw_out'];
    target.attribute = target.attribute!.map((a) => (a.name === 'group' ? { ...a, i: 256 } : a));
    g.initializer.push(float32Tensor('p3_dw_weight', [256, 1, 3, 3], new Float32Array(256 * 9)));
    g.initializer.push(float32Tensor('p3_pw_weight', [256, 256, 1, 1], new Float32Array(256 * 256)));
    g.node.push(onnx.NodeProto.create({ name: 'p3_pw', opType: 'Conv', input: ['p3_dw_out', 'p3_pw_weight'], output: [out], attribute: [
      { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1] }] }));
    const p = profileModel(variant, { inputShapes: { images: [1, 3, 800, 1216] } });
    const base = retinanetMacs(800, 1216);
    const positions = 100 * 152;
    expect(p.nodes.find((n) => n.name === 'p3_pw')!.group).toBe('head/P3/cls');
    expect(groupSum(p, 'head/P3/cls').macs).toBe(base.levels[0].cls - positions * 256 * 256 * 9 + positions * 256 * (9 + 256));
    expect(groupSum(p, 'head/P3/box').macs).toBe(base.levels[0].box);
    expect(groupSum(p, 'head/P4/cls').macs).toBe(base.levels[1].cls);
    expect(groupSum(p, 'neck').macs).toBe(base.fpn);
    expect(p.totals.params).toBe(34_041_559 + 256 * 9 + 256 * 256);
  });

  it('lets --groups rules override the automatic grouping', () => {
    const p = profileModel(retinanet, {
      inputShapes: { images: [1, 3, 512, 512] },
      groups: [{ pattern: '^/backbone/fpn/', group: 'fpn' }, { pattern: '^/no/such/node', group: 'x' }],
    });
    expect(p.warnings).toEqual(['--groups: pattern "^/no/such/node" matched no node name']);
    expect(groupSum(p, 'fpn').macs).toBe(retinanetMacs(512, 512).fpn);
    expect(groupSum(p, 'neck').macs).toBe(0);
  });
});

describe('NanoDet and YOLOX', () => {
  it('nanodet_m_320: 0.342 G conv MACs, 0.94 M params, single-subnet head at P3..P5', () => {
    const p = profileModel(model('nanodet_m_320.onnx'));
    expect(p.warnings).toEqual([]);
    expect(p.inputs).toEqual([{ name: 'input.1', shape: [1, 3, 320, 320] }]);
    expect(convMacs(p) / G).toBeCloseTo(0.342, 3);
    expect(p.totals.params / 1e6).toBeCloseTo(0.94, 2);
    const heads = p.groups.map((g) => g.name).filter((g) => g.startsWith('head'));
    expect(heads).toEqual(['head/P3', 'head/P4', 'head/P5']);
    // NanoDet-m's head at P3: two (depthwise 3x3 + pointwise 96->96) blocks and a 96->112 1x1 predictor on 40x40.
    expect(groupSum(p, 'head/P3').macs).toBe(1600 * (2 * (96 * 9 + 96 * 96) + 96 * 112));
    expect(p.groups.some((g) => g.name === 'neck' && g.macs > 0)).toBe(true);
  });

  it('nanodet_m at 416 (the input-size rewrite of the 320 export) costs exactly 1.69x (every map is 13/10 wider and taller)', () => {
    const small = convMacs(profileModel(model('nanodet_m_320.onnx')));
    const large = convMacs(profileModel(withInputSize(model('nanodet_m_320.onnx'), 416, 416)));
    expect(large).toBe(small * 1.69);
  });

  it('nanodet_m_0.5x_320 profiles with the same groups', () => {
    const p = profileModel(model('nanodet_m_0.5x_320.onnx'));
    expect(p.warnings).toEqual([]);
    expect(p.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['backbone/stem', 'neck', 'head/P3', 'head/P5', 'post']));
  });

  it('yolox_nano_416: 0.523 G conv MACs, 0.90 M params, cls/box towers after a 1x1 stem per level', () => {
    const p = profileModel(model('yolox_nano_416.onnx'));
    expect(p.warnings).toEqual([]);
    expect(convMacs(p) / G).toBeCloseTo(0.523, 3);
    expect(p.totals.params / 1e6).toBeCloseTo(0.9, 2);
    // The stem is one 1x1 conv to 64 channels (PAN widths 64/128/256 at P3/P4/P5).
    const stems = ['head/P3', 'head/P4', 'head/P5'].map((g) => p.nodes.filter((n) => n.group === g && n.op === 'Conv'));
    expect(stems.map((s) => s.length)).toEqual([1, 1, 1]);
    expect(stems.map((s) => s[0].macs)).toEqual([52 * 52 * 64 * 64, 26 * 26 * 64 * 128, 13 * 13 * 64 * 256]);
    // cls tower: 2 x (dw 3x3 + pw 64->64) and an 80-class predictor; box: the same tower, 4 box + 1 objectness.
    const tower = 52 * 52 * 2 * (64 * 9 + 64 * 64);
    expect(groupSum(p, 'head/P3/cls').macs).toBe(tower + 52 * 52 * 64 * 80);
    expect(groupSum(p, 'head/P3/box').macs).toBe(tower + 52 * 52 * 64 * 5);
  });
});
