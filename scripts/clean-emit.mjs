// Removes what `tsc -p tsconfig.build.json` emitted into lib/ for `npm pack`, so the work tree holds sources only.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.js') || name.endsWith('.d.ts')) rmSync(path);
  }
}
walk(lib);
