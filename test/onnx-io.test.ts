import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../src/data-dir.ts';
import { InputError } from '../src/errors.ts';
import { decodeModel, encodeModel, loadModel, saveModel } from '../src/onnx/model-io.ts';
import { onnx, type Model } from '../src/onnx/proto.ts';
import { tensorDims, tensorToFloat32 } from '../src/onnx/tensor.ts';


describe(`ONNX loading on the bundled models`, () => {
  const nanodet = dataPath('models', 'nanodet_m_320.onnx');

  it('decodes a real model with its weights', () => {
    const model = loadModel(nanodet);
    expect(model.graph.node.length).toBeGreaterThan(100);
    const conv = model.graph.initializer.find((t) => tensorDims(t).length === 4)!;
    const w = tensorToFloat32(conv);
    expect(w.length).toBe(tensorDims(conv).reduce((a, b) => a * b, 1));
    expect(w.some((v) => v !== 0)).toBe(true);
  });

  it('round-trips losslessly', () => {
    const bytes = readFileSync(nanodet);
    const again = encodeModel(decodeModel(bytes, nanodet));
    expect(Buffer.compare(Buffer.from(encodeModel(decodeModel(again, 'again'))), Buffer.from(again))).toBe(0);
  });

  /** Moves every raw initializer of `model` into one side file, as exporters do for models over 2 GB. */
  function externalise(model: Model, dir: string, dataFile: string): void {
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const t of model.graph.initializer) {
      if (!t.rawData || t.rawData.length === 0) continue;
      chunks.push(Buffer.from(t.rawData));
      t.externalData = [
        { key: 'location', value: dataFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.rawData.length) },
      ];
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      offset += t.rawData.length;
      t.rawData = new Uint8Array(0);
    }
    writeFileSync(join(dir, dataFile), Buffer.concat(chunks));
  }

  it('loads weights kept in an external data file, byte for byte', () => {
    const original = loadModel(nanodet);
    const external = loadModel(nanodet);
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-'));
    externalise(external, dir, 'weights.bin');
    saveModel(external, join(dir, 'model.onnx'));
    const loaded = loadModel(join(dir, 'model.onnx'));
    expect(loaded.graph.initializer.length).toBe(original.graph.initializer.length);
    let compared = 0;
    loaded.graph.initializer.forEach((t, i) => {
      const want = original.graph.initializer[i]!;
      expect(t.name).toBe(want.name);
      expect(t.dataLocation ?? 0).toBe(onnx.TensorProto.DataLocation.DEFAULT);
      if (want.rawData && want.rawData.length > 0) {
        expect(Buffer.compare(Buffer.from(t.rawData!), Buffer.from(want.rawData))).toBe(0);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(100);
  });

  it('names the model and the missing external data file', () => {
    const model = loadModel(nanodet);
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-'));
    externalise(model, dir, 'weights.bin');
    saveModel(model, join(dir, 'model.onnx'));
    rmSync(join(dir, 'weights.bin'));
    expect(() => loadModel(join(dir, 'model.onnx'))).toThrow(/model\.onnx: tensor .*: external data file .*weights\.bin not found/);
  });

  it('names the file and the problem for a truncated model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-'));
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, readFileSync(nanodet).subarray(0, 5000));
    expect(() => loadModel(cut)).toThrow(InputError);
    expect(() => loadModel(cut)).toThrow(/cut\.onnx: corrupt or truncated/);
  });
});

describe('ONNX loading of bad files', () => {
  it('rejects a file that is not ONNX', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-'));
    const txt = join(dir, 'notes.onnx');
    writeFileSync(txt, 'hello, not a model');
    expect(() => loadModel(txt)).toThrow(/notes\.onnx: not an ONNX model/);
  });
  it('rejects a missing file', () => {
    expect(() => loadModel('/nonexistent/model.onnx')).toThrow(/model\.onnx: no such file/);
  });
});
