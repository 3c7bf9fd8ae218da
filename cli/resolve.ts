// Resolves a custom resource's template properties to what CloudFormation would deliver to its handler, before the
// deploy: literals as they are (every scalar a string), pseudo parameters from the stack's environment, Ref and
// Fn::GetAtt of resources of the same stack from the DEPLOYED stack's physical ids, and Fn::Join / Fn::Select /
// Fn::Split / Fn::Sub over what resolves. Anything else (a stack parameter, Fn::ImportValue, Fn::If, a resource not
// deployed yet) cannot be known before the deploy: the result then says which property and why.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is walked by shape, like CloudFormation does
type Json = any;

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Json; Condition?: Json }>;
  Parameters?: Record<string, Json>;
}

/** What the deployed stack says of a resource: its physical id, or why there is none. */
export type Deployed = { readonly physicalId: string } | { readonly missing: string };

export interface ResolveContext {
  readonly template: Template;
  readonly stackName: string;
  readonly region: string;
  /** Undefined when neither the assembly nor the credentials tell it. */
  readonly accountId?: string;
  readonly partition: string;
  /** Physical ids of the deployed stack's resources, for the logical ids {@link referencedResources} returned. */
  readonly deployed: (logicalId: string) => Deployed;
}

export type Resolution = { readonly ok: true; readonly properties: Record<string, unknown> } | { readonly ok: false; readonly property: string; readonly reason: string };

/** Properties CloudFormation adds or the handler ignores: never resolved (the ServiceToken is the framework's ARN). */
const SKIPPED = new Set(['ServiceToken']);

/**
 * The logical ids of the stack's resources that the properties refer to (Ref, Fn::GetAtt, `${X}` in Fn::Sub): the
 * ones whose deployed physical ids must be read. Empty for literal properties, which need no CloudFormation call.
 */
export function referencedResources(properties: Record<string, unknown>, template: Template): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      if (fn === 'Ref' && typeof arg === 'string' && template.Resources[arg]) found.add(arg);
      if (fn === 'Fn::GetAtt') {
        const id = Array.isArray(arg) ? arg[0] : String(arg).split('.')[0];
        if (typeof id === 'string' && template.Resources[id]) found.add(id);
      }
      if (fn === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? (arg as [unknown, unknown]) : [arg, {}];
        for (const m of String(text).matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const id = m[1].split('.')[0];
          if (!(vars && typeof vars === 'object' && m[1] in vars) && template.Resources[id]) found.add(id);
        }
        walk(vars);
        return;
      }
    }
    entries.forEach(([, v]) => walk(v));
  };
  for (const [key, value] of Object.entries(properties)) if (!SKIPPED.has(key)) walk(value);
  return found;
}

class Unresolvable extends Error {
  constructor(
    readonly where: string,
    readonly why: string,
  ) {
    super(why);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

export function resolveProperties(properties: Record<string, unknown>, ctx: ResolveContext): Resolution {
  const out: Record<string, unknown> = {};
  try {
    for (const [key, value] of Object.entries(properties)) {
      if (SKIPPED.has(key)) continue;
      const resolved = resolve(value, key, ctx);
      if (resolved !== NO_VALUE) out[key] = deliverable(resolved);
    }
  } catch (err) {
    if (err instanceof Unresolvable) return { ok: false, property: err.where, reason: `${err.where} ${err.why}` };
    throw err;
  }
  return { ok: true, properties: out };
}

/** CloudFormation hands every scalar to a custom resource as a string; arrays and objects keep their shape. */
function deliverable(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(deliverable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deliverable(v)]));
  return value;
}

