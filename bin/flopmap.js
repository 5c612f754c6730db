#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the prepare script, or `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('flopmap: dist/cli.js is missing: run `npm run build` (npm ci runs it)\n');
  process.exit(2);
}
await import(cli.href);
