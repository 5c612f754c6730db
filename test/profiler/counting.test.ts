import { describe, expect, it } from 'vitest';
import { profileModel } from '../../src/profiler/index.ts';
import { formatRules } from '../../src/profiler/report.ts';
import { allRules } from '../../src/profiler/index.ts';
import { floats, input, model, node } from './tiny-graph.ts';

const byName = (m: ReturnType<typeof model>, shapes?: Record<string, number[]>) =>
  new Map(profileModel(m, { inputShapes: shapes }).nodes.map((n) => [n.name, n]));

describe('conv counting', () => {
  it('grouped, strided conv with bias: MACs = out elements x Cin/group x k x k; FLOPs add one per output for the bias', () => {
    const m = model(13, [node('Conv', ['x', 'w', 'b'], ['y'], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1], kernel_shape: [3, 3] })],
      [input('x', [1, 32, 15, 20])], [floats('w', [64, 8, 3, 3]), floats('b', [64])]);
    const conv = byName(m).get('y')!;
    expect(conv.outputShapes).toEqual([[1, 64, 8, 10]]);
    expect(conv.macs).toBe(64 * 8 * 10 * 8 * 9);
    expect(conv.flops).toBe(2 * conv.macs + 64 * 8 * 10);
    expect(conv.params).toBe(64 * 8 * 9 + 64);
    expect(conv.outputBytes).toBe(64 * 8 * 10 * 4);
  });

  it('ConvTranspose: each input element scatters a Cout/group x k x k kernel', () => {
    const m = model(13, [node('ConvTranspose', ['x', 'w'], ['y'], { strides: [2, 2], pads: [1, 1, 1, 1], kernel_shape: [4, 4] })],
      [input('x', [1, 16, 10, 10])], [floats('w', [16, 8, 4, 4])]);
    const t = byName(m).get('y')!;
    expect(t.outputShapes).toEqual([[1, 8, 20, 20]]);
    expect(t.macs).toBe(16 * 10 * 10 * 8 * 16);
  });
});

describe('matrix products', () => {
  it('MatMul broadcasts batch dims: MACs = output elements x K', () => {
    const m = model(13, [node('MatMul', ['a', 'b'], ['y'])], [input('a', [2, 3, 5, 7]), input('b', [7, 4])]);
    const mm = byName(m).get('y')!;
    expect(mm.outputShapes).toEqual([[2, 3, 5, 4]]);
    expect(mm.macs).toBe(2 * 3 * 5 * 4 * 7);
    expect(mm.params).toBe(0);
  });

  it('Gemm with transB and C: M x N x K MACs, plus M x N adds', () => {
    const m = model(13, [node('Gemm', ['a', 'w', 'c'], ['y'], { transB: 1 })], [input('a', [8, 2048])], [floats('w', [1000, 2048]), floats('c', [1000])]);
    const g = byName(m).get('y')!;
    expect(g.outputShapes).toEqual([[8, 1000]]);
    expect(g.macs).toBe(8 * 1000 * 2048);
    expect(g.flops).toBe(2 * g.macs + 8 * 1000);
    expect(g.params).toBe(1000 * 2048 + 1000);
  });
});

describe('pooling and elementwise', () => {
  it('MaxPool with ceil_mode drops a window that would start in the right padding', () => {
    const m = model(13, [
      node('MaxPool', ['x'], ['a'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
      node('MaxPool', ['x'], ['b'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 }),
    ], [input('x', [1, 4, 8, 9])]);
    const n = byName(m);
    expect(n.get('a')!.outputShapes[0]).toEqual([1, 4, 4, 4]);
    // Rows: a 5th window would start at row 8, inside the right padding, so 4; columns: 9 + 1 wide, so 5.
    expect(n.get('b')!.outputShapes[0]).toEqual([1, 4, 4, 5]);
    expect(n.get('a')!.flops).toBe(4 * 4 * 4 * 9);
    expect(n.get('a')!.macs).toBe(0);
  });

  it('elementwise ops cost 1 FLOP per broadcast output element and no MACs', () => {
    const m = model(13, [node('Add', ['x', 'bias'], ['y']), node('Sigmoid', ['y'], ['z'])], [input('x', [2, 3, 4])], [floats('bias', [4])]);
    const n = byName(m);
    expect(n.get('y')!.flops).toBe(24);
    expect(n.get('y')!.params).toBe(4);
    expect(n.get('z')!.flops).toBe(24);
    expect(n.get('z')!.macs).toBe(0);
  });
});

describe('weights', () => {
  it('follows Identity copies to the initializer and counts a tensor read by several nodes once', () => {
    const m = model(13, [
      node('Identity', ['w0'], ['w_copy']),
      node('Conv', ['x', 'w_copy'], ['a'], { kernel_shape: [1, 1] }),
      node('Conv', ['a', 'w_copy'], ['b'], { kernel_shape: [1, 1] }),
      node('Conv', ['b', 'w0'], ['c'], { kernel_shape: [1, 1] }),
    ], [input('x', [1, 8, 4, 4])], [floats('w0', [8, 8, 1, 1])]);
    const p = profileModel(m);
    expect(p.nodes.filter((n) => n.op === 'Conv').map((n) => n.params)).toEqual([64, 64, 64]);
    // w_copy is one parameter (read twice), w0 another (exporters deduplicate equal tensors through Identity).
    expect(p.totals.params).toBe(128);
  });
});

describe('rule table', () => {
  it('describes every op the bundled models use', () => {
    const table = formatRules(allRules());
    for (const op of ['Add', 'Cast', 'Concat', 'Constant', 'Conv', 'Gather', 'Identity', 'LeakyRelu', 'MatMul', 'MaxPool', 'Mul',
      'Relu', 'Reshape', 'Resize', 'Sigmoid', 'Slice', 'Softmax', 'Split', 'Transpose', 'Unsqueeze', 'Shape', 'Gemm',
      'BatchNormalization', 'ConvTranspose', 'GroupNormalization', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Squeeze',
      'Clip', 'HardSwish', 'Div', 'Sub', 'Exp', 'TopK', 'NonMaxSuppression']) {
      expect(table).toMatch(new RegExp(`\\s${op}\\s`));
    }
  });
});
