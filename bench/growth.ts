// Template growth: stacks with N managed resources of one kind, ours and the AwsCustomResource equivalent.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { ACCOUNT, REGION, type Kind, type Variant, synthGrowth } from './apps';
import { median } from './harness';
import { type Template, countByType, deployTimeContext, inlinePoliciesByRole } from './template';

/** IAM's limit on the aggregate size of a role's inline policies (characters, whitespace not counted). */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;

export interface GrowthRow {
  readonly kind: Kind;
  readonly variant: Variant;
  readonly n: number;
  readonly synthMs: number;
  readonly templateBytes: number;
  readonly resources: number;
  readonly lambdas: number;
  readonly customResources: number;
  readonly iamPolicies: number;
  /** The role with the largest aggregate of inline policies, and that aggregate. */
  readonly biggestRole: string;
  readonly biggestRoleChars: number;
  /** Ours only: the shared HandlerPolicy every instance adds its statements to. */
  readonly handlerPolicyChars?: number;
}

export function measureGrowth(ns: number[], repeats: number): GrowthRow[] {
  const rows: GrowthRow[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-growth-'));
  try {
    // Warm-up: the first synth in a process also pays for loading aws-cdk-lib's modules.
    synthGrowth(path.join(tmp, 'warm'), 'preferences', 'ours', 1);
    synthGrowth(path.join(tmp, 'warm-acr'), 'sharing', 'acr', 1);
    for (const kind of ['preferences', 'sharing'] as Kind[]) {
      for (const variant of ['ours', 'acr'] as Variant[]) {
        for (const n of ns) {
          const times: number[] = [];
          let out = { stackName: '', templateFile: '' };
          for (let r = 0; r < repeats; r++) {
            const dir = path.join(tmp, `${kind}-${variant}-${n}-${r}`);
            const t0 = performance.now();
            out = synthGrowth(dir, kind, variant, n);
            times.push(performance.now() - t0);
          }
          rows.push(analyse(kind, variant, n, median(times), out.stackName, out.templateFile));
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

function analyse(kind: Kind, variant: Variant, n: number, synthMs: number, stackName: string, file: string): GrowthRow {
  const text = fs.readFileSync(file, 'utf8');
  const template = JSON.parse(text) as Template;
  const counts = countByType(template);
  const ctx = deployTimeContext(template, stackName, ACCOUNT, REGION);
  const roles = inlinePoliciesByRole(template, ctx).sort((a, b) => b.totalChars - a.totalChars);
  const handlerPolicy = roles.flatMap((r) => r.policies).find((p) => /ProviderHandlerPolicy/.test(p.name));
  return {
    kind,
    variant,
    n,
    synthMs,
    templateBytes: Buffer.byteLength(text),
    resources: Object.keys(template.Resources).length,
    lambdas: counts['AWS::Lambda::Function'] ?? 0,
    customResources: Object.entries(counts).filter(([t]) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource').reduce((s, [, c]) => s + c, 0),
    iamPolicies: counts['AWS::IAM::Policy'] ?? 0,
    biggestRole: roles[0]?.role ?? '',
    biggestRoleChars: roles[0]?.totalChars ?? 0,
    handlerPolicyChars: handlerPolicy?.chars,
  };
}
