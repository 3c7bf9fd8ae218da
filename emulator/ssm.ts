// SSM Parameter Store: the operations the state store (lambda/common/state-store.ts) and tests use.
import { AwsError, decodeToken, encodeToken, isObject, page } from './protocol';

const STANDARD_MAX_BYTES = 4096;
const ADVANCED_MAX_BYTES = 8192;
const MAX_NAME_CHARS = 1011;
const MAX_DEPTH = 15;
const MAX_PAGE = 10;
const MAX_DELETE = 10;
const TYPES = ['String', 'StringList', 'SecureString'];
const TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'];
const SEGMENT = /^[a-zA-Z0-9_.-]+$/;

export interface StoredParameter {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  Tier: 'Standard' | 'Advanced';
  DataType: string;
  LastModifiedDate: Date;
}

export interface SsmOptions {
  accountId: string;
  region: string;
}

function validation(message: string): AwsError {
  return new AwsError(400, 'ValidationException', message, {}, 'Message');
}

function notFound(name: string): AwsError {
  return new AwsError(400, 'ParameterNotFound', `Parameter ${name} not found.`);
}

export class SsmState {
  private readonly params = new Map<string, StoredParameter>();

  constructor(private readonly options: SsmOptions) {}

  reset(): void {
    this.params.clear();
  }

  /** The stored parameter (a copy) or undefined. */
  get(name: string): StoredParameter | undefined {
    const p = this.params.get(name);
    return p && { ...p, LastModifiedDate: new Date(p.LastModifiedDate) };
  }

