// The one registry of op rules: shape rule, count rule and its description, by op type, gathered from one
// small file per op family.
import { convRules } from './conv.ts';
import { elementwiseRules } from './elementwise.ts';
import { matmulRules } from './matmul.ts';
import { normalizationRules } from './normalization.ts';
import { poolingRules } from './pooling.ts';
import { reduceRules } from './reduce.ts';
import { resizeRules } from './resize.ts';
import type { OpRule } from './rule.ts';
import { shapeOpRules } from './shape-ops.ts';

const ALL: OpRule[] = [
  ...convRules, ...matmulRules, ...elementwiseRules, ...normalizationRules, ...poolingRules, ...resizeRules,
  ...reduceRules, ...shapeOpRules,
];

const BY_OP = new Map(ALL.map((r) => [r.op, r]));

export function ruleFor(op: string): OpRule | undefined {
  return BY_OP.get(op);
}

/** Every rule, grouped by family then op name: the table `flopmap profile --rules` prints. */
export function allRules(): readonly OpRule[] {
  return [...ALL].sort((a, b) => a.family.localeCompare(b.family) || a.op.localeCompare(b.op));
}
