/**
 * How much a vector hit can be trusted, on one scale for every embedding model.
 *
 * Cosines have no common scale: one model puts unrelated passages at 0.1, another at 0.8,
 * and an embedder that is weak on a language ranks noise first. What every model shares is
 * the spread of one query's similarities to the whole collection, which vector search
 * computes anyway (it scores every live chunk). A hit is measured in standard deviations
 * above that mean (z). The best of N unrelated chunks is expected at about the expected
 * maximum of N standard normal draws (≈ √(2 ln N)): a random or mismatched embedder's top
 * hit sits there, a real match stands out beyond it. Confidence is 0 up to that maximum
 * plus a margin, and grows to 1 over one more standard deviation. See docs/ranking.md.
 */

/** How far (in standard deviations) past the expected best of noise a hit must be to count at all. */
export const OUTLIER_MARGIN = 0.5;
/** Standard deviations beyond that over which confidence grows from 0 to 1. */
export const CONFIDENCE_SPREAD = 1;
/** Below this many chunks the spread says too little to tell an outlier from noise. */
export const MIN_CALIBRATION_CHUNKS = 8;

/** The spread of one query's cosines to every live chunk that has a vector. */
export interface CosineSpread {
  count: number;
  mean: number;
  deviation: number;
}

/** A hit's calibrated confidence in 0..1 (0: no better than the best of noise). */
export function vectorConfidence(cosine: number, spread: CosineSpread): number {
  if (spread.count < MIN_CALIBRATION_CHUNKS || !(spread.deviation > 0)) return 0;
  const z = (cosine - spread.mean) / spread.deviation;
  const excess = z - expectedMaximum(spread.count) - OUTLIER_MARGIN;
  return Math.min(1, Math.max(0, excess / CONFIDENCE_SPREAD));
}

/**
 * The expected maximum of `n` standard normal draws: Blom's plotting position
 * Φ⁻¹((n − 0.375) / (n + 0.25)), with the upper tail of Φ⁻¹ by Abramowitz and Stegun 26.2.23
 * (error under 4.5e-4).
 */
export function expectedMaximum(n: number): number {
  const tail = 0.625 / (n + 0.25);
  if (tail >= 0.5) return 0;
  const t = Math.sqrt(-2 * Math.log(tail));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}
