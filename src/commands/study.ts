// `flopmap sweep`, `flopmap report`, `flopmap check`: the study commands. They parse, print and set exit
// codes; the work lives in src/study.
import { basename, dirname, extname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import { assertComparable, checkResults, type CheckReport } from '../study/check.ts';
import { compareStrategies, comparisonLine } from '../study/compare.ts';
import { isSignificant } from '../study/comparisons.ts';
import { curveSummary } from '../study/html.ts';
import { writeHtml, writeReport } from '../study/report.ts';
import { loadResults, type PointResult } from '../study/results.ts';
import type { StudyEvent } from '../study/runner.ts';
import { loadStudy, type Study } from '../study/schema.ts';
import type { StudyStages } from '../study/stages.ts';
import type { QueueCoordinator } from '../queue/coordinator.ts';
import { lockReportFolder } from '../study/lock.ts';
import { checkStudyFiles } from '../study/study-files.ts';
import { timingLines } from '../study/timing.ts';
import { giga } from '../units.ts';

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${flag} ${text}: must be a positive integer`);
  return n;
}

function pointLine(p: PointResult, cached: boolean): string {
  if (p.error) return `${p.id}: FAILED: ${p.error}`;
  const ap = p.stats ? `, AP ${(p.stats.AP * 100).toFixed(1)}` : '';
  const run = p.images > 0 ? `, ${p.images} images in ${p.seconds.toFixed(1)} s` : '';
  return `${p.id}: ${giga(p.flops)} GFLOPs${ap}${run}${cached ? ' (cached)' : ''}`;
}

/** Progress: a live bar on a TTY (points, images/s, ETA), plain lines otherwise. */
function progressReporter(tty: boolean): { onEvent: (e: StudyEvent) => void; stop: () => void } {
  let totalPoints = 0;
  let perPoint = 0;
  let pointsDone = 0;
  let imagesFinished = 0; // images of finished points
  let ranImages = 0; // images actually run (not cached), for the rate
  // The sweep runs shard by shard, every point on each shard: images done so far per open point.
  const inPoint = new Map<string, number>();
  const imagesDone = () => imagesFinished + [...inPoint.values()].reduce((a, b) => a + b, 0);
  const started = Date.now();
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: 'points {points}/{totalPoints} |{bar}| {value}/{total} {unit} | {rate} img/s | ETA {eta_formatted} | {id}',
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const rate = () => (ranImages / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1);
  const payload = (id: string) => ({ points: pointsDone, totalPoints, id, rate: rate(), unit: perPoint > 0 ? 'images' : 'points' });
  const onEvent = (e: StudyEvent): void => {
    switch (e.kind) {
      case 'plan':
        totalPoints = e.points;
        perPoint = e.imagesPerPoint;
        if (bar) bar.start(perPoint > 0 ? totalPoints * perPoint : totalPoints, 0, payload(''));
        else process.stderr.write(`sweep: ${e.points} points${perPoint > 0 ? `, ${perPoint} images each` : ', profile only'}\n`);
        break;
      case 'point-start':
        bar?.update(payload(e.id));
        break;
      case 'note':
        if (!bar) process.stderr.write(`  ${e.id}: ${e.message}\n`);
        break;
      case 'images':
        if (!e.cached) ranImages += e.done - (inPoint.get(e.id) ?? 0);
        inPoint.set(e.id, e.done);
        bar?.update(imagesDone(), payload(e.id));
        break;
      case 'point-end':
        pointsDone++;
        inPoint.delete(e.result.id);
        imagesFinished += perPoint;
        if (bar) bar.update(perPoint > 0 ? imagesDone() : pointsDone, payload(e.result.id));
        else process.stderr.write(`[${pointsDone}/${totalPoints}] ${pointLine(e.result, e.cached)}\n`);
        break;
    }
  };
  return { onEvent, stop: () => bar?.stop() };
}

function printCheck(report: CheckReport, baseline: string, current: string): void {
  const improved = new Set(report.improved);
  for (const p of report.points) {
    const ratio = (r: number | null) => (r === null ? '-' : (r * 100).toFixed(3));
    const head = `${p.regressed ? 'REGRESSED' : improved.has(p.id) ? 'improved' : 'ok'} ${p.id}: mAP/GFLOP ${ratio(p.baselineRatio)} -> ${ratio(p.currentRatio)}`;
    process.stdout.write(`${head}${p.reasons.length ? ` (${p.reasons.join('; ')})` : ''}\n`);
  }
  for (const id of report.added) process.stdout.write(`new ${id} (not in the baseline)\n`);
  const verdict = report.regressed.length
    ? `check: ${report.regressed.length} point(s) regressed against ${baseline}: ${report.regressed.join(', ')}`
    : `check: no point of ${current} lost more than ${(report.tolerance * 100).toFixed(1)}% against ${baseline} (${report.points.length} compared)`;
  process.stdout.write(`${verdict}\n`);
  if (report.improved.length > 0 && report.regressed.length === 0) {
    process.stdout.write(`check: ${report.improved.length} point(s) improved beyond the tolerance; consider refreshing ${baseline}\n`);
  }
}

/** The coordinator of a queued sweep, and a progress line on stderr whenever the queue's state changes. */
async function openQueue(url: string, study: Study, stages: StudyStages): Promise<{ coordinator: QueueCoordinator; close: () => Promise<void> }> {
  const { parseQueueUrl, queueName } = await import('../queue/connection.ts');
  const q = parseQueueUrl(url);
  const { QueueCoordinator, progressLine } = await import('../queue/coordinator.ts');
  const coco = stages.resolveCoco(study.data.coco);
  const coordinator = await QueueCoordinator.open(q, study.name, { dir: study.data.coco, annotationsPath: coco.annotationsPath });
  let last = '';
  const report = async () => {
    const line = progressLine(queueName(study.name), await coordinator.progress());
    if (line.replace(/, ETA .*/, '') !== last.replace(/, ETA .*/, '')) process.stderr.write(`${line}\n`);
    last = line;
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    report().catch(() => {}).finally(() => (busy = false));
  }, 1000);
  return {
    coordinator,
    close: async () => {
      clearInterval(timer);
      await report().catch(() => {});
      await coordinator.close();
    },
  };
}

/**
 * reports/NAME for experiments/NAME.json: the report folder follows the study file's name, not its `name`
 * field, so a copied study file never writes into its original's folder.
 */
export function defaultReportDir(studyFile: string): string {
  return join('reports', basename(studyFile, extname(studyFile)));
}

export function registerStudy(program: Command): void {
  program
    .command('sweep')
    .description('run a study (experiments/NAME.json): every model variant x input size, profiled, run and scored; writes reports/NAME/')
    .argument('<study>', 'study file, e.g. experiments/default.json')
    .option('--out <dir>', 'report folder (default: reports/<study file name without .json>)')
    .option('--threads <n>', 'onnxruntime threads (overrides the study file)')
    .option('--json', 'print results.json to stdout')
    .option('--queue <url>', 'hand the units to `flopmap worker`s over this Redis, redis://HOST:PORT (same results as a local sweep)')
    .action(async (file: string, opts: { out?: string; threads?: string; json?: boolean; queue?: string }) => {
      const study = loadStudy(file);
      checkStudyFiles(study);
      const threads = opts.threads === undefined ? undefined : positiveInt('--threads', opts.threads);
      const outDir = resolve(opts.out ?? defaultReportDir(file));
      const release = lockReportFolder(outDir);
      const started = Date.now();
      let results;
      try {
        // Everything from here on releases the lock on the way out, an unreachable queue included.
        const { realStages } = await import('../study/real-stages.ts');
        const { runStudy } = await import('../study/runner.ts');
        const stages = realStages(threads ?? study.threads);
        if (opts.queue !== undefined && !study.data.evaluate) process.stderr.write('sweep: profile-only study, nothing to queue; sweeping here\n');
        const queued = opts.queue === undefined || !study.data.evaluate ? undefined : await openQueue(opts.queue, study, stages);
        // Queued points run side by side, so the per-point bar would jump about: plain lines instead.
        const progress = progressReporter(Boolean(process.stderr.isTTY) && !queued);
        try {
          results = await runStudy(study, { outDir, stages, threads, onEvent: progress.onEvent, executor: queued?.coordinator });
        } finally {
          progress.stop();
          await queued?.close();
        }
      } finally {
        release();
      }
      const files = await writeReport(outDir, results);
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const failed = results.points.filter((p) => p.error).length;
      // The live bar does not list points; name the failures once it is gone.
      if (process.stderr.isTTY) for (const p of results.points.filter((q) => q.error)) process.stderr.write(`${pointLine(p, false)}\n`);
      process.stderr.write(
        `sweep: ${results.points.length} points (${failed} failed) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${files.html}\n`,
      );
      if (results.timing) for (const line of timingLines(results.timing)) process.stderr.write(`${line}\n`);
      if (!opts.json) {
        for (const line of curveSummary(results)) process.stdout.write(`${line}\n`);
        for (const c of compareStrategies(results.points)) {
          const paired = results.comparisons?.find((q) => q.point === c.id);
          const ci = paired ? `; paired 95% CI [${(paired.ci[0] * 100).toFixed(1)}, ${(paired.ci[1] * 100).toFixed(1)}]${isSignificant(paired) ? ' (significant)' : ''}` : '';
          process.stdout.write(`${comparisonLine(c)}${ci}\n`);
        }
      }
    });

  program
    .command('report')
    .description('rebuild a study page (index.html) from its results.json alone')
    .argument('<results>', 'reports/NAME/results.json')
    .option('-o, --out <file>', 'page to write (default: index.html beside results.json)')
    .action(async (file: string, opts: { out?: string }) => {
      const results = loadResults(file);
      const out = opts.out ?? join(dirname(file), 'index.html');
      await writeHtml(out, results);
      process.stdout.write(`report: ${results.points.length} points -> ${out}\n`);
    });

  program
    .command('check')
    .description('CI gate: exit 1 when a point of --current lost mAP per GFLOP (or mAP at the same FLOPs) against --baseline')
    .requiredOption('--baseline <file>', 'committed results.json')
    .requiredOption('--current <file>', 'freshly computed results.json')
    .option('--tolerance <t>', 'allowed relative drop, e.g. 0.02 for 2%', '0.02')
    .option('--json', 'print the comparison as JSON')
    .action((opts: { baseline: string; current: string; tolerance: string; json?: boolean }) => {
      const tolerance = Number(opts.tolerance);
      if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1) {
        throw new InputError(`--tolerance ${opts.tolerance}: must be a number in [0, 1)`);
      }
      const baseline = loadResults(opts.baseline);
      const current = loadResults(opts.current);
      assertComparable(baseline, current, opts.baseline, opts.current);
      const report = checkResults(baseline, current, tolerance);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printCheck(report, opts.baseline, opts.current);
      if (report.regressed.length > 0) process.exitCode = 1;
    });
}