  /** Every stored name, sorted; with `prefix`, only those that start with it. */
  names(prefix = ''): string[] {
    return [...this.params.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  /** `{ name: value }` of the parameters under `prefix`, for asserting on (or printing) the whole store. */
  snapshot(prefix = ''): Record<string, string> {
    return Object.fromEntries(this.names(prefix).map((n) => [n, this.params.get(n)!.Value]));
  }

  /** Stores a parameter directly, without validation or log entry. */
  seed(name: string, value: string, type = 'String'): void {
    const prev = this.params.get(name);
    this.params.set(name, { Name: name, Type: type, Value: value, Version: (prev?.Version ?? 0) + 1, Tier: 'Standard', DataType: 'text', LastModifiedDate: new Date() });
  }

  /** Deletes directly, without log entry (e.g. an operator cleaning up by hand). */
  remove(name: string): void {
    this.params.delete(name);
  }

  /** @internal */
  async handle(operation: string, input: unknown): Promise<unknown> {
    if (!isObject(input)) throw validation('The request body must be a JSON object.');
    switch (operation) {
      case 'PutParameter':
        return this.put(input);
      case 'GetParameter': {
        const name = this.checkName(input.Name);
        const p = this.params.get(name);
        if (!p) throw notFound(name);
        return { Parameter: this.view(p) };
      }
      case 'GetParametersByPath':
        return this.byPath(input);
      case 'DeleteParameter': {
        const name = this.checkName(input.Name);
        if (!this.params.delete(name)) throw notFound(name);
        return {};
      }
      case 'DeleteParameters':
        return this.deleteMany(input);
      default:
        throw new AwsError(400, 'UnknownOperationException', `Operation ${operation} is not emulated`);
    }
  }

  private checkName(value: unknown): string {
    if (typeof value !== 'string' || value.length === 0) throw validation('1 validation error detected: Value null at \'name\' failed to satisfy constraint: Member must not be null');
    if (value.length > MAX_NAME_CHARS) throw validation(`Parameter name exceeds the maximum length of ${MAX_NAME_CHARS} characters.`);
    const hierarchical = value.includes('/');
    if (hierarchical && !value.startsWith('/')) throw validation('Parameter name: must be a fully qualified name.');
    const segments = hierarchical ? value.slice(1).split('/') : [value];
    if (segments.some((s) => !SEGMENT.test(s)) || /^\/?(aws|ssm)/i.test(value)) {
      throw validation(
        'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths ' +
          'divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_',
      );
    }
    if (segments.length > MAX_DEPTH) {
      throw new AwsError(400, 'HierarchyLevelLimitExceededException', `A hierarchy can have a maximum of ${MAX_DEPTH} levels.`);
    }
    return value;
  }

  private put(input: Record<string, unknown>): unknown {
    const name = this.checkName(input.Name);
    const { Value, Type, Overwrite } = input;
    if (typeof Value !== 'string' || Value.length === 0) throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const existing = this.params.get(name);
    if (Type !== undefined && !TYPES.includes(String(Type))) throw validation(`1 validation error detected: Value '${String(Type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${TYPES.join(', ')}]`);
    if (Type === undefined && !existing) throw validation('A parameter type is required when you create a parameter.');
    const tierIn = input.Tier === undefined ? 'Standard' : String(input.Tier);
    if (!TIERS.includes(tierIn)) throw validation(`1 validation error detected: Value '${tierIn}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [${TIERS.join(', ')}]`);
    // UNVERIFIED: whether the 4 KB limit counts characters or UTF-8 bytes. We count bytes, the stricter reading;
    // the state store writes ASCII only, where both agree.
    const bytes = Buffer.byteLength(Value, 'utf8');
    if (bytes > ADVANCED_MAX_BYTES) throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 8192");
    let tier: 'Standard' | 'Advanced' = tierIn === 'Advanced' || existing?.Tier === 'Advanced' ? 'Advanced' : 'Standard';
    if (bytes > STANDARD_MAX_BYTES && tier === 'Standard') {
      if (tierIn !== 'Intelligent-Tiering') {
        throw validation(
          'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, ' +
            'upgrade the parameter to use the advanced-parameter tier. For more information, see ' +
            'https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html',
        );
      }
      tier = 'Advanced';
    }
    if (existing && Overwrite !== true) {
      throw new AwsError(400, 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    const version = (existing?.Version ?? 0) + 1;
    this.params.set(name, {
      Name: name,
      Type: Type === undefined ? existing!.Type : String(Type),
      Value,
      Version: version,
      Tier: tier,
      DataType: typeof input.DataType === 'string' ? input.DataType : 'text',
      LastModifiedDate: new Date(),
    });
    return { Version: version, Tier: tier };
  }

  private byPath(input: Record<string, unknown>): unknown {
    const path = input.Path;
    if (typeof path !== 'string' || !path.startsWith('/')) throw validation('The parameter path must be fully qualified (begin with a slash).');
    if (path !== '/') this.checkName(path.replace(/\/$/, ''));
    const max = input.MaxResults ?? MAX_PAGE;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
      throw validation(`1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`);
    }
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const scope = `GetParametersByPath:${prefix}:${input.Recursive === true}`;
    let after: string | undefined;
    if (input.NextToken !== undefined && input.NextToken !== null) {
      after = typeof input.NextToken === 'string' ? decodeToken(scope, input.NextToken) : undefined;
      if (after === undefined) throw new AwsError(400, 'InvalidNextToken', 'The specified token is not valid.', {}, 'Message');
    }
    const matching = [...this.params.values()].filter(
      (p) => p.Name.startsWith(prefix) && (input.Recursive === true || !p.Name.slice(prefix.length).includes('/')),
    );
    // The cursor is the last name returned, so parameters deleted between pages never make a page skip others.
    const result = page(matching, (p) => p.Name, after, max);
    return { Parameters: result.items.map((p) => this.view(p)), ...(result.next ? { NextToken: encodeToken(scope, result.next) } : {}) };
  }

  private deleteMany(input: Record<string, unknown>): unknown {
    const names = input.Names;
    if (!Array.isArray(names) || names.length < 1 || names.length > MAX_DELETE) {
      throw validation(`1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and ${MAX_DELETE}`);
    }
    const deleted: string[] = [];
    const invalidNames: string[] = [];
    for (const n of names as unknown[]) {
      const name = String(n);
      (this.params.delete(name) ? deleted : invalidNames).push(name);
    }
    return { DeletedParameters: deleted, InvalidParameters: invalidNames };
  }

  private view(p: StoredParameter): Record<string, unknown> {
    return {
      Name: p.Name,
      Type: p.Type,
      Value: p.Value,
      Version: p.Version,
      // awsJson's default timestamp format: epoch seconds.
      LastModifiedDate: p.LastModifiedDate.getTime() / 1000,
      ARN: `arn:aws:ssm:${this.options.region}:${this.options.accountId}:parameter/${p.Name.replace(/^\//, '')}`,
      DataType: p.DataType,
    };
  }
}
