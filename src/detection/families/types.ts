// What a detector family is: how an image becomes its input, what its outputs look like, and how they
// decode into boxes. One small module per family (retinanet.ts, nanodet.ts, yolox.ts) implements this.
import type { BoxList } from '../boxes.ts';
import type { PixelFormat, ResizeSpec } from '../image.ts';

export const FAMILY_NAMES = ['retinanet', 'nanodet', 'yolox'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** A model output as onnxruntime returns it. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Post-processing thresholds; each family has its reference defaults. */
export interface DecodeOptions {
  /** Candidates must score above this (YOLOX: at least this). */
  scoreThreshold: number;
  /** Class-wise NMS IoU threshold. */
  nmsThreshold: number;
  /** Detections kept per image after NMS. */
  maxDetections: number;
  /** Candidates kept per pyramid level before NMS (RetinaNet: 1000); undefined = no cap. */
  topKPerLevel?: number;
}

/** The input the decoder ran on: its padded size and the size of the image content inside it. */
export interface InputGeometry {
  inputHeight: number;
  inputWidth: number;
  contentHeight: number;
  contentWidth: number;
}

export interface DetectorFamily {
  name: FamilyName;
  /** The input size used when none is given. */
  defaultSize: number;
  /** Whether exported graphs of this family have a static input shape (rewritten for other sizes). */
  staticInput: boolean;
  pixelFormat: PixelFormat;
  defaults: DecodeOptions;
  /** Resize mode at input size `size` (the input-scaling parameter). */
  resizeSpec(size: number): ResizeSpec;
  /** The input [H, W] whose MACs stand for this size (padded keep-ratio inputs vary per image). */
  representativeInput(size: number): [number, number];
  /** The output names the decoder reads. */
  outputNames: readonly string[];
  /** Problems with the outputs for an input of this geometry (empty when they fit). */
  checkOutputs(outputs: Record<string, OutputTensor>, geometry: InputGeometry): string[];
  /** Boxes in input coordinates, labels in the family's own label space. */
  decode(outputs: Record<string, OutputTensor>, geometry: InputGeometry, options: DecodeOptions): BoxList;
  /** A family label -> COCO category id (undefined drops the box). */
  categoryId(label: number): number | undefined;
  /** Whether boxes are clipped to the image when mapped back (as the reference implementation does). */
  clipToImage: boolean;
}

/** "[1,1600,80]" */
export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

/** A problem line when `tensor` is missing or its dims differ from `expected`, else undefined. */
export function shapeProblem(name: string, tensor: OutputTensor | undefined, expected: readonly number[]): string | undefined {
  if (!tensor) return `has no output named ${name}`;
  const same = tensor.dims.length === expected.length && tensor.dims.every((d, i) => d === expected[i]);
  return same ? undefined : `output ${name} has shape ${formatDims(tensor.dims)}, expected ${formatDims(expected)}`;
}
