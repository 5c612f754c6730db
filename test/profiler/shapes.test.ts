import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { inferShapes, profileModel } from '../../src/profiler/index.ts';
import { sliceIndices } from '../../src/profiler/ops/shape-ops.ts';
import { formatProfileTable, profileCsv, profileJson } from '../../src/profiler/report.ts';
import { floats, floatsAttr, input, int64Max, ints, model, node } from './tiny-graph.ts';

describe('Reshape', () => {
  it('copies 0 dims and solves -1 from the element count', () => {
    const m = model(13, [node('Reshape', ['x', 'shape'], ['y'])], [input('x', [2, 3, 4, 5])], [ints('shape', [0, -1, 5])]);
    expect(inferShapes(m).get('y')).toEqual([2, 12, 5]);
  });

  it('reports an element-count mismatch as a warning naming the node', () => {
    const m = model(13, [node('Reshape', ['x', 'shape'], ['y'], {}, 'bad_reshape')], [input('x', [2, 3])], [ints('shape', [4, -1])]);
    const p = profileModel(m);
    expect(p.warnings.join('\n')).toMatch(/bad_reshape \(Reshape\).*cannot reshape/);
  });
});

describe('Slice', () => {
  it('clamps out-of-range bounds and counts negative indices from the end', () => {
    expect(sliceIndices(10, -3, 1e19, 1)).toEqual([7, 8, 9]);
    expect(sliceIndices(10, -100, 2, 1)).toEqual([0, 1]);
    expect(sliceIndices(10, 9, -1e19, -3)).toEqual([9, 6, 3, 0]);
    expect(sliceIndices(5, 4, 1, 1)).toEqual([]);
  });

  it('reads starts/ends/axes/steps inputs from opset 10 and folds the values of a sliced shape', () => {
    const m = model(13, [
      node('Shape', ['x'], ['s']),
      node('Slice', ['s', 'starts', 'ends', 'axes'], ['hw']),
      node('Slice', ['x', 'st2', 'en2', 'ax2', 'step2'], ['y']),
    ], [input('x', [1, 3, 20, 30])], [ints('starts', [-2]), int64Max('ends'), ints('axes', [0]),
      ints('st2', [-1, 0]), ints('en2', [-100, 30]), ints('ax2', [2, 3]), ints('step2', [-2, 4])]);
    const p = profileModel(m);
    const shapes = inferShapes(m);
    expect(shapes.get('hw')).toEqual([2]);
    expect(shapes.get('y')).toEqual([1, 3, 10, 8]);
    expect(p.warnings.filter((w) => !w.startsWith('grouping'))).toEqual([]);
  });

  it('reads starts/ends/axes attributes before opset 10', () => {
    const m = model(9, [node('Slice', ['x'], ['y'], { starts: [1, -5], ends: [1000, -1], axes: [1, 3] })], [input('x', [1, 4, 8, 8])]);
    expect(inferShapes(m).get('y')).toEqual([1, 3, 8, 4]);
  });
});

describe('Split', () => {
  it('takes sizes from the attribute before opset 13', () => {
    const m = model(11, [node('Split', ['x'], ['a', 'b'], { axis: 1, split: [80, 32] })], [input('x', [1, 112, 40, 40])]);
    const s = inferShapes(m);
    expect([s.get('a'), s.get('b')]).toEqual([[1, 80, 40, 40], [1, 32, 40, 40]]);
  });

  it('takes sizes from input 1 from opset 13, and splits evenly without them', () => {
    const m = model(13, [
      node('Split', ['x', 'sizes'], ['a', 'b', 'c'], { axis: -1 }),
      node('Split', ['x'], ['d', 'e'], { axis: 1 }),
    ], [input('x', [2, 6, 9])], [ints('sizes', [2, 3, 4])]);
    const s = inferShapes(m);
    expect([s.get('a'), s.get('b'), s.get('c')]).toEqual([[2, 6, 2], [2, 6, 3], [2, 6, 4]]);
    expect([s.get('d'), s.get('e')]).toEqual([[2, 3, 9], [2, 3, 9]]);
  });
});

