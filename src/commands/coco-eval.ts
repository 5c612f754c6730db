import type { Command } from 'commander';

// Placeholder until the coco-eval command lands; keeps the CLI wiring compiling.
export function registerCocoEval(_program: Command): void {}
