/**
 * Vectors shaped like sentence embeddings, for benchmarks where neighbours must mean
 * something (an approximate index's recall): random unit vectors have none — every pair is
 * ~0 apart — so any approximate index fails on them, and real embeddings are not like that.
 *
 * Topics in levels: `topics` random centres, 8 subtopics around each (cosine ~0.86 to it),
 * 8 finer ones around each of those (~0.9), and every vector = normalise(finest centre +
 * noise) with a noise norm drawn per vector. So a vector's nearest neighbours (same finest
 * subtopic) lie at a cosine of ~0.65–0.9, the next ones further out by level (~0.55–0.75,
 * ~0.4–0.6), and unrelated vectors at ~0 ± 0.05 (at 384 dimensions): close, related and
 * unrelated passages, as a sentence model places them, with neighbours at graded distances. Queries are drawn the same way from their own stream: fresh points,
 * not copies of stored ones.
 */
import { mulberry32 } from '../test/fixtures/random';

/** Noise norm relative to the (unit) leaf centre: cosine to it 1/√(1+ρ²) ∈ [0.82, 0.96]. */
const NOISE_MIN = 0.3;
const NOISE_MAX = 0.7;
/** Each level below the topics: how many centres around each parent's, and how far (cosine 1/√(1+s²)). */
const LEVELS = [
  { branches: 8, spread: 0.6 },
  { branches: 8, spread: 0.45 },
];

export class TopicVectors {
  private readonly leaves: Float32Array;
  private readonly leafCount: number;
  private readonly noise: Float32Array;

  constructor(
    readonly dimension: number,
    seed: number,
    readonly topics = 500,
  ) {
    const random = mulberry32(seed);
    let centres = new Float32Array(topics * dimension);
    for (let t = 0; t < topics; t++) randomDirection(random, centres.subarray(t * dimension, (t + 1) * dimension), 1);
    for (const { branches, spread } of LEVELS) {
      const children = new Float32Array(centres.length * branches);
      for (let c = 0; c < children.length / dimension; c++) {
        const child = children.subarray(c * dimension, (c + 1) * dimension);
        const parent = Math.floor(c / branches) * dimension;
        randomDirection(random, child, spread);
        for (let i = 0; i < dimension; i++) child[i] += centres[parent + i];
        normalise(child);
      }
      centres = children;
    }
    this.leaves = centres;
    this.leafCount = centres.length / dimension;
    this.noise = new Float32Array(dimension);
  }

  /** What the vectors are, for a figure's detail. */
  get description(): string {
    return (
      `${this.dimension}-dimension topic-mixture vectors (${this.topics} topics, ${LEVELS.map((l) => l.branches).join(' × ')} subtopics below each; ` +
      `each normalise(subtopic centre + noise): cosine ~0.65–0.9 to its nearest neighbours, ~0 ± 0.05 to unrelated ones)`
    );
  }

  /** Draws one vector with `random` into `out`: a finest subtopic at random, then its noise. */
  draw(random: () => number, out = new Float32Array(this.dimension)): Float32Array {
    const { dimension } = this;
    const leaf = Math.floor(random() * this.leafCount) * dimension;
    randomDirection(random, this.noise, NOISE_MIN + random() * (NOISE_MAX - NOISE_MIN));
    for (let i = 0; i < dimension; i++) out[i] = this.leaves[leaf + i] + this.noise[i];
    return normalise(out);
  }
}

/**
 * A random direction of length `norm` into `out`: uniform in the cube, normalised. Not
 * exactly isotropic, but at hundreds of dimensions its cosines behave like a Gaussian's,
 * at a fraction of the cost.
 */
function randomDirection(random: () => number, out: Float32Array, norm: number): void {
  for (let i = 0; i < out.length; i++) out[i] = random() - 0.5;
  const scale = norm / length(out);
  for (let i = 0; i < out.length; i++) out[i] *= scale;
}

export function normalise(vector: Float32Array): Float32Array {
  const scale = 1 / length(vector);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  return vector;
}

function length(vector: Float32Array): number {
  let squares = 0;
  for (let i = 0; i < vector.length; i++) squares += vector[i] * vector[i];
  return Math.sqrt(squares);
}
