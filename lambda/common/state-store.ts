// Per-resource state in SSM Parameter Store. The snapshot taken at Create (needed to reverse it at Delete) can be
// ~10 KB: too big for the physical id (1 KB) or the response (4 KB), and sometimes bigger than one standard parameter.
//
// Layout under a deterministic base name (one per managed setting, e.g. /cdk-connection-sharing/partner-central/AWS):
//   <base>/header          JSON {v, owner, meta, sha256, enc?, inline?, gen, parts}  - also the lock
//   <base>/<gen>/<i>       the encoded snapshot split in parts, only when it does not fit inline in the header
//
// Every Parameter Store write spends the account's shared budget (PutParameter: 3 per second per account and Region
// by default), so the layout is chosen for the fewest writes: the snapshot goes inline in the header, gzip-compressed
// when that is what makes it fit, so a Create is ONE create-only write that is at the same time the claim (the lock)
// and the snapshot; an Update that changes the bookkeeping is one overwrite of the header; a Delete is one
// DeleteParameters. Only a snapshot that does not fit one parameter even compressed is split into parts, which are
// written under a fresh generation (`<owner tag>-<random>`) before the header points at them, so a crash half-way
// never leaves a header that points at torn parts, and no writer ever overwrites parts a header points at.
import { createHash, randomBytes } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';
import {
  DeleteParametersCommand,
  GetParametersByPathCommand,
  type Parameter,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { OperatorError, errorName } from './errors';
import { log } from './log';
import { clock, sleep } from './sdk';

/** Standard-tier parameters hold at most 4096 characters; keep a margin. */
export const PART_CHARS = 4000;
const HEADER = 'header';
/** DeleteParameters takes at most 10 names per call; GetParametersByPath returns at most 10 per page. */
const BATCH = 10;
/** The re-create window after a delete: how often a refused create-only write is tried again. */
const RECREATE_RETRY_MS = 3_000;

export interface Owner {
  readonly stackId: string;
  readonly logicalResourceId: string;
}

export interface StateRecord<T> {
  readonly owner: Owner;
  /** What the resource found at Create, needed to reverse it. */
  readonly snapshot: T;
  /** Small bookkeeping, e.g. a digest of what this resource last applied. */
  readonly meta: Record<string, unknown>;
}

/** What a read found: the record, the holder even when its record is unreadable, and every parameter name. */
export interface Stored<T> {
  readonly record?: StateRecord<T>;
  readonly owner?: Owner;
  readonly names: string[];
}

interface Header {
  v: 1 | 2;
  owner: Owner;
  meta: Record<string, unknown>;
  /** The snapshot's JSON text, hashed before encoding. */
  sha256: string;
  /** How `inline` or the parts encode the JSON text: absent = the text itself (v1), `gzip` = base64 of gzip. */
  enc?: 'gzip';
  inline?: string;
  gen: string;
  parts: number;
}

/** How a claim went. */
export type ClaimOutcome =
  /** The setting was free: this is the resource's first claim. */
  | 'created'
  /** The same resource already holds it (a repeated delivery, or its state outlived a failed response). */
  | 'ours'
  /** A resource of a stack that no longer exists (same stack name, Region, account and logical id) held it. */
  | 'takeover';

export interface Claim<T> {
  readonly outcome: ClaimOutcome;
  /** The record now stored: for `ours` and `takeover`, the earlier snapshot (what was there before the first Create). */
  readonly record: StateRecord<T>;
  readonly names: string[];
  /** For `takeover`: the record as the stale holder left it, to put back if this event fails. */
  readonly previous?: StateRecord<T>;
}

/** Thrown by `claim` when another live resource owns the setting. */
export class LockHeldError extends OperatorError {
  constructor(
    readonly base: string,
    readonly holder: Owner,
    what: string,
    region: string,
  ) {
    const stack = parseStackId(holder.stackId);
    super(
      `${what} is already managed by resource ${holder.logicalResourceId} of stack ${stack?.name ?? holder.stackId} ` +
        `(${holder.stackId}). Only one resource may manage it, so nothing was changed. Either remove that resource from ` +
        `its stack (or delete that stack) and deploy this one again, or keep that one and remove this one. If you are sure ` +
        `no stack manages it any more, release the claim by deleting the SSM parameters under ${base} in ${region} ` +
        `(aws ssm get-parameters-by-path --recursive --path ${base} --region ${region}, then delete-parameters), and retry.`,
    );
    this.name = 'LockHeldError';
  }
}

/**
 * Thrown by `read` (and so by `claim`) when a record exists but cannot be read: a header that is not valid JSON or
 * lacks its fields, parts missing (a partial manual `delete-parameters`), or a checksum that does not match.
 * Retrying cannot help, so it fails at once, naming the path, the owner when the header says it, and the parameters
 * to delete.
 */
export class UnreadableStateError extends OperatorError {
  constructor(
    readonly base: string,
    readonly owner: Owner | undefined,
    readonly names: string[],
    readonly what: string,
    readonly region: string,
    readonly why: string,
  ) {
    const holder = owner
      ? `Its header says it belongs to resource ${owner.logicalResourceId} of stack ${parseStackId(owner.stackId)?.name ?? owner.stackId} (${owner.stackId}).`
      : 'Its header does not say which resource owns it.';
    const shownNames = names.slice(0, 10).join(' ');
    const more = names.length > 10 ? ` (and ${names.length - 10} more under that path)` : '';
    super(
      `The saved state of ${what} under ${base} in ${region} cannot be read: ${why}. ${holder} Nothing was changed, and retrying ` +
        'cannot help. The snapshot it held (what Delete would restore) is lost; check that setting by hand. To start over, delete ' +
        `every parameter under that path, then retry: aws ssm delete-parameters --region ${region} --names ${shownNames}${more}.`,
    );
    this.name = 'UnreadableStateError';
  }
}

/** The owner a CloudFormation event speaks for: its stack id and logical id. */
export function ownerOf(event: { StackId: string; LogicalResourceId: string }): Owner {
  return { stackId: event.StackId, logicalResourceId: event.LogicalResourceId };
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.stackId === b.stackId && a.logicalResourceId === b.logicalResourceId;
}

/** The parts of a CloudFormation stack id: `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<guid>`. */
export function parseStackId(stackId: string): { partition: string; region: string; account: string; name: string; guid: string } | undefined {
  const m = /^arn:([^:]+):cloudformation:([^:]+):([^:]+):stack\/([^/]+)\/(.+)$/.exec(stackId);
  return m ? { partition: m[1], region: m[2], account: m[3], name: m[4], guid: m[5] } : undefined;
}

/**
 * True when `holder` is the same resource of an earlier stack of the same name: same stack name, partition, Region,
 * account and logical id, another stack id. Stack names are unique among the live stacks of an account and Region,
 * so that earlier stack no longer exists (deleted with its resources retained, or a Create that timed out), and
 * its claim is stale.
 */
export function isStaleClaimOf(holder: Owner, claimant: Owner): boolean {
  if (holder.stackId === claimant.stackId || holder.logicalResourceId !== claimant.logicalResourceId) return false;
  const h = parseStackId(holder.stackId);
  const c = parseStackId(claimant.stackId);
  return !!h && !!c && h.partition === c.partition && h.region === c.region && h.account === c.account && h.name === c.name;
}

/** The owner a header names, or undefined when it names none (a header written by hand, or torn). */
function validOwner(value: unknown): Owner | undefined {
  const o = value as Partial<Owner> | undefined;
  return typeof o?.stackId === 'string' && typeof o.logicalResourceId === 'string' ? { stackId: o.stackId, logicalResourceId: o.logicalResourceId } : undefined;
}

/** JSON with every non-ASCII character escaped, so characters and bytes count the same against the size limit. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A generation name no other writer uses: the owner's tag (readable in the console) plus random bits. */
function newGeneration(owner: Owner): string {
  return `${sha256(`${owner.stackId}|${owner.logicalResourceId}`).slice(0, 8)}-${randomBytes(4).toString('hex')}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class StateStore<T> {
  /** The header this instance last read or wrote, so that a save of an unchanged snapshot rewrites the header only. */
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

  /**
   * The stored record, or none. A record that exists but cannot be read throws an UnreadableStateError (naming its
   * owner when the header does): a partial delete or a torn write never reads as "nobody holds it". `listed`: the
   * parameters of one recursive read of a path above `base` (the `plan` command reads a whole kind at once), instead
   * of this store's own read.
   */
  async read(listed?: readonly Parameter[]): Promise<Stored<T>> {
    const params = listed ? listed.filter((p) => p.Name?.startsWith(`${this.base}/`)) : await this.list();
    const names = params.map((p) => p.Name!);
    const headerParam = params.find((p) => p.Name === `${this.base}/${HEADER}`);
    if (!headerParam) return { names };
    let header: Header;
    try {
      header = JSON.parse(headerParam.Value ?? '') as Header;
    } catch {
      throw await this.unreadable(undefined, names, `its header ${this.base}/${HEADER} is not valid JSON`);
    }
    const owner = validOwner(header?.owner);
    if (!owner || typeof header.sha256 !== 'string' || (header.inline === undefined && (typeof header.gen !== 'string' || !Number.isInteger(header.parts)))) {
      throw await this.unreadable(owner, names, `its header ${this.base}/${HEADER} lacks ${owner ? 'the checksum or the location of the snapshot' : 'its owner'}`);
    }
    this.known = header;
    let encoded: string | undefined = header.inline;
    if (encoded === undefined) {
      const prefix = `${this.base}/${header.gen}/`;
      const parts = params
        .filter((p) => p.Name!.startsWith(prefix))
        .sort((a, b) => Number(a.Name!.slice(prefix.length)) - Number(b.Name!.slice(prefix.length)));
      if (parts.length !== header.parts) {
        throw await this.unreadable(owner, names, `its header points at ${header.parts} part(s) under ${prefix}, and ${parts.length} of them are there`);
      }
      encoded = parts.map((p) => p.Value!).join('');
    }
    const text = decode(encoded, header.enc);
    if (text === undefined || sha256(text) !== header.sha256) {
      throw await this.unreadable(owner, names, `its snapshot does not match the checksum in its header (${text === undefined ? 'undecodable' : 'changed or torn'})`);
    }
    return { record: { owner, meta: header.meta ?? {}, snapshot: JSON.parse(text) as T }, names, owner };
  }

  private async unreadable(owner: Owner | undefined, names: string[], why: string): Promise<UnreadableStateError> {
    const region = await this.region();
    log.error('the saved state cannot be read', { base: this.base, why, owner, names });
    return new UnreadableStateError(this.base, owner, names, this.what, region, why);
  }

  /**
   * Claims the setting for `owner` with `snapshot` and `meta`: one create-only write when the snapshot fits the
   * header. If `owner` already holds it (a repeated delivery of the same Create), the stored record is returned
   * unchanged, so the snapshot taken before any write is kept. A stale claim of the same resource of an earlier
   * stack of the same name is taken over, keeping its snapshot. A name deleted moments ago (Parameter Store refuses
   * to re-create a name for about 30 s after its deletion) is tried again while the invocation has time.
   */
  async claim(owner: Owner, snapshot: T, meta: Record<string, unknown> = {}): Promise<Claim<T>> {
    const header = this.header(owner, meta, asciiJson(snapshot));
    // Parts first (under this owner's own generation), then the header that makes them visible and takes the lock.
    await this.putParts(header.encoded, header.value);
    let waitedMs = 0;
    for (;;) {
      try {
        await this.put(HEADER, asciiJson(header.value), false);
        this.known = header.value;
        return { outcome: 'created', record: { owner, snapshot, meta }, names: this.namesOf(header.value) };
      } catch (err) {
        if (errorName(err) !== 'ParameterAlreadyExists') {
          // The parts just written belong to no header: leave nothing behind (best effort; the error is what matters).
          await this.deleteNames(this.partNames(header.value)).catch(() => undefined);
          throw err;
        }
      }
      const existing = await this.read().catch(async (err: unknown) => {
        // An unreadable record (whoever holds it) can never be claimed by waiting: fail now, saying what to delete,
        // which is what was there before this claim: its own parts go again.
        const mine = new Set(this.partNames(header.value));
        await this.deleteNames([...mine]).catch(() => undefined);
        if (!(err instanceof UnreadableStateError)) throw err;
        throw new UnreadableStateError(err.base, err.owner, err.names.filter((n) => !mine.has(n)), err.what, err.region, err.why);
      });
      const holder = existing?.owner;
      if (holder && sameOwner(holder, owner)) {
        await this.deleteNames(this.partNames(header.value));
        return { outcome: 'ours', record: existing!.record!, names: existing!.names };
      }
      if (holder && isStaleClaimOf(holder, owner) && existing?.record) {
        const previous = existing.record;
        const record: StateRecord<T> = { owner, snapshot: previous.snapshot, meta: { ...previous.meta, ...meta } };
        log.warn('took over the claim of the same resource of an earlier stack of the same name, which no longer exists', {
          base: this.base,
          previousStackId: holder.stackId,
          logicalResourceId: holder.logicalResourceId,
        });
        await this.deleteNames(this.partNames(header.value));
        const names = await this.save(record, existing.names);
        return { outcome: 'takeover', record, names, previous };
      }
      if (holder) {
        await this.deleteNames(this.partNames(header.value));
        throw new LockHeldError(this.base, holder, this.what, await this.region());
      }
      // No header although the create-only write was refused: the name was deleted moments ago.
      const delay = Math.min(RECREATE_RETRY_MS * 2 ** Math.min(waitedMs / RECREATE_RETRY_MS, 3), 10_000);
      if (delay >= clock.remainingMs()) {
        await this.deleteNames(this.partNames(header.value));
        throw new OperatorError(
          `Could not claim ${this.what}: Parameter Store still refuses to re-create ${this.base}/${HEADER}, deleted moments ago ` +
            `(it refuses a name for about 30 s after its deletion); waited ${Math.round(waitedMs / 1000)} s. Retry the deployment.`,
        );
      }
      log.info('the state was deleted moments ago and cannot be re-created yet: waiting', { base: this.base, delayMs: delay });
      await sleep(delay);
      waitedMs += delay;
    }
  }

  /**
   * Rewrites the record of a setting this owner holds: one overwrite of the header when the snapshot fits it.
   * Returns the names now stored. `previousNames`: the names a read returned, whose stale parts are deleted.
   */
  async save(record: StateRecord<T>, previousNames: string[]): Promise<string[]> {
    const text = asciiJson(record.snapshot);
    const known = this.known;
    if (known && known.parts > 0 && known.sha256 === sha256(text) && sameOwner(known.owner, record.owner)) {
      // The same split snapshot (only the bookkeeping changed): the parts stay, one write instead of all.
      const value: Header = { ...known, meta: record.meta };
      if (asciiJson(value).length <= PART_CHARS) {
        await this.put(HEADER, asciiJson(value), true);
        this.known = value;
        return this.namesOf(value);
      }
    }
    const header = this.header(record.owner, record.meta, text);
    await this.putParts(header.encoded, header.value);
    await this.put(HEADER, asciiJson(header.value), true);
    this.known = header.value;
    const names = this.namesOf(header.value);
    const keep = new Set(names);
    await this.deleteNames(previousNames.filter((n) => !keep.has(n)));
    return names;
  }

  /** Deletes every parameter of this setting: one call for a header and up to nine parts. */
  async remove(names?: string[]): Promise<void> {
    await this.deleteNames(names ?? (await this.list()).map((p) => p.Name!));
  }

  /** The header for a snapshot: inline as is, inline compressed, or compressed in parts, whichever fits first. */
  private header(owner: Owner, meta: Record<string, unknown>, text: string): { value: Header; encoded: string } {
    const base: Header = { v: 2, owner, meta, sha256: sha256(text), gen: '', parts: 0 };
    if (asciiJson({ ...base, inline: text }).length <= PART_CHARS) return { value: { ...base, inline: text }, encoded: text };
    const zipped = gzipSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');
    if (asciiJson({ ...base, enc: 'gzip', inline: zipped }).length <= PART_CHARS) return { value: { ...base, enc: 'gzip', inline: zipped }, encoded: zipped };
    return { value: { ...base, enc: 'gzip', gen: newGeneration(owner), parts: Math.ceil(zipped.length / PART_CHARS) }, encoded: zipped };
  }

  private partNames(header: Header): string[] {
    return Array.from({ length: header.parts }, (_, i) => `${this.base}/${header.gen}/${i}`);
  }

  private namesOf(header: Header): string[] {
    return [`${this.base}/${HEADER}`, ...this.partNames(header)];
  }

  private async putParts(encoded: string, header: Header): Promise<void> {
    for (let i = 0; i < header.parts; i++) {
      await this.put(`${header.gen}/${i}`, encoded.slice(i * PART_CHARS, (i + 1) * PART_CHARS), true);
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
      // Pages may hold fewer than asked, even none, with a NextToken: always follow it.
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: this.base, Recursive: true, MaxResults: BATCH, NextToken }));
      params.push(...(page.Parameters ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return params;
  }

  private async deleteNames(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += BATCH) {
      await this.ssm.send(new DeleteParametersCommand({ Names: names.slice(i, i + BATCH) }));
    }
  }

  private async region(): Promise<string> {
    return typeof this.ssm.config.region === 'function' ? await this.ssm.config.region() : String(this.ssm.config.region);
  }
}

/**
 * Every parameter under `path` (a kind's prefix, holding many stores), by one recursive read following NextToken,
 * for {@link StateStore.read}'s `listed`; undefined when it would take more than `maxPages` pages (reading the
 * stores one by one is then cheaper).
 */
export async function listTree(ssm: SSMClient, path: string, maxPages: number): Promise<Parameter[] | undefined> {
  const params: Parameter[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    if (pages++ >= maxPages) return undefined;
    const page = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, MaxResults: BATCH, NextToken }));
    params.push(...(page.Parameters ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return params;
}

function decode(encoded: string, enc: Header['enc']): string | undefined {
  if (enc === undefined) return encoded;
  try {
    return gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8');
  } catch {
    return undefined;
  }
}
