// The report's charts as vega-lite specs: the FLOPs-mAP trade-off (one line per model and strategy, each
// starting from the model's baseline) and a stacked bar of FLOPs per group for each point.
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
  description: string;
  /** The baseline sits on every line of its model; it is labelled once. */
  labelled: boolean;
}

const STRATEGY_NAMES: Record<string, string> = {
  'input-scaling': 'input scaling',
  'layer-specific': 'layer-specific',
  distilled: 'layer-specific, distilled',
  'channel-pruning': 'channel pruning',
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
    const strategies = (['input-scaling', 'layer-specific', 'distilled', 'channel-pruning'] as const).filter((s) => mine.some((p) => p.strategy === s));
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
          description: `series: ${series}; point: ${p.id}; GFLOPs: ${gflops.toFixed(3)}; mAP: ${mAP.toFixed(1)}`,
          labelled: p.strategy !== 'baseline' || lineIndex === 0,
        });
      }
    });
  }
  return rows;
}

export function tradeoffSpec(rows: readonly CurveRow[], title: string): TopLevelSpec {
  const x = { field: 'gflops', type: 'quantitative', title: 'GFLOPs (1 MAC = 2 FLOPs)', scale: { zero: false } } as const;
  const y = { field: 'mAP', type: 'quantitative', title: 'COCO mAP (AP@[.5:.95], %)', scale: { zero: false } } as const;
  // Colour tells the models apart, the dash the strategies: each (model, strategy) pair is one line.
  const color = { field: 'model', type: 'nominal', title: 'model' } as const;
  const dashes: Record<string, number[]> = { 'input-scaling': [6, 3], 'layer-specific': [1, 0], distilled: [10, 2, 2, 2], 'channel-pruning': [1, 3], baseline: [2, 2] };
  const strategies = Object.keys(dashes).filter((s) => rows.some((r) => r.strategy === s));
  const strokeDash = {
    field: 'strategy',
    type: 'nominal',
    title: 'strategy',
    scale: { domain: strategies, range: strategies.map((s) => dashes[s]!) },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, encode: { symbols: { update: { stroke: { value: '#444' } } } } },
  } as const;
  return {
    $schema: SCHEMA,
    title,
    width: 680,
    height: 420,
    data: { values: rows.map((r) => ({ ...r })) },
    layer: [
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
        transform: [{ filter: 'datum.labelled' }],
        mark: { type: 'text', dx: 6, dy: -6, align: 'left', fontSize: 10, color: '#555' },
        encoding: { x, y, text: { field: 'label' } },
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
