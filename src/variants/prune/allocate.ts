// Per-group pruning levels under a MACs budget at the least total error: a multiple-choice knapsack solved
// exactly by dynamic programming over MACs removed (discretised), as OBC/SPDY allocate per-layer levels.
// Groups interact (a conv between two pruned groups loses input and output channels, so savings are not
// additive): the budget is then tightened until the exact MACs of the plan (apply.ts planMacs) meet it.

export interface GroupOptions {
  /** Per option: MACs removed when this group alone is pruned at that level (option 0: nothing, 0). */
  saved: number[];
  /** Per option: the measured error (option 0: 0). */
  error: number[];
}

/**
 * The option per group minimising the summed error with summed `saved` >= `need`; `bins` discretises MACs
 * (saved rounded down, so the true sum is at least what the DP counted). Undefined when unreachable.
 */
export function allocate(groups: GroupOptions[], need: number, bins = 2000): number[] | undefined {
  if (need <= 0) return groups.map(() => 0);
  const unit = need / bins;
  const cap = bins;
  // best[j] = least error reaching min(j, cap) bins; choice[g][j] remembers the option.
  let best = new Float64Array(cap + 1).fill(Infinity);
  best[0] = 0;
  const choice: Int16Array[] = [];
  const previous: Int32Array[] = [];
  for (const g of groups) {
    const next = new Float64Array(cap + 1).fill(Infinity);
    const pick = new Int16Array(cap + 1).fill(-1);
    const from = new Int32Array(cap + 1);
    g.saved.forEach((s, o) => {
      const w = Math.floor(s / unit);
      for (let j = 0; j <= cap; j++) {
        if (best[j] === Infinity) continue;
        const k = Math.min(cap, j + w);
        const e = best[j]! + g.error[o]!;
        if (e < next[k]!) { next[k] = e; pick[k] = o; from[k] = j; }
      }
    });
    choice.push(pick);
    previous.push(from);
    best = next;
  }
  if (best[cap] === Infinity) return undefined;
  const out = new Array<number>(groups.length);
  let j = cap;
  for (let g = groups.length - 1; g >= 0; g--) {
    out[g] = choice[g]![j]!;
    j = previous[g]![j]!;
  }
  return out;
}

/** Exhaustive search of the same problem (for tests on small cases). */
export function allocateBruteForce(groups: GroupOptions[], need: number): { options: number[]; error: number } | undefined {
  let best: { options: number[]; error: number } | undefined;
  const walk = (g: number, picked: number[], saved: number, error: number): void => {
    if (g === groups.length) {
      if (saved >= need && (!best || error < best.error)) best = { options: [...picked], error };
      return;
    }
    groups[g]!.saved.forEach((s, o) => walk(g + 1, [...picked, o], saved + s, error + groups[g]!.error[o]!));
  };
  walk(0, [], 0, 0);
  return best;
}
