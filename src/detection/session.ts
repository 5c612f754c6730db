// One onnxruntime-node session per model; feeds the single image input and hands back float outputs.
import ort from 'onnxruntime-node';
import { fileError } from '../errors.ts';
import { encodeModel } from '../onnx/model-io.ts';
import { imageInputName } from '../onnx/image-input.ts';
import { withoutInitializerInputs } from '../onnx/initializer-inputs.ts';
import type { Model } from '../onnx/proto.ts';
import type { OutputTensor } from './families/types.ts';


export interface DetectorSession {
  inputName: string;
  outputNames: readonly string[];
  run(tensor: Float32Array, dims: readonly number[]): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}

export interface SessionTuning {
  /** Let idle intra-op threads spin (onnxruntime's default); off here, see below. */
  spinning?: boolean;
}

export async function createDetectorSession(model: Model, label: string, threads = 1, tuning: SessionTuning = {}): Promise<DetectorSession> {
  const inputName = imageInputName(model);
  let session: ort.InferenceSession;
  try {
    // Weights listed as graph inputs would keep onnxruntime from folding and fusing them (onnx/initializer-inputs.ts).
    session = await ort.InferenceSession.create(encodeModel(withoutInitializerInputs(model)), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Between two runs, intra-op threads that spin keep a core busy that the image worker (decoding the next
      // image) needs; they sleep instead (onnxruntime session option session.intra_op.allow_spinning).
      extra: { session: { intra_op: { allow_spinning: tuning.spinning ? '1' : '0' } } },
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
