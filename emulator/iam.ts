// IAM for the emulator: every request signed with a registered access key is evaluated against the statements of
// the role that key stands for, the way IAM evaluates identity-based policies, and refused with the service's own
// AccessDeniedException. Keys nobody registered (the tests' own clients sign with AKIDEMULATOR) are unrestricted.
//
// Evaluation (IAM's policy evaluation logic, identity-based policies only): a request is allowed when some Allow
// statement matches it and no Deny statement does; an explicit Deny wins; nothing matching is an implicit deny.
// A statement matches when its Action (or NotAction), Resource (or NotResource) and every Condition match.
// - Actions: `service:Action`, case-insensitive, with `*` and `?` wildcards. The IAM prefixes are `ssm`,
//   `workspaces` and `partnercentral` (not the client's name, `partnercentral-account`).
// - Resources: ARNs, case-sensitive, with `*` and `?` wildcards (a `*` may span `:` and `/`, as in IAM).
// - Conditions: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
//   StringNotLike, each also with the IfExists suffix. Values of one key are ORed, keys and operators are ANDed. A
//   key the request does not carry fails the positive operators and passes the negated ones (as in IAM).
//   Any other operator (ForAnyValue:, Arn*, Bool...) is refused when the policy is registered, not guessed at.
// Condition keys: `partnercentral:Catalog` (the request's Catalog) for Partner Central, `aws:RequestedRegion`.
//
// Resources per request (what IAM's Service Authorization Reference lists for these actions, API-FACTS.md):
// - SSM PutParameter, GetParameter, DeleteParameter: the parameter's ARN
//   `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`; DeleteParameters and
//   GetParameters: each name's ARN, and one refused name refuses the call; GetParametersByPath: the path's ARN.
// - WorkSpaces DescribeConnectionAliasPermissions, UpdateConnectionAliasPermission, DisassociateConnectionAlias,
//   DeleteConnectionAlias: the alias's ARN `arn:aws:workspaces:<region>:<OWNER account>:connectionalias/<AliasId>`;
//   AssociateConnectionAlias: that and `arn:aws:workspaces:<region>:<caller>:directory/<ResourceId>`; DescribeConnectionAliases: `*`.
// - Partner Central GetConnectionPreferences, UpdateConnectionPreferences: `*`, with `partnercentral:Catalog`.
// - CloudFormation DescribeStackResources (the `plan` command): the stack's ARN,
//   `arn:aws:cloudformation:<region>:<account>:stack/<StackName>/*` for a name (the stack id's GUID is not in the
//   request; a policy on `stack/<name>/*` or `stack/*` matches it either way), the id itself for a stack id.
// - STS GetCallerIdentity needs no permission (IAM cannot deny it): never evaluated.
// The region is the one the request is signed for (SigV4 credential scope); the account the emulator's.
import { AwsError, isObject, type ServiceName } from './protocol';

export type Effect = 'Allow' | 'Deny';

/** One statement of an identity-based policy, as it reads in a policy document (intrinsics already resolved). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** Who a registered access key is, and what it may do. */
export interface Identity {
  /** The session the key belongs to, e.g. `arn:aws:sts::123456789012:assumed-role/<role>/<function>`. */
  readonly principalArn: string;
  /** Every statement of every identity-based policy of the role. No statement: everything is denied. */
  readonly statements: readonly PolicyStatement[];
}

/** What one API request asks IAM for. */
export interface AuthorizationRequest {
  /** `service:Action` as IAM names it. */
  readonly action: string;
  /** Every resource the request touches; each must be allowed. */
  readonly resources: string[];
  /** Condition keys the request carries (lower-cased names). */
  readonly context: Record<string, string>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** A refused request, kept so tests can say what was denied to whom. */
export interface Denial {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly service: ServiceName;
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Exclude<Decision, 'Allow'>;
  readonly message: string;
  readonly time: number;
}

const IAM_PREFIX: Partial<Record<ServiceName, string>> = { SSM: 'ssm', WorkSpaces: 'workspaces', PartnerCentralAccount: 'partnercentral', CloudFormation: 'cloudformation' };
const OPERATORS = new Set(['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike']);

/** The access key id of a SigV4 `Authorization` header (`... Credential=<AKID>/<date>/<region>/<service>/aws4_request, ...`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

const globCache = new Map<string, RegExp>();
/** IAM's wildcards: `*` any run of characters (also `:` and `/`), `?` one character; everything else literal. */
function glob(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    globCache.set(key, re);
  }
  return re;
}

function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => glob(p, true).test(action));
}

function resourceMatches(patterns: string[], resource: string): boolean {
  return patterns.some((p) => glob(p, false).test(resource));
}

