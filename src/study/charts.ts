// The report's charts as vega-lite specs: the FLOPs-mAP trade-off (one line per model and strategy, each
// starting from the model's baseline, 95% bootstrap error bars, each model's Pareto front across strategies),
// mAP against measured latency, and a stacked bar of FLOPs per group for each point.
import { placeLabels, type PlotFrame } from './labels.ts';
import type { TopLevelSpec } from 'vega-lite';
import { coarseGroup, compareGroupNames } from '../profiler/group-names.ts';
import { hasMap } from './curves.ts';
import type { PointResult } from './results.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One plotted point of the trade-off chart; `series` names its line. */
export interface CurveRow {
  series: string;
  model: string;
  strategy: string;
  id: string;
  label: string;
  gflops: number;
  mAP: number;
  /** 95% bootstrap interval of the mAP (%), when the point has one. */
  lo: number | null;
  hi: number | null;
  /** Median warm latency (ms), when measured. */
  latencyMs: number | null;
  description: string;
  /** The baseline sits on every line of its model; it is labelled once. */
  labelled: boolean;
}

const STRATEGY_NAMES: Record<string, string> = {
  'input-scaling': 'input scaling',
  'layer-specific': 'layer-specific',
  distilled: 'layer-specific, distilled',
  'channel-pruning': 'channel pruning',
  'pruned-distilled': 'channel pruning, distilled',
  baseline: 'baseline',
};

export function seriesName(model: string, strategy: string): string {
  return `${model} · ${STRATEGY_NAMES[strategy] ?? strategy}`;
}

/**
 * The lines of the trade-off plot: for each model, one line per strategy that has points, each line
 * holding the model's baseline plus that strategy's points (so both curves start at the same place).
 */
export function curveRows(points: readonly PointResult[]): CurveRow[] {
  const rows: CurveRow[] = [];
  const models = [...new Set(points.map((p) => p.model))];
  for (const model of models) {
    const mine = points.filter(hasMap).filter((p) => p.model === model);
    const baselines = mine.filter((p) => p.strategy === 'baseline');
    const strategies = (['input-scaling', 'layer-specific', 'distilled', 'channel-pruning', 'pruned-distilled'] as const).filter((s) => mine.some((p) => p.strategy === s));
    const lines = strategies.length > 0 ? strategies : baselines.length > 0 ? (['baseline'] as const) : [];
    lines.forEach((strategy, lineIndex) => {
      const series = seriesName(model, strategy);
      const members = strategy === 'baseline' ? baselines : [...baselines, ...mine.filter((p) => p.strategy === strategy)];
      for (const p of members) {
        const gflops = p.flops / 1e9;
        const mAP = p.stats.AP * 100;
        const label = p.variant ?? String(p.size);
        rows.push({
          series,
          model,
          strategy,
          id: p.id,
          label,
          gflops,
          mAP,
          lo: p.ci?.AP ? p.ci.AP[0] * 100 : null,
          hi: p.ci?.AP ? p.ci.AP[1] * 100 : null,
          latencyMs: p.latency?.medianMs ?? null,
          description: `series: ${series}; point: ${p.id}; GFLOPs: ${gflops.toFixed(3)}; mAP: ${mAP.toFixed(1)}`,
          labelled: p.strategy !== 'baseline' || lineIndex === 0,
        });
      }
    });
  }
  return rows;
}

/** One row per plotted point (a baseline once), for the front, the bars and the labels. */
function uniquePoints(rows: readonly CurveRow[]): CurveRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/**
 * Each model's Pareto front across strategies: the points that no other point of the model beats on both
 * FLOPs (fewer) and mAP (higher), in FLOPs order.
 */
export function paretoFront(rows: readonly CurveRow[]): CurveRow[] {
  const front: CurveRow[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const mine = uniquePoints(rows.filter((r) => r.model === model)).sort((a, b) => a.gflops - b.gflops || b.mAP - a.mAP);
    let best = -Infinity;
    for (const r of mine) {
      if (r.mAP > best) {
        front.push(r);
        best = r.mAP;
      }
    }
  }
  return front;
}

/** Padded [min, max] of the values, so that marks and labels stay inside the plot. */
function paddedDomain(values: readonly number[], pad = 0.08): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - span * pad, hi + span * pad];
}

const WIDTH = 680;
const HEIGHT = 420;

