// Central finite differences of a loss against the hand-written gradients, for the distillation gradient tests.
import { expect } from 'vitest';
import type { HeadParam } from '../../src/variants/distill/head-subgraph.ts';

export interface FiniteDifferenceCheck {
  /** Entries checked per parameter, drawn by `random`. */
  samples: number;
  /** Largest |numeric - analytic| allowed, given the analytic value and the parameter's largest |gradient|. */
  tolerance: (analytic: number, scale: number) => number;
}

/**
 * Nudges sampled entries of every parameter by +-eps (in place, restored) and compares the loss's slope with the
 * analytic gradient; returns how many entries were checked.
 */
export async function expectFiniteDifferences(
  params: readonly HeadParam[],
  gradient: (param: HeadParam) => Float32Array,
  lossAt: () => Promise<number>,
  random: () => number,
  check: FiniteDifferenceCheck,
): Promise<number> {
  const eps = 1e-2;
  let checked = 0;
  for (const p of params) {
    const grad = gradient(p);
    expect(grad.length).toBe(p.values.length);
    const scale = Math.max(...grad.map(Math.abs));
    for (let k = 0; k < check.samples; k++) {
      const j = Math.floor(random() * p.values.length);
      const keep = p.values[j]!;
      p.values[j] = keep + eps;
      const up = await lossAt();
      p.values[j] = keep - eps;
      const down = await lossAt();
      p.values[j] = keep;
      const numeric = (up - down) / (2 * eps);
      expect(Math.abs(numeric - grad[j]!), `${p.name}[${j}]: analytic ${grad[j]} vs numeric ${numeric}`).toBeLessThan(check.tolerance(grad[j]!, scale));
      checked++;
    }
  }
  return checked;
}