function conditionMatches(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  for (const [rawOperator, keys] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const negated = operator.startsWith('StringNot');
    for (const [rawKey, rawValues] of Object.entries(keys)) {
      const actual = context[rawKey.toLowerCase()];
      if (actual === undefined) {
        if (ifExists || negated) continue;
        return false;
      }
      const values = list(rawValues);
      let any: boolean;
      switch (operator) {
        case 'StringEquals':
        case 'StringNotEquals':
          any = values.includes(actual);
          break;
        case 'StringEqualsIgnoreCase':
        case 'StringNotEqualsIgnoreCase':
          any = values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        default: // StringLike, StringNotLike
          any = values.some((v) => glob(v, false).test(actual));
      }
      if (negated ? any : !any) return false;
    }
  }
  return true;
}

/** Throws a MalformedPolicyDocument-like error for what IAM would refuse, or the emulator cannot evaluate. */
export function validateStatements(statements: readonly PolicyStatement[], where = 'policy'): void {
  statements.forEach((s, i) => {
    const at = `${where} statement ${s.Sid ?? i}`;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`IAM: ${at} has Effect ${JSON.stringify(s.Effect)}: use Allow or Deny`);
    if ((s.Action === undefined) === (s.NotAction === undefined)) throw new Error(`IAM: ${at} needs exactly one of Action and NotAction`);
    if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new Error(`IAM: ${at} needs exactly one of Resource and NotResource`);
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
      if (!OPERATORS.has(operator.replace(/IfExists$/, ''))) {
        throw new Error(`IAM: ${at} uses condition operator ${operator}, which the emulator does not evaluate (it knows ${[...OPERATORS].join(', ')}, each also ...IfExists)`);
      }
      if (!isObject(keys)) throw new Error(`IAM: ${at}: condition ${operator} must map keys to values`);
    }
  });
}

