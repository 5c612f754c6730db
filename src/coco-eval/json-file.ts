// Helpers for validating COCO JSON entries; reading the file itself is the shared readJsonFile.
export { readJsonFile } from '../json-file.ts';

/** Whether v is a plain JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a bad value for an error message. */
export function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Why a bbox value is not a valid COCO box (4 finite numbers, width and height >= 0), or null when it is.
 */
export function bboxProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length !== 4) return `bbox must be [x, y, width, height], got ${show(v)}`;
  if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) return `bbox must hold 4 finite numbers, got ${show(v)}`;
  if ((v[2] as number) < 0 || (v[3] as number) < 0) return `bbox has a negative width or height: ${show(v)}`;
  return null;
}
