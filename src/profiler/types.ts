// Public types of the profiler: what profileModel returns and takes.

/** One `--groups` rule: nodes whose name matches `pattern` (a regular expression) go to `group`. */
export interface GroupRule {
  pattern: string;
  group: string;
}

export interface ProfileOptions {
  /** Shapes of the graph's dynamic inputs, e.g. `{ images: [1, 3, 800, 1216] }`. */
  inputShapes?: Record<string, number[]>;
  /** Unknown ops (and shapes that cannot be inferred) become an InputError instead of a warning. */
  strict?: boolean;
  /** Name-pattern rules that override the automatic grouping (first match wins). */
  groups?: GroupRule[];
}

export interface NodeProfile {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  /** One per output: its shape, or null where it could not be inferred (a scalar is []). */
  outputShapes: (number[] | null)[];
  /** Multiply-accumulates (1 MAC = 2 FLOPs). */
  macs: number;
  flops: number;
  /** Elements of the weights this node reads (shared weights are counted here for every reader). */
  params: number;
  outputBytes: number;
  group: string;
}

export interface GroupProfile {
  name: string;
  macs: number;
  flops: number;
  /** Fraction of the model's total MACs (of its FLOPs when the model has no MACs). */
  share: number;
}

export interface Profile {
  model?: string;
  inputs: { name: string; shape: number[] }[];
  /** Totals; params count each weight tensor once even when several nodes read it. */
  totals: { macs: number; flops: number; params: number };
  groups: GroupProfile[];
  nodes: NodeProfile[];
  warnings: string[];
}
