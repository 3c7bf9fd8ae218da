// Bundles each handler (with its pinned SDK clients) into assets/<kind>/index.js, which the constructs load
// with Code.fromAsset. Done at build time so that users need neither esbuild nor Docker, and so that the
// asset hash is the same on every machine.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KINDS = ['partner-central', 'workspaces', 'workspaces-association'];

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

// The `cdk-connection-sharing` command (package.json "bin"): the SDK clients bundled in, since a user's app has only
// the peer dependencies; aws-cdk-lib left out (external), so the cloud assembly is read by the app's own
// aws-cdk-lib, the version that wrote it (a bundled reader would refuse assemblies of newer schema versions).
const cliDir = join(root, 'assets', 'cli');
rmSync(cliDir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'cli', 'index.ts')],
  outfile: join(cliDir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
  banner: { js: '#!/usr/bin/env node' },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(join(cliDir, 'index.js'), 0o755);
