import type { Command } from 'commander';

// Placeholder until the eval command lands; keeps the CLI wiring compiling.
export function registerEval(_program: Command): void {}
