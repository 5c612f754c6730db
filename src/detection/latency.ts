// Measured CPU latency of one model: warm onnxruntime session.run on one prepared input, at a fixed thread count.
// FLOPs do not track latency (memory access, depthwise convolutions; Ma et al., ShuffleNet V2, ECCV 2018,
// guideline G1-G4), so the report shows both. Image decoding and box decoding are outside the timed call.
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

export interface LatencyInput {
  name: string;
  tensor: Float32Array;
  dims: readonly number[];
}

export interface Latency {
  medianMs: number;
  p90Ms: number;
  threads: number;
  runs: number;
}

export interface LatencyOptions {
  threads: number;
  /** Timed runs (at least 20 for a stable median and p90). */
  runs: number;
  /** Untimed runs first: allocation, kernel selection and caches warm up (default 3). */
  warmups?: number;
}

/** numpy.percentile (linear interpolation) of ascending values at q in [0, 1]. */
function percentile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Median and 90th percentile of the run times of `runs` warm session.run calls on `input`. */
export async function measureLatency(modelBytes: Uint8Array, input: LatencyInput, options: LatencyOptions): Promise<Latency> {
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`latency: runs must be a positive integer, got ${options.runs}`);
  const session = await ort.InferenceSession.create(modelBytes, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  try {
    const feeds = { [input.name]: new ort.Tensor('float32', input.tensor, input.dims) };
    for (let i = 0; i < (options.warmups ?? 3); i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { medianMs: percentile(times, 0.5), p90Ms: percentile(times, 0.9), threads: options.threads, runs: options.runs };
  } finally {
    await session.release();
  }
}