/** IAM's decision for one action on one resource. */
export function evaluate(statements: readonly PolicyStatement[], action: string, resource: string, context: Record<string, string> = {}): Decision {
  let allowed = false;
  for (const s of statements) {
    const actionHit = s.Action !== undefined ? actionMatches(list(s.Action), action) : !actionMatches(list(s.NotAction), action);
    if (!actionHit) continue;
    const resourceHit = s.Resource !== undefined ? resourceMatches(list(s.Resource), resource) : !resourceMatches(list(s.NotResource), resource);
    if (!resourceHit || !conditionMatches(s.Condition, context)) continue;
    if (s.Effect === 'Deny') return 'ExplicitDeny';
    allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/**
 * What IAM is asked for one API request: the action, the resources (see the module comment) and the condition
 * keys. Undefined when the request is too malformed to name its resources: the service's own validation answers it.
 */
export function authorizationRequest(
  service: ServiceName,
  operation: string,
  input: unknown,
  where: { region: string; accountId: string; aliasOwner?: IamOptions['aliasOwner'] },
): AuthorizationRequest | undefined {
  const prefix = IAM_PREFIX[service];
  if (!prefix || !isObject(input)) return undefined;
  const action = `${prefix}:${operation}`;
  const context: Record<string, string> = { 'aws:requestedregion': where.region };
  const parameter = (name: unknown) => `arn:aws:ssm:${where.region}:${where.accountId}:parameter/${String(name).replace(/^\//, '')}`;
  const names = (value: unknown) => (Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === 'string') ? (value as string[]) : undefined);
  let resources: string[] | undefined;
  if (service === 'SSM') {
    if (operation === 'GetParametersByPath') resources = typeof input.Path === 'string' ? [parameter(input.Path)] : undefined;
    else if (operation === 'DeleteParameters' || operation === 'GetParameters') resources = names(input.Names)?.map(parameter);
    else if (['PutParameter', 'GetParameter', 'DeleteParameter'].includes(operation)) resources = typeof input.Name === 'string' ? [parameter(input.Name)] : undefined;
    else resources = ['*'];
  } else if (service === 'WorkSpaces') {
    // A connection alias's ARN carries its OWNER's account (a shared alias's too); unknown aliases the caller's.
    const owner = where.aliasOwner?.(input.AliasId);
    const aliasArn = typeof input.AliasId === 'string' ? `arn:aws:workspaces:${owner?.region ?? where.region}:${owner?.account ?? where.accountId}:connectionalias/${input.AliasId}` : undefined;
    if (['DescribeConnectionAliasPermissions', 'UpdateConnectionAliasPermission', 'DisassociateConnectionAlias', 'DeleteConnectionAlias'].includes(operation)) {
      resources = aliasArn ? [aliasArn] : undefined;
    } else if (operation === 'AssociateConnectionAlias') {
      // Authorized against the alias (owner's account) and the directory (the caller's account and Region).
      resources = aliasArn && typeof input.ResourceId === 'string' ? [aliasArn, `arn:aws:workspaces:${where.region}:${where.accountId}:directory/${input.ResourceId}`] : undefined;
    } else {
      resources = ['*'];
    }
  } else if (service === 'CloudFormation') {
    const stack = typeof input.StackName === 'string' ? input.StackName : undefined;
    resources = [stack?.startsWith('arn:') ? stack : `arn:aws:cloudformation:${where.region}:${where.accountId}:stack/${stack ?? '*'}/*`];
  } else {
    // Partner Central actions have no resource type: `*`, narrowed only by the catalog condition.
    resources = ['*'];
    if (typeof input.Catalog === 'string') context['partnercentral:catalog'] = input.Catalog;
  }
  return resources && { action, resources, context };
}

/** IAM's answer, as each service puts it on the wire (API-FACTS.md: error statuses and message fields). */
export function accessDenied(service: ServiceName, message: string): AwsError {
  switch (service) {
    case 'PartnerCentralAccount':
      // Modeled: HTTP 403, `Message` and a required `Reason`. UNVERIFIED: the Reason IAM refusals carry.
      return new AwsError(403, 'AccessDeniedException', message, { Reason: 'ACCESS_DENIED' }, 'Message');
    case 'WorkSpaces':
      // Modeled with a lower-case `message`; every WorkSpaces error is HTTP 400.
      return new AwsError(400, 'AccessDeniedException', message);
    case 'CloudFormation':
      // awsQuery: the Code `AccessDenied`, HTTP 403 (UNVERIFIED beyond the common errors of the query APIs).
      return new AwsError(403, 'AccessDenied', message);
    default:
      // SSM models AccessDeniedException with `Message`; the real service answers 400 (UNVERIFIED beyond that).
      return new AwsError(400, 'AccessDeniedException', message, {}, 'Message');
  }
}

/** IAM's wording: "User: <principal> is not authorized to perform: <action> on resource: <arn> because ...". */
export function denialMessage(principalArn: string, action: string, resource: string, decision: Exclude<Decision, 'Allow'>): string {
  const on = resource === '*' ? '' : ` on resource: ${resource}`;
  const why = decision === 'ExplicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action}${on} ${why}`;
}

export interface IamOptions {
  readonly accountId: string;
  /** The owner (and Region) of a connection alias: its ARN carries the owner's account, whoever calls. */
  readonly aliasOwner?: (aliasId: unknown) => { account: string; region?: string } | undefined;
}

/** `emulator.iam`: the identities registered by access key, and the denials seen. */
export class Iam {
  /** Off: every request is allowed, whoever signed it. */
  enabled = true;
  /** Every refused request, oldest first. */
  readonly denials: Denial[] = [];
  private readonly identities = new Map<string, Identity>();

  constructor(private readonly options: IamOptions) {}

  /** Registers (or replaces) what the holder of `accessKeyId` may do: from now on its requests are evaluated. */
  setIdentity(accessKeyId: string, identity: Identity): void {
    validateStatements(identity.statements, identity.principalArn);
    this.identities.set(accessKeyId, { principalArn: identity.principalArn, statements: [...identity.statements] });
  }

  /** The key's identity, or undefined when its requests are unrestricted. */
  identity(accessKeyId: string): Identity | undefined {
    return this.identities.get(accessKeyId);
  }

  /** Forgets the key: its requests are unrestricted again (like the tests' own clients). */
  removeIdentity(accessKeyId: string): void {
    this.identities.delete(accessKeyId);
  }

  /** Forgets every identity and denial (emulator.reset()); `enabled` stays as it is. */
  reset(): void {
    this.identities.clear();
    this.denials.length = 0;
  }

  /**
   * @internal Called by the emulator for every service request: throws the service's AccessDeniedException when
   * the signing key's identity may not make it.
   */
  authorize(request: { service: ServiceName; operation: string; input: unknown; authorization?: string; region?: string; accountId?: string }): void {
    if (!this.enabled) return;
    const accessKeyId = accessKeyIdOf(request.authorization);
    const identity = accessKeyId === undefined ? undefined : this.identities.get(accessKeyId);
    if (!identity || !accessKeyId) return;
    const asked = authorizationRequest(request.service, request.operation, request.input, {
      region: request.region ?? 'us-east-1',
      accountId: request.accountId ?? this.options.accountId,
      aliasOwner: this.options.aliasOwner,
    });
    if (!asked) return;
    for (const resource of asked.resources) {
      const decision = evaluate(identity.statements, asked.action, resource, asked.context);
      if (decision === 'Allow') continue;
      const message = denialMessage(identity.principalArn, asked.action, resource, decision);
      this.denials.push({
        accessKeyId,
        principalArn: identity.principalArn,
        service: request.service,
        operation: request.operation,
        action: asked.action,
        resource,
        decision,
        message,
        time: Date.now(),
      });
      throw accessDenied(request.service, message);
    }
  }
}
