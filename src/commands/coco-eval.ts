// `flopmap coco-eval --annotations GT.json --results RES.json [--json]`: scores a COCO results file with the
// pycocotools bbox protocol and prints the 12 summary numbers (or JSON: stats and per-category AP).
import type { Command } from 'commander';
import { evaluateBbox, loadGroundTruth, loadResultArrays, summaryLines } from '../coco-eval/index.ts';

export function registerCocoEval(program: Command): void {
  program
    .command('coco-eval')
    .description('COCO bbox evaluation of a results file, identical to pycocotools COCOeval (12 summary numbers)')
    .requiredOption('--annotations <file>', 'ground truth in the official instances_*.json format')
    .requiredOption('--results <file>', 'COCO results: a JSON list of {image_id, category_id, bbox, score}')
    .option('--json', 'print { stats, per_category_AP } as JSON')
    .action((options: { annotations: string; results: string; json?: boolean }) => {
      const gt = loadGroundTruth(options.annotations);
      const detections = loadResultArrays(options.results, gt);
      const result = evaluateBbox(gt, detections);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ stats: result.stats, per_category_AP: result.perCategoryAP }, null, 1)}\n`);
        return;
      }
      process.stdout.write(`${summaryLines(result.stats, result.params).join('\n')}\n`);
    });
}
