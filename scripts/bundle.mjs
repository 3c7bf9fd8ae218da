// Bundles each handler (with its pinned SDK clients) into assets/<kind>/index.js, which the constructs load
// with Code.fromAsset. Done at build time so that users need neither esbuild nor Docker, and so that the
// asset hash is the same on every machine.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KINDS = ['partner-central', 'workspaces'];

for (const kind of KINDS) {
  const outdir = join(root, 'assets', kind);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(root, 'lambda', kind, 'index.ts')],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
