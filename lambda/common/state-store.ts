// Per-resource state in SSM Parameter Store. The snapshot taken at Create (needed to reverse it at Delete) can be
// ~10 KB: too big for the physical id (1 KB) or the response (4 KB), and bigger than one standard parameter.
//
// Layout under a deterministic base name (one per managed setting, e.g. /cdk-connection-sharing/partner-central/AWS):
//   <base>/header          JSON {v, owner, meta, gen, parts, sha256, inline?}  - also the lock
//   <base>/<gen>/<i>       the snapshot JSON split in parts, when it does not fit inline in the header
// The header is created with Overwrite=false, so exactly one resource can claim a setting. Split snapshots are
// written under a fresh generation (`<owner tag>-<random>`) before the header points at them, so a crash half-way
// never leaves a header that points at torn parts, and no writer (a losing claimer, or the holder claiming again)
// ever overwrites parts a header points at; parts no header points at are deleted afterwards.
import { createHash, randomBytes } from 'crypto';
import {
  DeleteParametersCommand,
  GetParametersByPathCommand,
  type Parameter,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { OperatorError, errorName } from './errors';

/** Standard-tier parameters hold at most 4096 characters; keep a margin. */
export const PART_CHARS = 4000;
const HEADER = 'header';
const DELETE_BATCH = 10;

export interface Owner {
  readonly stackId: string;
  readonly logicalResourceId: string;
}

export interface StateRecord<T> {
  readonly owner: Owner;
  /** What the resource found at Create, needed to reverse it. */
  readonly snapshot: T;
  /** Small, frequently rewritten bookkeeping (e.g. the last Revision written). */
  readonly meta: Record<string, unknown>;
}

interface Header {
  v: 1;
  owner: Owner;
  meta: Record<string, unknown>;
  gen: string;
  parts: number;
  sha256: string;
  inline?: string;
}

/** Thrown by `claim` when another resource owns the setting. */
export class LockHeldError extends OperatorError {
  constructor(
    readonly base: string,
    readonly holder: Owner,
    what: string,
    region: string,
  ) {
    super(
      `${what} is already managed by resource ${holder.logicalResourceId} of stack ${holder.stackId}. ` +
        'Only one resource may manage it: remove that resource (or its stack) first. If that stack no longer ' +
        `exists, release the claim by deleting the SSM parameters under ${base} in ${region} ` +
        `(aws ssm get-parameters-by-path --recursive --path ${base} --region ${region}, then delete-parameters), and retry.`,
    );
    this.name = 'LockHeldError';
  }
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.stackId === b.stackId && a.logicalResourceId === b.logicalResourceId;
}

/** JSON with every non-ASCII character escaped, so characters and bytes count the same against the size limit. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A generation name no other writer uses: the owner's tag (readable in the console) plus random bits. */
function newGeneration(owner: Owner): string {
  return `${sha256(`${owner.stackId}|${owner.logicalResourceId}`).slice(0, 8)}-${randomBytes(4).toString('hex')}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class StateStore<T> {
  /** The header this instance last read or wrote, so that a save of unchanged parts rewrites the header only. */
  private known?: Header;

  /**
   * @param ssm a client in the region the state lives in
   * @param base the deterministic parameter path of the managed setting
   * @param what how messages name the managed setting, e.g. "Partner Central connection preferences of catalog AWS"
   */
  constructor(
    private readonly ssm: SSMClient,
    readonly base: string,
    private readonly what: string,
  ) {}

  /** The stored record, or undefined when none (or only an unfinished claim with no readable snapshot) exists. */
  async read(): Promise<{ record?: StateRecord<T>; names: string[]; owner?: Owner }> {
    const params = await this.list();
    const names = params.map((p) => p.Name!);
    const headerParam = params.find((p) => p.Name === `${this.base}/${HEADER}`);
    if (!headerParam) return { names };
    const header = JSON.parse(headerParam.Value!) as Header;
    this.known = header;
    let text: string | undefined = header.inline;
    if (text === undefined) {
      const prefix = `${this.base}/${header.gen}/`;
      const parts = params
        .filter((p) => p.Name!.startsWith(prefix))
        .sort((a, b) => Number(a.Name!.slice(prefix.length)) - Number(b.Name!.slice(prefix.length)));
      text = parts.length === header.parts ? parts.map((p) => p.Value!).join('') : undefined;
    }
    if (text === undefined || sha256(text) !== header.sha256) {
      throw new OperatorError(
        `The saved state of ${this.what} under ${this.base} is incomplete or corrupt (expected ${header.parts} part(s)). ` +
          'Nothing was changed. Inspect those SSM parameters; delete them to start over (the pre-Create snapshot is then lost).',
      );
    }
    return { record: { owner: header.owner, meta: header.meta, snapshot: JSON.parse(text) as T }, names, owner: header.owner };
  }

  /**
   * Claims the setting for `owner` and stores its snapshot. If `owner` already holds it (a repeated delivery of the
   * same Create), the stored record is returned unchanged, so the snapshot taken before any write is kept.
   */
  async claim(owner: Owner, snapshot: T, meta: Record<string, unknown> = {}): Promise<{ record: StateRecord<T>; created: boolean; names: string[] }> {
    const text = asciiJson(snapshot);
    const header = this.header(owner, meta, text, newGeneration(owner));
    // Parts first (under this owner's own generation), then the header that makes them visible and takes the lock.
    await this.putParts(text, header);
    try {
      await this.put(HEADER, asciiJson(header), false);
      this.known = header;
      // The names are returned so that a following save() needs no listing call.
      return { record: { owner, snapshot, meta }, created: true, names: [`${this.base}/${HEADER}`, ...this.partNames(header)] };
    } catch (err) {
      if (errorName(err) !== 'ParameterAlreadyExists') throw err;
    }
    // Someone holds it (maybe this owner, on a repeated delivery): the parts just written are nobody's.
    await this.deleteNames(this.partNames(header));
    const existing = await this.read();
    if (existing.owner && sameOwner(existing.owner, owner)) return { record: existing.record!, created: false, names: existing.names };
    if (!existing.owner) throw new OperatorError(`Could not claim ${this.what}: its state under ${this.base} changed during the claim. Retry.`);
    throw new LockHeldError(this.base, existing.owner, this.what, await this.region());
  }

  /** Rewrites the record (snapshot and meta) of a setting this owner already holds. */
  async save(record: StateRecord<T>, previousNames: string[]): Promise<void> {
    const text = asciiJson(record.snapshot);
    const known = this.known;
    if (known && known.sha256 === sha256(text) && sameOwner(known.owner, record.owner)) {
      // Same snapshot (e.g. only the last written Revision changed): the parts stay, one write instead of all.
      const header: Header = { ...known, meta: record.meta };
      if (asciiJson(header).length <= PART_CHARS) {
        await this.put(HEADER, asciiJson(header), true);
        this.known = header;
        return;
      }
    }
    const header = this.header(record.owner, record.meta, text, newGeneration(record.owner));
    await this.putParts(text, header);
    await this.put(HEADER, asciiJson(header), true);
    this.known = header;
    const keep = new Set([`${this.base}/${HEADER}`, ...this.partNames(header)]);
    await this.deleteNames(previousNames.filter((n) => !keep.has(n)));
  }

  /** Deletes every parameter of this setting. */
  async remove(names?: string[]): Promise<void> {
    await this.deleteNames(names ?? (await this.list()).map((p) => p.Name!));
  }

  private header(owner: Owner, meta: Record<string, unknown>, text: string, gen: string): Header {
    const base: Header = { v: 1, owner, meta, gen, parts: 0, sha256: sha256(text) };
    if (asciiJson({ ...base, inline: text }).length <= PART_CHARS) return { ...base, inline: text };
    return { ...base, parts: Math.ceil(text.length / PART_CHARS) };
  }

  private partNames(header: Header): string[] {
    return Array.from({ length: header.parts }, (_, i) => `${this.base}/${header.gen}/${i}`);
  }

  private async putParts(text: string, header: Header): Promise<void> {
    for (let i = 0; i < header.parts; i++) {
      await this.put(`${header.gen}/${i}`, text.slice(i * PART_CHARS, (i + 1) * PART_CHARS), true);
    }
  }

  private async put(suffix: string, value: string, overwrite: boolean): Promise<void> {
    await this.ssm.send(
      new PutParameterCommand({ Name: `${this.base}/${suffix}`, Value: value, Type: 'String', Tier: 'Standard', Overwrite: overwrite }),
    );
  }

  private async list(): Promise<Parameter[]> {
    const params: Parameter[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: this.base, Recursive: true, MaxResults: 10, NextToken }));
      params.push(...(page.Parameters ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return params;
  }

  private async deleteNames(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += DELETE_BATCH) {
      await this.ssm.send(new DeleteParametersCommand({ Names: names.slice(i, i + DELETE_BATCH) }));
    }
  }

  private async region(): Promise<string> {
    return typeof this.ssm.config.region === 'function' ? await this.ssm.config.region() : String(this.ssm.config.region);
  }
}
