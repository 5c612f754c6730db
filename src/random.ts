// Seeded pseudo-random numbers, so that bootstrap replicates (and synthetic benchmarks) are the same on every
// run and machine. mulberry32 (Tommy Ettinger, public domain): 32-bit state, good enough for resampling.

/** A generator of doubles in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomIndex(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rand() * n));
}
