// Writes a study's report folder: results.json (DESIGN.md's contract), results.csv and index.html.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from './cache.ts';
import { buildReportHtml } from './html.ts';
import { STAT_KEYS } from '../coco-eval/index.ts';
import type { StudyResults } from './results.ts';

/**
 * One CSV row per point: the fixed columns, the 12 COCO numbers, their bootstrap interval bounds (STAT_lo,
 * STAT_hi), the latency, then MACs of every profiler group.
 */
export function resultsCsv(results: StudyResults): string {
  const groups = [...new Set(results.points.flatMap((p) => p.groups.map((g) => g.name)))].sort();
  const header = [
    'id', 'model', 'family', 'strategy', 'size', 'height', 'width', 'variant', 'macs', 'flops', 'params',
    ...STAT_KEYS, 'images', 'seconds', 'error',
    ...STAT_KEYS.flatMap((k) => [`${k}_lo`, `${k}_hi`]),
    'latency_median_ms', 'latency_p90_ms', 'latency_threads', 'latency_runs',
    ...groups.map((g) => `macs:${g}`),
  ];
  const rows = results.points.map((p) => {
    const byGroup = new Map(p.groups.map((g) => [g.name, g.macs]));
    return [
      p.id, p.model, p.family, p.strategy, p.size, p.height, p.width, p.variant ?? '', p.macs, p.flops, p.params,
      ...STAT_KEYS.map((k) => (p.stats ? p.stats[k] : '')),
      p.images, p.seconds, p.error ?? '',
      ...STAT_KEYS.flatMap((k): (number | string)[] => p.ci?.[k] ?? ['', '']),
      p.latency?.medianMs ?? '', p.latency?.p90Ms ?? '', p.latency?.threads ?? '', p.latency?.runs ?? '',
      ...groups.map((g) => byGroup.get(g) ?? 0),
    ];
  });
  return stringify([header, ...rows]);
}

export interface ReportFiles {
  json: string;
  csv: string;
  html: string;
}

export async function writeReport(outDir: string, results: StudyResults): Promise<ReportFiles> {
  mkdirSync(outDir, { recursive: true });
  const files = { json: join(outDir, 'results.json'), csv: join(outDir, 'results.csv'), html: join(outDir, 'index.html') };
  writeFileAtomic(files.json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileAtomic(files.csv, resultsCsv(results));
  await writeHtml(files.html, results);
  return files;
}

/** Only the page (what `flopmap report results.json` rebuilds). */
export async function writeHtml(path: string, results: StudyResults): Promise<void> {
  writeFileAtomic(path, await buildReportHtml(results));
}
