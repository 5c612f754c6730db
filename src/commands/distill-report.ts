// What `variant --distill` and `prune --distill` print: the progress lines on stderr and the summary lines.
import type { DistillOptions, DistillReport } from '../variants/distill/index.ts';

/** Teacher progress (on a terminal) and one line per epoch, on stderr; nothing with --json. */
export function distillProgress(json: boolean): Pick<DistillOptions, 'onSamples' | 'onEpoch'> {
  return {
    onSamples: (done, total) => {
      if (!json && process.stderr.isTTY) process.stderr.write(`\rteacher ${done}/${total} samples${done === total ? '\n' : ''}`);
    },
    onEpoch: (e, total, perEpoch) => {
      if (json) return;
      const eta = Math.round(perEpoch * (total - e.epoch));
      process.stderr.write(`distill epoch ${e.epoch}/${total}  train loss ${e.trainLoss.toFixed(4)}  held-out ${e.heldOutLoss.toFixed(4)}  ${e.seconds.toFixed(0)} s  ETA ${eta} s (at most)\n`);
    },
  };
}

export function distillSummary(d: DistillReport): string[] {
  return [
    `distill: ${d.images} images x 3 views = ${d.samples} samples (${d.trainSamples} train, ${d.heldOutSamples} held out), ${d.parameters} parameters, ` +
      `teacher ${d.captureSeconds.toFixed(1)} s, ${d.epochs.length} epochs / ${d.steps} steps in ${d.seconds.toFixed(1)} s; ` +
      `held-out loss ${d.startLoss.toFixed(4)} -> ${d.bestLoss.toFixed(4)} (best epoch ${d.bestEpoch})`,
    `  held-out loss by epoch: ${[d.startLoss, ...d.epochs.map((e) => e.heldOutLoss)].map((l, k) => `${k}:${l.toFixed(4)}`).join(' ')}`,
  ];
}
