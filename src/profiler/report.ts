// Text, JSON and CSV renderings of a profile (returned as strings; the CLI prints them).
import { stringify } from 'csv-stringify/sync';
import type { OpRule } from './ops/rule.ts';
import { groupSubtotals } from './group-names.ts';
import type { Profile } from './types.ts';
import { giga } from '../units.ts';

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function mega(x: number): string {
  return (x / 1e6).toFixed(2);
}

/** Rows padded to aligned columns; `right` marks the columns that hold numbers. */
export function alignColumns(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

export function formatProfileTable(profile: Profile, options: { top?: number } = {}): string {
  const { macs, flops, params } = profile.totals;
  const lines: string[] = [];
  lines.push(`model   ${profile.model ?? '(unnamed)'}`);
  lines.push(`inputs  ${profile.inputs.map((i) => `${i.name}=${i.shape.join('x')}`).join(', ')}`);
  lines.push(`totals  ${giga(macs)} GMACs  |  ${giga(flops)} GFLOPs  |  ${mega(params)} M params  |  ${profile.nodes.length} nodes  (1 MAC = 2 FLOPs)`);
  lines.push('');
  const share = (x: { macs: number; flops: number }) => (macs > 0 ? x.macs / macs : flops > 0 ? x.flops / flops : 0);
  const rows = [['group', 'GMACs', 'GFLOPs', 'share of MACs']];
  for (const g of groupSubtotals(profile.groups)) {
    const label = `${'  '.repeat(g.depth)}${g.name.split('/').pop()}`;
    rows.push([label, giga(g.macs), giga(g.flops), percent(share(g))]);
  }
  lines.push(...alignColumns(rows, [false, true, true, true]));
  const top = options.top ?? 10;
  if (top > 0) {
    lines.push('');
    lines.push(`top ${top} nodes by MACs`);
    const nodes = [...profile.nodes].sort((a, b) => b.macs - a.macs || b.flops - a.flops).slice(0, top);
    const nodeRows = [['node', 'op', 'output', 'GMACs', 'share', 'group']];
    for (const n of nodes) {
      nodeRows.push([n.name, n.op, shapeText(n.outputShapes[0] ?? null), giga(n.macs), percent(share(n)), n.group]);
    }
    lines.push(...alignColumns(nodeRows, [false, false, false, true, true, false]));
  }
  if (profile.warnings.length > 0) {
    lines.push('');
    lines.push('warnings');
    lines.push(...profile.warnings.map((w) => `  ${w}`));
  }
  return `${lines.join('\n')}\n`;
}

/** A shape as 1x3x320x320, a scalar as '' and an unknown shape as '?'. */
function shapeText(shape: number[] | null): string {
  return shape === null ? '?' : shape.join('x');
}

/** The JSON of the CLI contract (DESIGN.md), plus the warnings. */
export function profileJson(profile: Profile): object {
  return {
    model: profile.model,
    inputs: profile.inputs,
    totals: profile.totals,
    groups: profile.groups,
    nodes: profile.nodes.map((n) => ({
      name: n.name, op: n.op, outputShapes: n.outputShapes, macs: n.macs, flops: n.flops, params: n.params, group: n.group,
    })),
    warnings: profile.warnings,
  };
}

/** One row per node. */
export function profileCsv(profile: Profile): string {
  return stringify(
    profile.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      group: n.group,
      output_shapes: n.outputShapes.map(shapeText).join(' '),
      macs: n.macs,
      flops: n.flops,
      params: n.params,
      output_bytes: n.outputBytes,
    })),
    { header: true },
  );
}

/** The counting rules, one line per op, by family. */
export function formatRules(rules: readonly OpRule[]): string {
  const rows = [['family', 'op', 'MACs / FLOPs counted as']];
  for (const r of rules) rows.push([r.family, r.op, r.rule]);
  return `${alignColumns(rows, [false, false, false]).join('\n')}\n`;
}
