import type { Command } from 'commander';

// Placeholder until the variant command lands; keeps the CLI wiring compiling.
export function registerVariant(_program: Command): void {}
