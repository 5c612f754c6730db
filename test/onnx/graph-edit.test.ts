import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { dataPath } from '../../src/data-dir.ts';
import { cloneModel, decodeModel, encodeModel, loadModel } from '../../src/onnx/model-io.ts';
import { GraphEditor, makeNode } from '../../src/onnx/graph-edit.ts';


describe(`graph editing on the bundled models`, () => {
  const models = readdirSync(dataPath('models')).filter((f) => /\.onnx(\.gz)?$/.test(f)).sort();

  it.each(models)('%s: load, edit-free write, load is lossless', (file) => {
    const model = loadModel(dataPath('models', file));
    const before = Buffer.from(encodeModel(model));
    const edited = new GraphEditor(cloneModel(model)).finish();
    const written = Buffer.from(encodeModel(edited));
    expect(Buffer.compare(written, before)).toBe(0);
    const again = Buffer.from(encodeModel(decodeModel(written, file)));
    expect(Buffer.compare(again, before)).toBe(0);
  });

  it('re-sorts appended nodes, drops what edits left dead, and writes a model onnxruntime runs', async () => {
    const model = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
    const editor = new GraphEditor(cloneModel(model));
    const g = editor.model.graph;
    // Replace the first Conv's output consumer chain head: put an Identity in front of the last node's input,
    // appended at the END of the node list (out of order), so only the sort can make the graph valid.
    const first = g.node.find((n) => n.opType === 'Conv')!;
    const out = first.output![0]!;
    const renamed = editor.uniqueName(`${out}_pre`);
    expect(renamed).not.toBe(out);
    first.output = [renamed];
    g.node.push(makeNode('Identity', editor.uniqueName('moved_identity'), [renamed], [out]));
    // A dead branch: a node whose output nobody reads is removed, and its private initializer with it.
    const deadWeight = editor.resolveInitializer(first.input![1]!)!;
    g.node.push(makeNode('Identity', editor.uniqueName('dead'), [deadWeight.name!], [editor.uniqueName('dead_out')]));
    editor.addOutput(out);
    const result = editor.finish();
    const names = result.graph.node.map((n) => n.name);
    expect(names.indexOf('moved_identity')).toBeLessThan(names.indexOf(editor.consumersOf(out)[0]!.name!));
    expect(names).not.toContain('dead');
    expect(result.graph.output.map((o) => o.name)).toContain(out);

    const session = await ort.InferenceSession.create(encodeModel(result), { intraOpNumThreads: 1, logSeverityLevel: 3 });
    const input = new ort.Tensor('float32', new Float32Array(3 * 320 * 320).fill(0.1), [1, 3, 320, 320]);
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    expect(outputs[out]!.dims.length).toBe(4);
    await session.release();
  });

  it('resolves a weight shared through Identity nodes (torchvision RetinaNet export)', () => {
    const editor = new GraphEditor(loadModel(dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz')));
    const conv = editor.model.graph.node.find((n) => n.name === '/head/classification_head/conv/conv.0/conv.0.0/Conv')!;
    expect(editor.initializer(conv.input![1]!)).toBeUndefined();
    expect(editor.resolveInitializer(conv.input![1]!)!.name).toBe('backbone.fpn.layer_blocks.0.0.weight');
  });
});