describe('Concat of shape tensors (the exporters\' Shape -> Gather -> Unsqueeze -> Concat -> Reshape)', () => {
  it('folds the target shape so that Reshape gets concrete dims', () => {
    const m = model(13, [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'axis0'], ['n1']),
      node('Concat', ['n1', 'minus1', 'four'], ['target'], { axis: 0 }),
      node('Reshape', ['x', 'target'], ['y']),
    ], [input('x', [2, 36, 5, 7])], [ints('zero', [0], []), ints('axis0', [0]), ints('minus1', [-1]), ints('four', [4])]);
    const s = inferShapes(m);
    expect(s.get('n')).toEqual([]);
    expect(s.get('target')).toEqual([3]);
    expect(s.get('y')).toEqual([2, 315, 4]);
  });

  it('takes Squeeze/Unsqueeze axes from the attribute before opset 13', () => {
    const m = model(11, [
      node('Unsqueeze', ['x'], ['u'], { axes: [0, -1] }),
      node('Squeeze', ['u'], ['q'], { axes: [0] }),
    ], [input('x', [3, 4])]);
    const s = inferShapes(m);
    expect(s.get('u')).toEqual([1, 3, 4, 1]);
    expect(s.get('q')).toEqual([3, 4, 1]);
  });
});

describe('Resize', () => {
  it('opset 10: scales are input 1', () => {
    const m = model(10, [node('Resize', ['x', 'scales'], ['y'])], [input('x', [1, 8, 5, 7])], [floats('scales', [4], 0)]);
    m.graph.initializer[0] = { ...m.graph.initializer[0], rawData: new Uint8Array(new Float32Array([1, 1, 2, 0.5]).buffer) };
    expect(inferShapes(m).get('y')).toEqual([1, 8, 10, 3]);
  });

  it('opset 11: scales are input 2 (roi input 1), output = floor(dim x scale)', () => {
    const m = model(11, [node('Resize', ['x', 'roi', 'scales'], ['y'])], [input('x', [1, 8, 5, 7])],
      [floats('roi', [0]), floats('scales', [4])]);
    m.graph.initializer[1] = { ...m.graph.initializer[1], rawData: new Uint8Array(new Float32Array([1, 1, 0.5, 0.5]).buffer) };
    expect(inferShapes(m).get('y')).toEqual([1, 8, 2, 3]);
  });

  it('opset 13: sizes (input 3) computed in the graph from another feature map, roi and scales empty', () => {
    const m = model(13, [
      node('Shape', ['big'], ['s']),
      node('Slice', ['s', 'two', 'four'], ['hw']),
      node('Shape', ['x'], ['sx']),
      node('Slice', ['sx', 'zero', 'two'], ['nc']),
      node('Concat', ['nc', 'hw'], ['sizes'], { axis: 0 }),
      node('Resize', ['x', '', '', 'sizes'], ['y'], { mode: 'nearest' }),
    ], [input('x', [1, 256, 13, 19]), input('big', [1, 256, 25, 38])], [ints('zero', [0]), ints('two', [2]), ints('four', [4])]);
    expect(inferShapes(m).get('y')).toEqual([1, 256, 25, 38]);
  });
});

