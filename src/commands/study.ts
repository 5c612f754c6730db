import type { Command } from 'commander';

// Placeholder until the study command lands; keeps the CLI wiring compiling.
export function registerStudy(_program: Command): void {}
