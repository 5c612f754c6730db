// The class/box split of a head is decided by what each predictor feeds, not by its width: in a head with
// 2 classes x 3 anchors the class predictor has 6 channels against 4 x 3 = 12 for boxes (issue 10).
import { describe, expect, it } from 'vitest';
import { onnx, type INodeProto, type Model } from '../../src/onnx/proto.ts';
import { profileModel } from '../../src/profiler/index.ts';
import { floats, input, node } from './tiny-graph.ts';

const conv = (x: string, w: string, y: string, stride = 1) => node('Conv', [x, w], [y], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] });

/**
 * A one-level (stride 8) detector: three stride-2 convs, then a class tower and a box tower of one conv each
 * and their predictors. `clsEnd` and `boxEnd` are what follows the predictors before the outputs.
 */
function fewClassHead(classes: number, clsEnd: (x: string) => INodeProto[], boxEnd: (x: string) => INodeProto[]): Model {
  const anchors = 3;
  const nodes: INodeProto[] = [
    conv('image', 'w1', 'c1', 2), node('Relu', ['c1'], ['r1']),
    conv('r1', 'w2', 'c2', 2), node('Relu', ['c2'], ['r2']),
    conv('r2', 'w3', 'c3', 2), node('Relu', ['c3'], ['feat']),
    conv('feat', 'wct', 'ct'), node('Relu', ['ct'], ['ctr']), conv('ctr', 'wcls', 'cls_pred'),
    conv('feat', 'wbt', 'bt'), node('Relu', ['bt'], ['btr']), conv('btr', 'wbox', 'box_pred'),
  ];
  const clsTail = clsEnd('cls_pred');
  const boxTail = boxEnd('box_pred');
  const clsOut = clsTail.length > 0 ? clsTail[clsTail.length - 1].output![0] : 'cls_pred';
  const boxOut = boxTail.length > 0 ? boxTail[boxTail.length - 1].output![0] : 'box_pred';
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'few-class-head',
      node: [...nodes, ...clsTail, ...boxTail],
      input: [input('image', [1, 3, 64, 64])],
      output: [onnx.ValueInfoProto.create({ name: clsOut }), onnx.ValueInfoProto.create({ name: boxOut })],
      initializer: [
        floats('w1', [8, 3, 3, 3]), floats('w2', [8, 8, 3, 3]), floats('w3', [16, 8, 3, 3]),
        floats('wct', [16, 16, 3, 3]), floats('wcls', [classes * anchors, 16, 3, 3]),
        floats('wbt', [16, 16, 3, 3]), floats('wbox', [4 * anchors, 16, 3, 3]),
      ],
      valueInfo: [],
    },
  }) as Model;
}

const none = (): INodeProto[] => [];
const sigmoid = (x: string) => [node('Sigmoid', [x], ['scores'])];
const softmax = (x: string) => [node('Softmax', [x], ['scores'], { axis: 1 })];
/** A box decode as FCOS/NanoDet do it: distances = exp(deltas) * stride. */
const decode = (x: string) => [node('Exp', [x], ['dist']), node('Mul', ['dist', 'stride'], ['boxes'])];

function groupsOf(m: Model): Record<string, string> {
  const p = profileModel(m);
  return Object.fromEntries(p.nodes.filter((n) => ['ct', 'cls_pred', 'bt', 'box_pred'].includes(n.name)).map((n) => [n.name, n.group]));
}

const right = { ct: 'head/P3/cls', cls_pred: 'head/P3/cls', bt: 'head/P3/box', box_pred: 'head/P3/box' };

describe('class/box split of a 2-class x 3-anchor head', () => {
  it('sigmoid scores: the narrower predictor is the class one', () => {
    expect(groupsOf(fewClassHead(2, sigmoid, none))).toEqual(right);
  });

  it('softmax scores: the same', () => {
    expect(groupsOf(fewClassHead(2, softmax, none))).toEqual(right);
  });

  it('raw logits beside a box decode: the predictor feeding no decode is the class one', () => {
    const m = fewClassHead(2, none, decode);
    m.graph.initializer.push(floats('stride', [1], 8));
    expect(groupsOf(m)).toEqual(right);
  });

  it('raw logits everywhere: falls back to the wider predictor (80 classes x 3 anchors against 12)', () => {
    expect(groupsOf(fewClassHead(80, none, none))).toEqual(right);
    // With nothing but widths to go on, a few-class head is read the other way round.
    expect(groupsOf(fewClassHead(2, none, none)).cls_pred).toBe('head/P3/box');
  });
});
