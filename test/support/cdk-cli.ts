// Runs the project's pinned CDK CLI the way a user runs it, offline: telemetry off and its home in a temp folder.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
const CDK_BIN = path.join(ROOT, 'node_modules', '.bin', 'cdk');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ccs-${prefix}-`));
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function cdk(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(CDK_BIN, args, {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_HOME: process.env.CDK_HOME ?? tempDir('cdk-home'),
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      ...options.env,
    },
    timeout: 180_000,
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function mustCdk(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): CliResult {
  const result = cdk(args, options);
  if (result.status !== 0) throw new Error(`cdk ${args.join(' ')} exited ${result.status}:\n${result.stderr}\n${result.stdout}`);
  return result;
}

/** Every file under dir, relative path -> contents, for byte-for-byte comparison. */
export function readTree(dir: string, skip: (rel: string) => boolean = () => false): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const child = path.join(rel, name);
      if (skip(child)) continue;
      if (fs.statSync(path.join(dir, child)).isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(dir, child)));
    }
  };
  walk('');
  return files;
}
