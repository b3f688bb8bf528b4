export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  detail?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** Median and p95 of a sample as two figures (the p95 one carrying the target). */
export function summarize(name: string, samples: number[], unit: string, options: { p95Target?: number } = {}): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  return {
    name: `${name}: p95`,
    value: p95,
    unit,
    target: options.p95Target !== undefined ? `≤ ${options.p95Target} ${unit}` : undefined,
    detail: `n=${samples.length}, median ${median.toFixed(2)} ${unit}, min ${sorted[0]?.toFixed(2)}, max ${sorted.at(-1)?.toFixed(2)}`,
  };
}

export function median(samples: number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50);
}

/** Runs one benchmark file on its own (`node --import tsx bench/<name>.ts`) and prints its figures. */
export function runAlone(bench: () => Promise<Figure[]>): void {
  bench()
    .then((figures) => {
      for (const figure of figures) {
        const value = Number.isFinite(figure.value) ? figure.value.toFixed(2) : String(figure.value);
        console.log(`${figure.name}: ${value} ${figure.unit}${figure.target ? `  (target ${figure.target})` : ''}${figure.detail ? `\n    ${figure.detail}` : ''}`);
      }
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
