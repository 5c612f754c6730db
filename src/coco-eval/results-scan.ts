// A byte scanner for the usual shape of a COCO results file, `[{"image_id": 1, "category_id": 18, "bbox": [x, y,
// w, h], "score": 0.9}, ...]` (keys in any order, any JSON whitespace), straight into typed arrays: no 60 MB
// string, no parse tree, no object per detection. It accepts only what JSON.parse accepts with the same numbers
// and only what parseResults accepts; anything else (another key, an escape, a bad value, an exponent it cannot
// convert exactly...) makes it return null, and the caller falls back to JSON.parse + parseResults, which also
// words the error. The file is read through one small reused window (scanFileResults): on this VM the first
// touch of fresh memory costs about 5 ms per MB, more than reading and scanning it.
import { emptyDetectionArrays, grownDetectionArrays, type DetectionArrays } from './detection-arrays.ts';
import type { IdLookup } from './id-lookup.ts';
import { decimalQuotient } from './decimal-to-double.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const KEYS = ['image_id', 'category_id', 'bbox', 'score'].map((k) => Buffer.from(`"${k}"`, 'latin1'));
const [IMAGE_ID, CATEGORY_ID, SCORE] = [1, 2, 8]; // bbox is 4
const ALL_KEYS = 15;

/** 10^k for k <= 22: exactly representable, so M / 10^k is the correctly rounded value of M * 10^-k. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const TWO_53 = 2 ** 53;

class Unusual extends Error {}

/** Scans `buf`; null when it is not in the usual shape or a value would not pass parseResults. */
export function scanResults(buf: Buffer, image: IdLookup, category: IdLookup): DetectionArrays | null {
  return scanned(new Scanner(buf, null, buf.length), image, category);
}

/** Reads up to `into.length - at` bytes into `into` from `at`; 0 at the end of the file. */
export type ReadMore = (into: Buffer, at: number) => number;

/** 1 MiB window, refilled while fewer than 64 KiB are left before an entry (an entry is ~130 bytes). */
const WINDOW = 1 << 20;
const REFILL_BELOW = 1 << 16;

/**
 * scanResults over a file read piece by piece into one reused window; `size` (the file's size) sizes the arrays.
 * An entry longer than 64 KiB (odd whitespace) runs off the window and makes it answer null, never a wrong value:
 * every check fails on the undefined bytes past the window's end.
 */
export function scanFileResults(read: ReadMore, size: number, image: IdLookup, category: IdLookup): DetectionArrays | null {
  const scanner = new Scanner(Buffer.allocUnsafe(WINDOW), read, size);
  scanner.refill();
  return scanned(scanner, image, category);
}

function scanned(scanner: Scanner, image: IdLookup, category: IdLookup): DetectionArrays | null {
  try {
    return scanner.results(image, category);
  } catch (err) {
    if (err instanceof Unusual) return null;
    throw err;
  }
}

const unusual = (): never => {
  throw new Unusual();
};

/** The position lives in a field, not a closure variable: V8 keeps the hot loops on it fast. */
class Scanner {
  pos = 0;
  n: number;
  /** The bytes in view: the window's filled part (a view, so that reads past it give undefined). */
  buf: Buffer;
  ended: boolean;
  constructor(
    readonly window: Buffer,
    readonly read: ReadMore | null,
    readonly size: number,
  ) {
    this.buf = read ? window.subarray(0, 0) : window;
    this.n = this.buf.length;
    this.ended = read === null;
  }

  /** Moves the unread bytes to the window's start and fills the rest from the file. */
  refill(): void {
    const { window, read } = this;
    if (this.ended || read === null) return;
    const kept = this.n - this.pos;
    window.copy(window, 0, this.pos, this.n);
    let filled = kept;
    while (filled < window.length) {
      const got = read(window, filled);
      if (got === 0) {
        this.ended = true;
        break;
      }
      filled += got;
    }
    this.buf = window.subarray(0, filled);
    this.n = filled;
    this.pos = 0;
  }

