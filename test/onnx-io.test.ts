import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath, hasSharedData } from '../src/data-dir.ts';
import { InputError } from '../src/errors.ts';
import { decodeModel, encodeModel, loadModel } from '../src/onnx/model-io.ts';
import { tensorDims, tensorToFloat32 } from '../src/onnx/tensor.ts';

const why = 'needs ../shared/data (or FLOPMAP_DATA) with the shared ONNX models';

describe.skipIf(!hasSharedData())(`ONNX loading on the shared models (${why})`, () => {
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