export function tradeoffSpec(rows: readonly CurveRow[], title: string): TopLevelSpec {
  const points = uniquePoints(rows);
  const xDomain = paddedDomain(points.map((r) => r.gflops));
  const yDomain = paddedDomain(points.flatMap((r) => [r.mAP, r.lo ?? r.mAP, r.hi ?? r.mAP]));
  const x = { field: 'gflops', type: 'quantitative', title: 'GFLOPs (1 MAC = 2 FLOPs)', scale: { domain: xDomain, nice: false, zero: false } } as const;
  const y = { field: 'mAP', type: 'quantitative', title: 'COCO mAP (AP@[.5:.95], %)', scale: { domain: yDomain, nice: false, zero: false } } as const;
  // Colour tells the models apart, the dash the strategies: each (model, strategy) pair is one line.
  const color = { field: 'model', type: 'nominal', title: 'model' } as const;
  const dashes: Record<string, number[]> = { 'input-scaling': [6, 3], 'layer-specific': [1, 0], distilled: [10, 2, 2, 2], 'channel-pruning': [1, 3], 'pruned-distilled': [4, 2, 1, 2], baseline: [2, 2] };
  const strategies = Object.keys(dashes).filter((s) => rows.some((r) => r.strategy === s));
  const strokeDash = {
    field: 'strategy',
    type: 'nominal',
    title: 'strategy',
    scale: { domain: strategies, range: strategies.map((s) => dashes[s]!) },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, encode: { symbols: { update: { stroke: { value: '#444' } } } } },
  } as const;
  const frame: PlotFrame = { width: WIDTH, height: HEIGHT, x: xDomain, y: yDomain };
  const labels = placeLabels(
    points.map((r) => ({ x: r.gflops, y: r.mAP, text: r.label, lo: r.lo, hi: r.hi })),
    frame,
  );
  const bars = points.filter((r) => r.lo !== null && r.hi !== null);
  return {
    $schema: SCHEMA,
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows.map((r) => ({ ...r })) },
    layer: [
      {
        // Pareto front of each model, across strategies: wide and pale, under everything else.
        data: { values: paretoFront(rows).map((r) => ({ ...r, description: `Pareto front of ${r.model}: ${r.id}` })) },
        mark: { type: 'line', strokeWidth: 9, opacity: 0.18, strokeCap: 'round', strokeJoin: 'round' },
        encoding: { x, y, color, detail: { field: 'model' }, order: { field: 'gflops', type: 'quantitative' }, description: { field: 'description' } },
      },
      {
        data: {
          values: bars.map((r) => ({ ...r, description: `95% CI of ${r.id}: ${r.lo!.toFixed(1)} to ${r.hi!.toFixed(1)} mAP` })),
        },
        mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color, description: { field: 'description' } },
      },
      {
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          strokeDash,
          detail: { field: 'series' },
          order: { field: 'gflops', type: 'quantitative' },
          description: { field: 'description' },
        },
      },
      {
        data: { values: labels.map((l) => ({ ...l })) },
        mark: { type: 'text', align: 'left', baseline: 'alphabetic', fontSize: 10, color: '#555' },
        encoding: { x: { ...x, field: 'lx' }, y: { ...y, field: 'ly' }, text: { field: 'text' } },
      },
    ],
  };
}

/** mAP against measured median latency: one point per evaluated point, with its 95% interval. */
export function latencySpec(rows: readonly CurveRow[], threads: number): TopLevelSpec {
  const points = uniquePoints(rows).filter((r) => r.latencyMs !== null);
  const xDomain = paddedDomain(points.map((r) => r.latencyMs!));
  const yDomain = paddedDomain(points.flatMap((r) => [r.mAP, r.lo ?? r.mAP, r.hi ?? r.mAP]));
  const x = { field: 'latencyMs', type: 'quantitative', title: `median latency, ms (warm session.run, ${threads} thread${threads === 1 ? '' : 's'})`, scale: { domain: xDomain, nice: false, zero: false } } as const;
  const y = { field: 'mAP', type: 'quantitative', title: 'COCO mAP (%)', scale: { domain: yDomain, nice: false, zero: false } } as const;
  const color = { field: 'model', type: 'nominal', title: 'model' } as const;
  const labels = placeLabels(
    points.map((r) => ({ x: r.latencyMs!, y: r.mAP, text: r.label, lo: r.lo, hi: r.hi })),
    { width: 560, height: 320, x: xDomain, y: yDomain },
  );
  const values = points.map((r) => ({ ...r, description: `point: ${r.id}; latency: ${r.latencyMs!.toFixed(1)} ms; mAP: ${r.mAP.toFixed(1)}` }));
  return {
    $schema: SCHEMA,
    title: 'mAP against measured CPU latency',
    width: 560,
    height: 320,
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.lo !== null' }],
        mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { x, y, color, shape: { field: 'strategy', type: 'nominal', title: 'strategy' }, description: { field: 'description' } },
      },
      {
        data: { values: labels.map((l) => ({ ...l })) },
        mark: { type: 'text', align: 'left', baseline: 'alphabetic', fontSize: 10, color: '#555' },
        encoding: { x: { ...x, field: 'lx' }, y: { ...y, field: 'ly' }, text: { field: 'text' } },
      },
    ],
  };
}

export interface GroupRow {
  id: string;
  order: number;
  group: string;
  rank: number;
  gflops: number;
  description: string;
}

export function groupRows(points: readonly PointResult[]): GroupRow[] {
  const rows: GroupRow[] = [];
  points.forEach((p, order) => {
    if (p.error) return;
    const sums = new Map<string, number>();
    for (const g of p.groups) sums.set(coarseGroup(g.name), (sums.get(coarseGroup(g.name)) ?? 0) + g.flops);
    for (const [group, flops] of sums) {
      const gflops = flops / 1e9;
      rows.push({ id: p.id, order, group, rank: 0, gflops, description: `point: ${p.id}; group: ${group}; GFLOPs: ${gflops.toFixed(3)}` });
    }
  });
  // Stack the bars in data-flow order (backbone, neck, head/P3 ... head/P7, post).
  const flow = [...new Set(rows.map((r) => r.group))].sort(compareGroupNames);
  for (const r of rows) r.rank = flow.indexOf(r.group);
  return rows;
}

export function groupBarSpec(rows: readonly GroupRow[], pointCount: number): TopLevelSpec {
  const domain = [...new Set(rows.map((r) => r.group))].sort(compareGroupNames);
  return {
    $schema: SCHEMA,
    title: 'FLOPs per group for each point',
    width: 560,
    height: Math.max(80, pointCount * 22),
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'id', type: 'nominal', title: null, sort: { field: 'order', op: 'min' }, axis: { labelLimit: 360 } },
      x: { field: 'gflops', type: 'quantitative', stack: 'zero', title: 'GFLOPs' },
      color: { field: 'group', type: 'nominal', title: 'group', scale: { domain } },
      order: { field: 'rank', type: 'quantitative', sort: 'ascending' },
      description: { field: 'description' },
    },
  };
}
