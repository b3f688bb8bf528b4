/**
 * Where a worker thread's built script is: $<envVar> if set (tests), else beside the running
 * bundle (dist/pipeline.js → dist/<file>), else — when running from the TypeScript sources
 * (tsx) — the repository's dist/<file> from `npm run build`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const found = new Map<string, string>();

export function findWorkerScript(file: string, envVar: string, what: string): string {
  const known = found.get(file);
  if (known) return known;
  const candidates = [process.env[envVar], path.join(__dirname, file), path.resolve(__dirname, '..', '..', 'dist', file)].filter(
    (candidate): candidate is string => !!candidate,
  );
  const resolved = candidates.find((candidate) => fs.existsSync(candidate));
  if (!resolved) throw new Error(`The ${what} script was not found (looked for ${candidates.join(', ')}); run "npm run build".`);
  found.set(file, path.resolve(resolved));
  return found.get(file)!;
}
