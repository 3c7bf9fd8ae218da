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
  /** See {@link SsmState.recreateWindowMs}. Default 30 000; 0 turns the refusal off. */
  recreateWindowMs?: number;
  /** The time scale k (emulator.rateLimits.scale): the window lasts recreateWindowMs / k. Default 1. */
  timeScale?: () => number;
}

/** "After deleting a parameter, wait for at least 30 seconds to create a parameter with the same name." */
export const RECREATE_WINDOW_MS = 30_000;

function validation(message: string): AwsError {
  return new AwsError(400, 'ValidationException', message, {}, 'Message');
}

function notFound(name: string): AwsError {
  return new AwsError(400, 'ParameterNotFound', `Parameter ${name} not found.`);
}

function alreadyExists(): AwsError {
  return new AwsError(400, 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
}

export class SsmState {
  private readonly params = new Map<string, StoredParameter>();
  /** When each name was last deleted through the API (epoch ms), for the re-create window. */
  private readonly deletedAt = new Map<string, number>();
  /**
   * The re-create window before scaling, in ms: a PutParameter that would create a name deleted (through
   * DeleteParameter or DeleteParameters) less than this long ago is refused, although no such parameter exists. The
   * API reference of both deletes: "After deleting a parameter, wait for at least 30 seconds to create a parameter
   * with the same name". 0 turns it off. {@link reset} restores the value given in the options.
   */
  recreateWindowMs: number;

  constructor(private readonly options: SsmOptions) {
    this.recreateWindowMs = options.recreateWindowMs ?? RECREATE_WINDOW_MS;
  }

  reset(): void {
    this.params.clear();
    this.deletedAt.clear();
    this.recreateWindowMs = this.options.recreateWindowMs ?? RECREATE_WINDOW_MS;
  }

  /** The window as it applies now: {@link recreateWindowMs} divided by the time scale. */
  get effectiveRecreateWindowMs(): number {
    return this.recreateWindowMs / (this.options.timeScale?.() ?? 1);
  }

  /** How many more ms a create of `name` is refused (0 when it is allowed). */
  recreateBlockedForMs(name: string): number {
    const at = this.deletedAt.get(name);
    if (at === undefined || this.params.has(name)) return 0;
    const left = at + this.effectiveRecreateWindowMs - Date.now();
    if (left > 0) return left;
    this.deletedAt.delete(name);
    return 0;
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

  /**
   * Deletes directly, without log entry (e.g. an operator cleaning up by hand). It starts no re-create window
   * unless `startRecreateWindow` (a delete through the API always starts one).
   */
  remove(name: string, startRecreateWindow = false): void {
    if (this.params.delete(name) && startRecreateWindow) this.deletedAt.set(name, Date.now());
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
        this.deletedAt.set(name, Date.now());
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
    if (existing && Overwrite !== true) throw alreadyExists();
    // The re-create window (see recreateWindowMs). UNVERIFIED, both: the error (the docs name none; we answer what a
    // create of an existing name gets, ParameterAlreadyExists, so a create-only writer that then finds no parameter
    // can tell "deleted moments ago" from "held by someone") and that Overwrite=true is refused too (the stricter
    // reading: the docs' sentence is about creating the name, whatever the flag; an Overwrite=true write of a name
    // that does not exist creates it).
    if (!existing && this.recreateBlockedForMs(name) > 0) throw alreadyExists();
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
    const now = Date.now();
    for (const name of deleted) this.deletedAt.set(name, now);
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
