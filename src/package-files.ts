import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Terrace's package.json: the nearest one above this module. The build bundles modules
 * into shared chunks (scripts/build.mjs), so a module cannot name another file relative to itself.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();

/** A file the build writes, by its source's path with `.js`: `builtFile('src/cli.js')`. */
export function builtFile(path: string): string {
  return join(PACKAGE_ROOT, 'dist', path);
}
