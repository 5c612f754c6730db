// Decoded images kept for reuse across the points of a sweep: every point of a study reads the same images,
// and a JPEG decode costs about as much as the small detectors' inference (issue 16), so each image is
// decoded once per colour handling and only resized per point. Bounded by bytes, least recently used out
// first: the sweep runs all points of a shard before the next shard, so a shard's images stay while
// they serve every point, whatever the size of the whole set.
import { decodeImage, type DecodedImage, type DecodeOptions } from './decode.ts';

export interface DecodedCacheStats {
  /** Images decoded (cache misses). */
  decoded: number;
  /** Images served from the cache. */
  reused: number;
  bytes: number;
  maxBytes: number;
}

export class DecodedImageCache {
  private readonly entries = new Map<string, DecodedImage>();
  private bytes = 0;
  private decoded = 0;
  private reused = 0;

  /** `maxBytes` 0 keeps nothing (every request decodes). */
  constructor(readonly maxBytes: number) {}

  /** The pixels of `path` as `decodeImage(path, options)` gives them, decoded at most once while cached. */
  async get(path: string, options: DecodeOptions): Promise<DecodedImage> {
    const key = `${options.order}${options.exifRotate ? '+exif' : ''}:${path}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.reused++;
      return hit;
    }
    const image = await decodeImage(path, options);
    this.decoded++;
    this.put(key, image);
    return image;
  }

  private put(key: string, image: DecodedImage): void {
    const size = image.data.byteLength;
    if (size > this.maxBytes) return;
    this.entries.set(key, image);
    this.bytes += size;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.data.byteLength;
    }
  }

  stats(): DecodedCacheStats {
    return { decoded: this.decoded, reused: this.reused, bytes: this.bytes, maxBytes: this.maxBytes };
  }
}
