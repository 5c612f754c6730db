import type { Command } from 'commander';

// Placeholder until the profile command lands; keeps the CLI wiring compiling.
export function registerProfile(_program: Command): void {}
