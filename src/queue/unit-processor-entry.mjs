// BullMQ loads a sandboxed processor with import() in a fresh worker thread: plain JS, so that it starts
// without a TypeScript loader. Built into dist/ it loads the compiled processor beside it; run from src/
// (tests) it registers tsx first.
import { existsSync } from 'node:fs';

const compiled = new URL('./unit-processor.js', import.meta.url);
let module;
if (existsSync(compiled)) {
  module = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  module = await import('./unit-processor.ts');
}
export default module.default;
