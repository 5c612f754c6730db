import { describe, expect, it } from 'vitest';
import { decimalQuotient } from '../../src/coco-eval/decimal-to-double.ts';
import { mulberry32 } from '../../src/random.ts';

/** The token's digits split as the scanner splits them: 15 significant digits, the rest, the fraction length. */
function split(token: string): [number, number, number, number] {
  const f = token.length - token.indexOf('.') - 1;
  const digits = token.replace('.', '').replace(/^0+/, '');
  return [Number(digits.slice(0, 15)), digits.length - 15, Number(digits.slice(15)), f];
}

describe('decimalQuotient', () => {
  it('gives Number()\'s double for 16- to 19-digit decimals, or NaN (then the scanner calls Number())', () => {
    const rand = mulberry32(7);
    let exact = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const whole = String(Math.floor(rand() * 10 ** Math.floor(rand() * 5)));
      const total = 16 + Math.floor(rand() * 4); // significant digits
      let frac = '';
      const fracDigits = Math.max(1, total - (whole === '0' ? 0 : whole.length));
      for (let j = 0; j < fracDigits; j++) frac += Math.floor(rand() * 10);
      const token = `${whole}.${frac}`;
      const [a, k, b, f] = split(token);
      if (k < 1 || k > 4 || f > 22) continue;
      const v = decimalQuotient(a, k, b, f);
      if (Number.isNaN(v)) continue;
      exact++;
      if (v !== Number(token)) expect(`${token} -> ${v}`).toBe(`${token} -> ${Number(token)}`);
    }
    // the near-tie fallback is rare: nearly every token is converted here
    expect(exact).toBeGreaterThan(0.95 * n * 0.5);
  });

  it('converts Python repr coordinates and a halfway case', () => {
    expect(decimalQuotient(...split('23.856089378965553'))).toBe(23.856089378965553);
    expect(decimalQuotient(...split('237.3681000264827'))).toBe(237.3681000264827);
    // 9007199254740993 = 2^53 + 1 lies halfway between two doubles: NaN or the even one, never the odd one
    const v = decimalQuotient(900719925474099, 1, 3, 0);
    expect(Number.isNaN(v) || v === 9007199254740992).toBe(true);
  });
});
