// The double nearest to a decimal M / 10^f when M has 16 to 19 significant digits (M >= 2^53, so Clinger's fast
// path does not apply), without building a string for Number(): M is held exactly as a double plus a small
// integer, q = M / 10^f is guessed with one division, and the exact residual M - q * 10^f (Dekker's error-free
// product, T. J. Dekker, "A floating-point technique for extending the available precision", 1971; Sterbenz's
// lemma for the difference) decides whether q is the correctly rounded quotient, or its neighbour is. When the
// residual lies within 2^-40 of half an ulp (a near-tie) it answers NaN and the caller uses Number() on the token.

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** 2^27 + 1: Veltkamp's splitter for a 53-bit double into two 26-bit halves. */
const SPLIT = 134217729;
const MARGIN = 1 - 2 ** -40;
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** The low mantissa word is words[0] only on little-endian hosts; elsewhere every call falls back. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** M - q * P exactly up to one final rounding, for M = s + t (t a small integer correction). */
function residual(s: number, t: number, q: number, P: number): number {
  let c = SPLIT * q;
  const qh = c - (c - q);
  const ql = q - qh;
  c = SPLIT * P;
  const Ph = c - (c - P);
  const Pl = P - Ph;
  const p1 = q * P;
  const p2 = qh * Ph - p1 + qh * Pl + ql * Ph + ql * Pl;
  return s - p1 + t - p2;
}

/** The next double after q > 0 towards +inf (dir 1) or 0 (dir -1), by stepping its bit pattern. */
function neighbour(q: number, dir: number): number {
  bits[0] = q;
  if (dir > 0) {
    if (words[0] === 0xffffffff) {
      words[0] = 0;
      words[1]++;
    } else words[0]++;
  } else if (words[0] === 0) {
    words[0] = 0xffffffff;
    words[1]--;
  } else words[0]--;
  return bits[0];
}

/**
 * 0 when q is M / P correctly rounded (and not a near-tie), else the direction (+1 / -1) of M / P from q: q is
 * right when M / P lies within half the gap to q's neighbour on that side (below a power of two the gap halves).
 */
function side(s: number, t: number, q: number, P: number): number {
  const r = residual(s, t, q, P);
  const dir = r > 0 ? 1 : -1;
  const halfGapTimesP = Math.abs(neighbour(q, dir) - q) * 0.5 * P;
  return Math.abs(r) < halfGapTimesP * MARGIN ? 0 : dir;
}

/**
 * (a * 10^k + b) / 10^f correctly rounded, for integers a < 2^53, 0 <= b < 10^k, k <= 4, f <= 22; NaN when it
 * cannot tell cheaply (then use Number() on the decimal token).
 */
export function decimalQuotient(a: number, k: number, b: number, f: number): number {
  if (!LITTLE_ENDIAN) return NaN;
  const pk = POW10[k];
  // a * 10^k = x + y exactly (Dekker's product), then x + b = s + e1 exactly (Knuth's two-sum)
  const x = a * pk;
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * pk;
  const bh = c - (c - pk);
  const bl = pk - bh;
  const y = ah * bh - x + ah * bl + al * bh + al * bl;
  const s = x + b;
  const bb = s - x;
  const e1 = x - (s - bb) + (b - bb);
  const t = e1 + y;
  const P = POW10[f];
  const q = s / P;
  const dir = side(s, t, q, P);
  if (dir === 0) return q;
  const q2 = neighbour(q, dir);
  return side(s, t, q2, P) === 0 ? q2 : NaN;
}