function resolve(value: unknown, where: string, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolve(v, `${where}[${i}]`, ctx)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::') || entries[0][0] === 'Condition')) {
    return intrinsic(entries[0][0], entries[0][1], where, ctx);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const resolved = resolve(v, `${where}.${k}`, ctx);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

function intrinsic(fn: string, arg: unknown, where: string, ctx: ResolveContext): unknown {
  switch (fn) {
    case 'Ref':
      return ref(String(arg), where, ctx);
    case 'Fn::GetAtt': {
      const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/);
      return getAtt(id, attr, where, ctx);
    }
    case 'Fn::Join': {
      const [sep, items] = arg as [unknown, unknown];
      const list = resolve(items, where, ctx);
      if (!Array.isArray(list)) throw new Unresolvable(where, 'is a Fn::Join of something that is not a list');
      return list.map((v) => scalar(v, where)).join(String(sep));
    }
    case 'Fn::Select': {
      const [index, items] = arg as [unknown, unknown];
      const list = resolve(items, where, ctx);
      const i = Number(resolve(index, where, ctx));
      if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length) {
        throw new Unresolvable(where, `is a Fn::Select of index ${i} in a list of ${Array.isArray(list) ? list.length : 'no'} item(s): the deploy would fail on it`);
      }
      return list[i];
    }
    case 'Fn::Split': {
      const [sep, text] = arg as [unknown, unknown];
      return scalar(resolve(text, where, ctx), where).split(String(sep));
    }
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
      return String(text).replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        if (vars && name in vars) return scalar(resolve(vars[name], where, ctx), where);
        const [id, attr] = name.split(/\.(.*)/);
        return scalar(attr !== undefined ? getAtt(id, attr, where, ctx) : ref(id, where, ctx), where);
      });
    }
    case 'Fn::ImportValue':
      throw new Unresolvable(where, `is a Fn::ImportValue (${describe(arg)}): another stack's export, read only at deploy time`);
    default:
      throw new Unresolvable(where, `uses ${fn}, which depends on values known only at deploy time`);
  }
}

function ref(id: string, where: string, ctx: ResolveContext): unknown {
  switch (id) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      if (!ctx.accountId) throw new Unresolvable(where, 'refers to AWS::AccountId, and the account is not known');
      return ctx.accountId;
    case 'AWS::Partition':
      return ctx.partition;
    case 'AWS::URLSuffix':
      return ctx.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  if (id.startsWith('AWS::')) throw new Unresolvable(where, `refers to ${id}, known only at deploy time`);
  if (ctx.template.Parameters?.[id] !== undefined) {
    throw new Unresolvable(where, `is Ref ${id}, a stack parameter (CfnParameter): its value is given at deploy time`);
  }
  const resource = ctx.template.Resources[id];
  if (!resource) throw new Unresolvable(where, `is Ref ${id}, which is neither a resource nor a parameter of the stack`);
  return physicalId(id, `Ref ${id}`, where, ctx);
}

function getAtt(id: string, attr: string, where: string, ctx: ResolveContext): unknown {
  const resource = ctx.template.Resources[id];
  if (!resource) throw new Unresolvable(where, `is Fn::GetAtt ${id}.${attr}, and ${id} is not a resource of the stack`);
  // An AWS::WorkSpaces::ConnectionAlias's physical id IS its alias id: Ref returns the alias id, and so does
  // Fn::GetAtt AliasId (CfnConnectionAlias.attrAliasId). Any other attribute is not readable from the stack's
  // resource list, so it is known only at deploy time.
  if (resource.Type === 'AWS::WorkSpaces::ConnectionAlias' && attr === 'AliasId') return physicalId(id, `Fn::GetAtt ${id}.${attr}`, where, ctx);
  throw new Unresolvable(where, `is Fn::GetAtt ${id}.${attr} of a ${resource.Type}: only a deployed resource's physical id (Ref) can be read before the deploy`);
}

function physicalId(id: string, what: string, where: string, ctx: ResolveContext): string {
  const deployed = ctx.deployed(id);
  if ('physicalId' in deployed) return deployed.physicalId;
  throw new Unresolvable(where, `is ${what} (${ctx.template.Resources[id].Type}), ${deployed.missing}`);
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Unresolvable(where, `joins a value that is not a string (${describe(value)})`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