  skipWs(): void {
    const { buf, n } = this;
    let pos = this.pos;
    while (pos < n) {
      const c = buf[pos];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  expect(c: number): void {
    this.skipWs();
    if (this.buf[this.pos] !== c) unusual();
    this.pos++;
  }

  /**
   * A JSON number at pos (grammar of RFC 8259 section 6), as Number() reads it: Clinger's fast path (an integer
   * mantissa below 2^53 divided by an exact power of ten is correctly rounded), decimalQuotient for 16 to 19
   * significant digits (most coordinates written by Python's repr), Number() on the token otherwise. It stores
   * into[at] rather than returning: a returned double is boxed on the heap when the call is not inlined.
   */
  number(into: Float64Array, at: number): void {
    this.skipWs();
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let negative = false;
    if (buf[pos] === MINUS) {
      negative = true;
      pos++;
    }
    // the first 15 significant digits in head (exact), the rest in tail (tailDigits of them)
    let head = 0;
    let significant = 0;
    let tail = 0;
    let tailDigits = 0;
    let c = buf[pos];
    if (c === ZERO) {
      pos++;
    } else if (c > ZERO && c <= NINE) {
      do {
        if (significant < 15) head = head * 10 + (c - ZERO);
        else {
          tail = tail * 10 + (c - ZERO);
          tailDigits++;
        }
        significant++;
        c = buf[++pos];
      } while (c >= ZERO && c <= NINE);
    } else {
      unusual();
    }
    let fraction = 0;
    if (buf[pos] === DOT) {
      c = buf[++pos];
      if (!(c >= ZERO && c <= NINE)) unusual();
      do {
        if (significant < 15) head = head * 10 + (c - ZERO);
        else {
          tail = tail * 10 + (c - ZERO);
          tailDigits++;
        }
        if (significant > 0 || c !== ZERO) significant++;
        fraction++;
        c = buf[++pos];
      } while (c >= ZERO && c <= NINE);
    }
    c = buf[pos];
    if (c === 0x65 || c === 0x45) {
      // an exponent: check its grammar, then let Number() convert the token
      c = buf[++pos];
      if (c === 0x2b || c === MINUS) c = buf[++pos];
      if (!(c >= ZERO && c <= NINE)) unusual();
      while (c >= ZERO && c <= NINE) c = buf[++pos];
      this.pos = pos;
      into[at] = Number(buf.toString('latin1', start, pos));
      return;
    }
    this.pos = pos;
    if (fraction <= 22) {
      let v = NaN;
      if (tailDigits === 0) v = fraction === 0 ? head : head / POW10[fraction];
      else if (tailDigits <= 4) {
        const mantissa = head * POW10[tailDigits] + tail; // exact when below 2^53
        if (mantissa < TWO_53) v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
        else v = decimalQuotient(head, tailDigits, tail, fraction);
      }
      if (v === v) {
        into[at] = negative ? -v : v;
        return;
      }
    }
    into[at] = Number(buf.toString('latin1', start, pos));
  }

  /** Which of the four keys starts at pos (a bit of ALL_KEYS), past its closing quote. */
  key(): number {
    this.skipWs();
    const { buf, pos } = this;
    if (buf[pos] !== QUOTE) unusual();
    for (let k = 0; k < KEYS.length; k++) {
      const bytes = KEYS[k];
      let i = 1;
      while (i < bytes.length && buf[pos + i] === bytes[i]) i++;
      if (i === bytes.length) {
        this.pos = pos + bytes.length;
        return 1 << k;
      }
    }
    return unusual();
  }

  /** Skips whitespace and consumes `c` when it comes next. */
  take(c: number): boolean {
    this.skipWs();
    if (this.buf[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  results(image: IdLookup, category: IdLookup): DetectionArrays {
    let out = emptyDetectionArrays(Math.max(16, Math.ceil(this.size / 120)));
    this.expect(OPEN_ARRAY);
    if (!this.take(CLOSE_ARRAY)) {
      do {
        if (this.n - this.pos < REFILL_BELOW) this.refill();
        if (out.count === out.score.length) out = grownDetectionArrays(out, out.score.length * 2);
        this.detection(out, out.count, image, category);
        out.count++;
      } while (this.take(COMMA));
      this.expect(CLOSE_ARRAY);
    }
    this.skipWs();
    while (this.pos === this.n && !this.ended) {
      this.refill();
      this.skipWs();
    }
    if (this.pos !== this.n) unusual();
    return out;
  }

  /** One {image_id, category_id, bbox, score} object into slot j. */
  detection(out: DetectionArrays, j: number, image: IdLookup, category: IdLookup): void {
    this.expect(OPEN_OBJECT);
    let seen = 0;
    do {
      const k = this.key();
      if (seen & k) unusual(); // a repeated key: JSON.parse keeps the last one; leave it to that path
      seen |= k;
      this.expect(COLON);
      if (k === IMAGE_ID) {
        this.number(out.imageId, j);
        if (image(out.imageId[j]) < 0) unusual();
      } else if (k === CATEGORY_ID) {
        this.number(out.categoryId, j);
        if (category(out.categoryId[j]) < 0) unusual();
      } else if (k === SCORE) {
        this.number(out.score, j);
        if (!Number.isFinite(out.score[j])) unusual();
      } else {
        this.expect(OPEN_ARRAY);
        for (let b = 0; b < 4; b++) {
          if (b > 0) this.expect(COMMA);
          this.number(out.bbox, j * 4 + b);
          const v = out.bbox[j * 4 + b];
          if (!Number.isFinite(v) || (b >= 2 && v < 0)) unusual();
        }
        this.expect(CLOSE_ARRAY);
      }
    } while (this.take(COMMA));
    this.expect(CLOSE_OBJECT);
    if (seen !== ALL_KEYS) unusual();
  }
}
