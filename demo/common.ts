// What both parts of `npm run demo` share: the CDK CLI's synth, the bundled `cdk-connection-sharing plan` run as a user
// runs it, and the printing of events.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { stripVTControlCharacters } from 'util';
import { fullDiff, formatDifferences } from '@aws-cdk/cloudformation-diff';
import type { EventResult } from '../emulator/cloudformation';

export const ROOT = path.join(__dirname, '..');
export const CLI = path.join(ROOT, 'assets', 'cli', 'index.js');

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
export const heading = (s: string) => console.log(`\n${bold(`== ${s} ==`)}`);

/** `cdk synth` with the real CLI; `app`: another app than cdk.json's (`-a`). */
export function cdkSynth(outdir: string, extra: string[] = [], app?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['synth', '--quiet', '-o', outdir, ...(app ? ['-a', app] : []), ...extra];
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'cdk'), args, {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_HOME: path.join(os.tmpdir(), 'ccs-demo-cdk-home') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cdk synth ${extra.join(' ')} failed (${code}):\n${stderr}`))));
  });
}

export function printEvent(label: string, result: EventResult): void {
  const r = result.response;
  const calls = result.calls.filter((c) => c.operation !== 'Invoke').map((c) => `${c.service === 'PartnerCentralAccount' ? 'PartnerCentral' : c.service}.${c.operation}${c.status >= 300 ? ` -> ${c.errorType}` : ''}`);
  console.log(`  ${label}: ${r.Status} in ${result.wallMs} ms, physical id ${r.PhysicalResourceId}`);
  if (r.Status !== 'SUCCESS') console.log(`    reason: ${r.Reason}`);
  if (r.Data && Object.keys(r.Data).length) console.log(`    data: ${JSON.stringify(r.Data)}`);
  console.log(`    ${calls.length} API call(s): ${calls.join(', ') || 'none'}`);
}

/**
 * Runs the bundled `cdk-connection-sharing plan` against the emulator with `env`'s credentials and endpoints (as
 * AWS_ENDPOINT_URL_* would point a user's shell at it), prints its output and exit status, and checks the status.
 */
export async function plan(env: Record<string, string>, assemblyDir: string, expectedExit: number, args: string[] = [], label = ''): Promise<string> {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'plan', '--app', assemblyDir, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (status) => resolve({ code: status ?? 1, stdout: out, stderr: err }));
  });
  console.log(`  ${label}$ npx cdk-connection-sharing plan --app ${path.basename(assemblyDir)}${args.length ? ` ${args.join(' ')}` : ''}`);
  console.log(stdout.trimEnd().split('\n').map((l) => (l ? `  ${l}` : '')).join('\n'));
  console.log(`  (exit ${code})`);
  if (code !== expectedExit) {
    console.log(`  UNEXPECTED: expected exit ${expectedExit}${stderr ? `; stderr: ${stderr.split('\n').filter((l) => /cdk-connection-sharing|error/i.test(l)).join(' ')}` : ''}`);
    process.exitCode = 1;
  }
  return stdout;
}

/** The `cdk diff` of two synthesized templates (the same engine and format). */
export function diffText(before: string, after: string): string {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  // The same engine and format as `cdk diff`, run on the two synthesized templates.
  formatDifferences(sink as unknown as NodeJS.WritableStream, fullDiff(JSON.parse(fs.readFileSync(before, 'utf8')), JSON.parse(fs.readFileSync(after, 'utf8'))));
  return stripVTControlCharacters(text);
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
    .trimEnd();
}
