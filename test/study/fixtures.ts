// Hand-made results.json rows for the report and gate tests (the numbers look like NanoDet-m's).
import { STAT_KEYS, type CocoStats } from '../../src/coco-eval/index.ts';
import type { PointResult, StudyResults } from '../../src/study/results.ts';

export function stats(ap: number): CocoStats {
  const s = Object.fromEntries(STAT_KEYS.map((k) => [k, ap])) as CocoStats;
  return { ...s, AP50: ap * 1.6, AR100: ap * 1.4 };
}

export function point(
  id: string,
  strategy: PointResult['strategy'],
  gflops: number,
  ap: number | null,
  extra: Partial<PointResult> = {},
): PointResult {
  const [model = 'm', size = '320'] = id.replace(/\+[^@]*/, '').split('@');
  return {
    id,
    model,
    family: 'nanodet',
    strategy,
    size: Number(size),
    height: Number(size),
    width: Number(size),
    variant: strategy === 'layer-specific' ? id.split('+')[1]!.split('@')[0]! : null,
    macs: (gflops * 1e9) / 2,
    flops: gflops * 1e9,
    params: 950_000,
    stats: ap === null ? null : stats(ap),
    ...(ap === null ? {} : { ci: intervals(ap), latency: { medianMs: gflops * 20, p90Ms: gflops * 23, threads: 2, runs: 20 } }),
    images: ap === null ? 0 : 20,
    seconds: 1.5,
    groups: [
      { name: 'backbone/stage2', macs: gflops * 0.2e9, flops: gflops * 0.4e9 },
      { name: 'neck', macs: gflops * 0.1e9, flops: gflops * 0.2e9 },
      { name: 'head/P3/cls', macs: gflops * 0.15e9, flops: gflops * 0.3e9 },
      { name: 'head/P4/cls', macs: gflops * 0.05e9, flops: gflops * 0.1e9 },
    ],
    ...extra,
  };
}

/** A 95% interval of about +-1.3 AP around each number, bias-shifted a little as the bootstrap's are. */
export function intervals(ap: number): NonNullable<PointResult['ci']> {
  const s = stats(ap);
  const ci = { level: 0.95, replicates: 1000 } as NonNullable<PointResult['ci']>;
  for (const k of STAT_KEYS) ci[k] = [s[k] - 0.014, s[k] + 0.012];
  return ci;
}

/** Two models; each with a baseline, 2 input sizes and 2 light heads. */
export function sampleResults(): StudyResults {
  return {
    study: 'sample',
    evaluated: true,
    images: 20,
    points: [
      point('a@320', 'baseline', 0.72, 0.2),
      point('a@256', 'input-scaling', 0.46, 0.16),
      point('a@192', 'input-scaling', 0.26, 0.11),
      point('a+conv1x1-P3@320', 'layer-specific', 0.6, 0.19),
      point('a+dwsep-P3@320', 'layer-specific', 0.55, 0.18),
      point('b@416', 'baseline', 1.08, 0.25),
      point('b@320', 'input-scaling', 0.64, 0.21),
      point('b@256', 'input-scaling', 0.41, 0.17),
      point('b+conv1x1-P3@416', 'layer-specific', 0.9, 0.24),
    ],
    bootstrap: { replicates: 1000, seed: 1 },
    latency: { runs: 20 },
    comparisons: [
      // a+conv1x1-P3: 19.0 against 18.15 interpolated; a+dwsep-P3: 18.0 against 17.3; b+conv1x1-P3: 24.0 against 23.2
      { model: 'a', point: 'a+conv1x1-P3@320', against: 'input-scaling', flops: 0.6e9, deltaAP: 0.0085, ci: [-0.004, 0.02], unpairedCi: [-0.015, 0.03] },
      { model: 'a', point: 'a+dwsep-P3@320', against: 'input-scaling', flops: 0.55e9, deltaAP: 0.007, ci: [0.001, 0.013], unpairedCi: [-0.01, 0.025] },
      { model: 'b', point: 'b+conv1x1-P3@416', against: 'input-scaling', flops: 0.9e9, deltaAP: -0.023, ci: [-0.035, -0.011], unpairedCi: [-0.045, 0.001] },
    ],
  };
}
