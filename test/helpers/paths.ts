import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, found from this file whether it runs from src (tsx) or dist. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root from ' + import.meta.url);
    dir = parent;
  }
}

export const repoRoot = findRoot();
export const fromRoot = (...parts: string[]): string => join(repoRoot, ...parts);
export const focusdBin = fromRoot('bin', 'focusd');
export const focusBin = fromRoot('bin', 'focus');
export const atlasSimBin = fromRoot('bin', 'atlas-sim');
