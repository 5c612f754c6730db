// Where a sweep's time goes: inference, images (decoding, resizing, waiting for them), post-processing,
// onnxruntime sessions, building variants, profiling, scoring; and how close the sweep is to the speed of
// inference: wall time / sum over points of (images x the point's median session.run latency).
import type { RunTiming } from '../detection/index.ts';
import type { PreparerStats } from '../detection/index.ts';

/** results.json `timing`: seconds unless named otherwise. */
export interface SweepTiming {
  wall: number;
  /** session.run, summed over images. */
  inference: number;
  /** onnxruntime model loading, once per unit. */
  sessions: number;
  /** Worker time decoding images (cache misses) and resizing them to each point's input. */
  decode: number;
  resize: number;
  /** Main thread waiting for the worker (decode/resize not hidden behind inference). */
  waitImages: number;
  postprocess: number;
  /** Light heads (fitting included) and input-size rewrites, read from the cache or built. */
  buildModels: number;
  profile: number;
  /** Scoring with bootstrap intervals. */
  scoring: number;
  /** Each point's warm session.run latency measurement (the latency the report shows). */
  latency: number;
  imagesDecoded: number;
  imagesReused: number;
  /** Sum over points run of images x the point's measured median session.run latency (results' latency.medianMs). */
  inferenceBound: number;
  /** wall / inferenceBound (null when nothing ran). */
  wallOverInference: number | null;
}

export function emptySweepTiming(): SweepTiming {
  return {
    wall: 0, inference: 0, sessions: 0, decode: 0, resize: 0, waitImages: 0, postprocess: 0, buildModels: 0,
    profile: 0, scoring: 0, latency: 0, imagesDecoded: 0, imagesReused: 0, inferenceBound: 0, wallOverInference: null,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Adds one computed unit's loop timing. */
export function addUnitTiming(total: SweepTiming, run: RunTiming): void {
  total.inference += run.inference;
  total.sessions += run.session;
  total.waitImages += run.waitImages;
  total.postprocess += run.postprocess;
}

/** Adds a point's share of the inference bound: its images run x its median session.run latency. */
export function addPointBound(total: SweepTiming, images: number, medianMs: number): void {
  total.inferenceBound += (images * medianMs) / 1000;
}

/** Closes the account: the worker's totals, the wall time and the ratio. */
export function finishTiming(total: SweepTiming, wall: number, images: PreparerStats | null): SweepTiming {
  const done = { ...total, wall };
  if (images) {
    done.decode = images.decodeSeconds;
    done.resize = images.resizeSeconds;
    done.imagesDecoded = images.decoded;
    done.imagesReused = images.reused;
  }
  done.wallOverInference = done.inferenceBound > 0 ? wall / done.inferenceBound : null;
  return done;
}

/** The console lines of the account. */
export function timingLines(t: SweepTiming): string[] {
  const s = (v: number) => `${v.toFixed(1)} s`;
  const lines = [
    `time: wall ${s(t.wall)}; inference ${s(t.inference)}, sessions ${s(t.sessions)}, post-processing ${s(t.postprocess)}, ` +
      `waiting for images ${s(t.waitImages)}; building models ${s(t.buildModels)}, profiling ${s(t.profile)}, scoring ${s(t.scoring)}, measuring latency ${s(t.latency)}`,
    `images: ${t.imagesDecoded} decoded, ${t.imagesReused} reused from the decoded-image cache; worker decoding ${s(t.decode)}, resizing ${s(t.resize)} (beside inference)`,
  ];
  if (t.wallOverInference !== null) {
    lines.push(`wall / (images x measured median session.run latency, summed over points) = ${s(t.wall)} / ${s(t.inferenceBound)} = ${t.wallOverInference.toFixed(2)}x`);
  }
  return lines;
}