describe('inputs', () => {
  it('a dynamic dim without --input is an InputError naming the input and what to pass', () => {
    const m = model(13, [node('Relu', ['images'], ['y'])], [input('images', [1, 3, 'height', 'width'])]);
    expect(() => profileModel(m)).toThrow(InputError);
    expect(() => profileModel(m)).toThrow(/images.*--input images=1x3x<height>x<width>/);
    expect(profileModel(m, { inputShapes: { images: [1, 3, 64, 96] } }).nodes[0].outputShapes).toEqual([[1, 3, 64, 96]]);
  });

  it('initializers listed among the graph inputs are weights, not inputs to give', () => {
    const m = model(11, [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
      [input('x', [1, 4, 8, 8]), input('w', [6, 4, 3, 3]), input('b', [6])], [floats('w', [6, 4, 3, 3]), floats('b', [6])]);
    const p = profileModel(m);
    expect(p.inputs).toEqual([{ name: 'x', shape: [1, 4, 8, 8] }]);
    expect(p.totals.params).toBe(6 * 4 * 9 + 6);
  });

  it('a shape that contradicts a static dim is refused', () => {
    const m = model(11, [node('Relu', ['x'], ['y'])], [input('x', [1, 3, 320, 320])]);
    expect(() => profileModel(m, { inputShapes: { x: [1, 3, 416, 416] } })).toThrow(/fixes dim 2 to 320/);
  });
});

describe('unknown ops', () => {
  const m = model(13, [node('Relu', ['x'], ['r']), node('FancyOp', ['r'], ['f']), node('Relu', ['f'], ['y'])], [input('x', [1, 2])]);

  it('are a warning naming the op, counted 0', () => {
    const p = profileModel(m);
    expect(p.warnings.some((w) => w.includes('unknown op FancyOp'))).toBe(true);
    expect(p.totals.flops).toBe(2);
  });

  it('are an InputError with strict', () => {
    expect(() => profileModel(m, { strict: true })).toThrow(/FancyOp/);
  });
});

describe('grouping outside detectors', () => {
  it('a classifier (conv -> global pool -> Gemm) has no head: everything is backbone, with a warning', () => {
    const m = model(13, [
      node('Conv', ['x', 'w1'], ['c1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      node('GlobalAveragePool', ['c2'], ['g']),
      node('Flatten', ['g'], ['f']),
      node('Gemm', ['f', 'fc', 'fcb'], ['logits'], { transB: 1 }),
    ], [input('x', [1, 3, 32, 32])], [floats('w1', [8, 3, 3, 3]), floats('w2', [16, 8, 3, 3]), floats('fc', [10, 16]), floats('fcb', [10])]);
    const p = profileModel(m);
    expect(p.nodes.every((n) => n.group.startsWith('backbone/'))).toBe(true);
    expect(p.nodes.find((n) => n.name === 'c1')!.group).toBe('backbone/stem');
    expect(p.nodes.find((n) => n.name === 'c2')!.group).toBe('backbone/stage1');
    expect(p.warnings.some((w) => w.includes('no predictor'))).toBe(true);
  });
});

describe('Upsample (deprecated)', () => {
  it('reads float scales from the attribute in opset 7', () => {
    const m = model(7, [node('Upsample', ['x'], ['y'], { mode: 'nearest', scales: floatsAttr([1, 1, 2, 2]) })], [input('x', [1, 8, 5, 7])]);
    expect(inferShapes(m).get('y')).toEqual([1, 8, 10, 14]);
  });
});

describe('unknown shapes', () => {
  it('an output whose shape cannot be inferred is null in the JSON and ? in the table and CSV; a scalar stays []', () => {
    const custom = node('Mystery', ['x'], ['m']);
    custom.domain = 'com.example';
    const m = model(13, [custom, node('Relu', ['m'], ['y']), node('ReduceSum', ['x'], ['s'], { keepdims: 0 }), node('Add', ['y', 's'], ['z'])],
      [input('x', [1, 4, 8, 8])]);
    const p = profileModel(m);
    p.nodes.sort((a, b) => a.name.localeCompare(b.name));
    const json = profileJson(p) as { nodes: { name: string; outputShapes: (number[] | null)[] }[] };
    const shapes = Object.fromEntries(json.nodes.map((n) => [n.name, n.outputShapes]));
    expect(shapes).toEqual({ m: [null], y: [null], s: [[]], z: [null] });
    expect(JSON.stringify(json)).toContain('"outputShapes":[null]');
    const csvRow = profileCsv(p).split('\n').find((l) => l.startsWith('m,'))!;
    expect(csvRow.split(',')[3]).toBe('?');
    const tableRow = formatProfileTable(p, { top: 10 }).split('\n').find((l) => /^\s*m\s+Mystery/.test(l))!;
    expect(tableRow.split(/\s+/).filter(Boolean)[2]).toBe('?');
  });
});
