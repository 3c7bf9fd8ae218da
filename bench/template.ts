// Reads synthesized templates: resolves intrinsics the way CloudFormation would at deploy time (with stand-in
// values for what only a deployment knows), counts resources and sizes the IAM inline policies of each role.
import * as fs from 'fs';
import * as path from 'path';
import type { Template } from '../emulator/cloud-assembly';

export type { Template };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is walked by shape
type Json = any;

export interface ResolveContext {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

/** Evaluates Ref, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split; other values are returned as they are. */
export function resolve(value: Json, ctx: ResolveContext): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = value[k];
    if (k === 'Ref') return ctx.ref(arg);
    if (k === 'Fn::GetAtt') return ctx.getAtt(arg[0], arg[1]);
    if (k === 'Fn::Join') return (resolve(arg[1], ctx) as Json[]).map(String).join(arg[0]);
    if (k === 'Fn::Select') return (resolve(arg[1], ctx) as Json[])[Number(resolve(arg[0], ctx))];
    if (k === 'Fn::Split') return String(resolve(arg[1], ctx)).split(arg[0]);
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(value[k], ctx)]));
}

/**
 * Stand-ins of deploy-time values, of realistic length: physical names are `<stack>-<logical id>-<12 random>`,
 * as CloudFormation generates them, so policy sizes come out close to what IAM will count.
 */
export function deployTimeContext(template: Template, stackName: string, account: string, region: string): ResolveContext {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`,
  };
  const physicalName = (id: string) => `${stackName}-${id.slice(0, 40)}-A1B2C3D4E5F6`;
  return {
    ref: (id) => pseudo[id] ?? physicalName(id),
    getAtt: (id, attribute) => {
      const type = template.Resources[id]?.Type;
      if (attribute !== 'Arn') return `${physicalName(id)}-${attribute}`;
      if (type === 'AWS::Logs::LogGroup') return `arn:aws:logs:${region}:${account}:log-group:${physicalName(id)}:*`;
      if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${region}:${account}:function:${physicalName(id)}`;
      if (type === 'AWS::IAM::Role') return `arn:aws:iam::${account}:role/${physicalName(id)}`;
      return `arn:aws:${(type ?? 'x::y').split('::')[1].toLowerCase()}:${region}:${account}:${physicalName(id)}`;
    },
  };
}

/** IAM counts a policy's characters without whitespace; JSON.stringify emits none outside strings. */
export function policyChars(document: Json): number {
  return JSON.stringify(document).replace(/\s+/g, '').length;
}

export interface RolePolicies {
  readonly role: string;
  /** Every inline policy of the role (the role's own `Policies` and each AWS::IAM::Policy attached to it). */
  readonly policies: { name: string; chars: number }[];
  readonly totalChars: number;
}

/** The inline policies of each role, resolved, with the aggregate size IAM limits to 10,240 characters per role. */
export function inlinePoliciesByRole(template: Template, ctx: ResolveContext): RolePolicies[] {
  const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  return roles.map(([roleId, role]) => {
    const policies: { name: string; chars: number }[] = [];
    for (const p of (role.Properties?.Policies ?? []) as Json[]) policies.push({ name: `${roleId}.${p.PolicyName}`, chars: policyChars(resolve(p.PolicyDocument, ctx)) });
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const attached = ((r.Properties?.Roles ?? []) as Json[]).some((x) => x?.Ref === roleId);
      if (attached) policies.push({ name: id, chars: policyChars(resolve(r.Properties!.PolicyDocument, ctx)) });
    }
    return { role: roleId, policies, totalChars: policies.reduce((s, p) => s + p.chars, 0) };
  });
}

export function countByType(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
}

/** The folder of a Lambda function's code asset in the cloud assembly (from its S3Key and the asset manifest). */
export function functionAssetDir(assemblyDir: string, stackName: string, template: Template, functionId: string): string {
  const code = template.Resources[functionId]?.Properties?.Code as { S3Key?: string } | undefined;
  if (!code?.S3Key) throw new Error(`${functionId} has no S3Key`);
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${stackName}.assets.json`), 'utf8'));
  const source = manifest.files?.[code.S3Key.replace(/\.zip$/, '')]?.source;
  if (!source?.path) throw new Error(`asset of ${functionId} is not in the manifest`);
  return path.join(assemblyDir, source.path);
}
