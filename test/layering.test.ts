// The folders of src/ import one way (README "Layout"): onnx <- profiler <- detection <- variants <- study
// <- queue <- commands <- cli. A folder may import itself, any folder before it in the chain, coco-eval and
// the top-level leaves (src/errors.ts, src/json-file.ts, ...); coco-eval and the leaves import only leaves.
// Like torchvision's detection modules, where box and anchor utilities are leaves that models import.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/data-dir.ts';

const SRC = join(PROJECT_ROOT, 'src');
const CHAIN = ['onnx', 'profiler', 'detection', 'variants', 'study', 'queue', 'commands', 'cli'];
const LEAF = 'leaf';
const COCO_EVAL = 'coco-eval';

interface Edge {
  file: string;
  target: string;
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** The layer of a file under src/: its first folder, `cli` for src/cli.ts, `leaf` for other top-level files. */
function layerOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  if (parts.length > 1) return parts[0];
  return parts[0] === 'cli.ts' ? 'cli' : LEAF;
}

/** Relative specifiers of static imports/exports (`... from '...'`, side-effect `import '...'`) and import(). */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\bimport\(\s*'([^']+)'\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) if (m[1].startsWith('.')) found.push(m[1]);
  return found;
}

function edges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => {
      const target = resolve(dirname(file), spec);
      return { file: relative(PROJECT_ROOT, file), target: relative(PROJECT_ROOT, target), from: layerOf(file), to: layerOf(target) };
    }),
  );
}

function allowed(from: string, to: string): boolean {
  if (to === LEAF || from === to) return true;
  if (from === LEAF || from === COCO_EVAL) return false;
  if (to === COCO_EVAL) return true;
  const a = CHAIN.indexOf(from);
  const b = CHAIN.indexOf(to);
  return a >= 0 && b >= 0 && b < a;
}

/** A cycle in the folder graph (folders as nodes, one edge per importing pair), or null. */
function folderCycle(all: readonly Edge[]): string[] | null {
  const next = new Map<string, Set<string>>();
  for (const e of all) if (e.from !== e.to) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of next.get(n) ?? []) {
      const cycle = visit(m);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of [...next.keys()].sort()) {
    const cycle = visit(n);
    if (cycle) return cycle;
  }
  return null;
}

describe('layering of src/', () => {
  const all = edges();

  it('reads the imports of every folder', () => {
    const layers = new Set(all.map((e) => e.from));
    for (const layer of ['onnx', 'profiler', 'detection', 'variants', 'study', 'commands', 'cli', COCO_EVAL]) expect(layers).toContain(layer);
  });

  it('puts every folder of src/ in the chain (or coco-eval)', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => f !== COCO_EVAL && !CHAIN.includes(f))).toEqual([]);
  });

  it('the README layout table lists exactly the folders of src/', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `src\/([a-z-]+)` \|/gm)].map((m) => m[1]).sort();
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(listed).toEqual(folders);
  });

  it('imports only down the chain; coco-eval and the leaves import only leaves', () => {
    const wrong = all.filter((e) => !allowed(e.from, e.to)).map((e) => `${e.file} (${e.from}) -> ${e.target} (${e.to})`);
    expect(wrong).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    expect(folderCycle(all)).toBeNull();
  });

  it('would see a cycle and a wrong-way import', () => {
    const fake = (from: string, to: string): Edge => ({ file: from, target: to, from, to });
    expect(folderCycle([fake('detection', 'variants'), fake('variants', 'detection')])).toEqual(['detection', 'variants', 'detection']);
    expect(allowed('detection', 'variants')).toBe(false);
    expect(allowed(COCO_EVAL, 'onnx')).toBe(false);
    expect(allowed('variants', 'onnx')).toBe(true);
  });
});
