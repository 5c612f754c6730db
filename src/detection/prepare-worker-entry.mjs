// Worker-thread entry, plain JS so that Node can start it without a TypeScript loader. Built into dist/ it
// loads the compiled worker beside it; run from src/ (tests, benchmarks) it registers tsx first.
import { existsSync } from 'node:fs';

const compiled = new URL('./prepare-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./prepare-worker.ts');
}
