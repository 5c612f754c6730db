// One onnxruntime-node session per model; feeds the single image input and hands back float outputs.
import ort from 'onnxruntime-node';
import { fileError } from '../errors.ts';
import { encodeModel } from '../onnx/model-io.ts';
import { imageInputName } from '../onnx/image-input.ts';
import type { Model } from '../onnx/proto.ts';
import type { OutputTensor } from './families/types.ts';


export interface DetectorSession {
  inputName: string;
  outputNames: readonly string[];
  run(tensor: Float32Array, dims: readonly number[]): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}

export async function createDetectorSession(model: Model, label: string, threads = 1): Promise<DetectorSession> {
  const inputName = imageInputName(model);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(model), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Warnings about initializers listed as inputs are noise here (see the data README).
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw fileError(label, `onnxruntime cannot load the model (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  return {
    inputName,
    outputNames: session.outputNames,
    async run(tensor, dims) {
      const results = await session.run({ [inputName]: new ort.Tensor('float32', tensor, dims) });
      const out: Record<string, OutputTensor> = {};
      for (const [name, value] of Object.entries(results)) {
        if (value.type !== 'float32') continue;
        out[name] = { data: value.data as Float32Array, dims: value.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}
