// Wire-level helpers shared by every emulated service.
//
// The SDK's JSON protocols find the error's name in the body's `__type` (shape id, the part after `#` wins) or in the
// `x-amzn-errortype` header; we send both, so a parser that only looks at one of them still works. Query-compatible
// services (SSM) also send `x-amzn-query-error`, which the SDK prefers when present.

export type ServiceName = 'PartnerCentralAccount' | 'WorkSpaces' | 'SSM' | 'Lambda' | 'CloudFormation' | 'STS';

/** A service error as the emulator puts it on the wire. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    /** Short exception name, e.g. `ConflictException`. */
    readonly type: string,
    message: string,
    /** Modeled members other than the message, e.g. `{ Reason: '...' }`. */
    readonly fields: Record<string, unknown> = {},
    /** Members' spelling of the message: Partner Central models `Message`, WorkSpaces and most SSM errors `message`. */
    readonly messageField: 'message' | 'Message' = 'message',
  ) {
    super(message);
    this.name = type;
  }
}

/** Maps a service's short error name to its full shape id and any protocol-specific headers. */
export interface ErrorEncoding {
  readonly namespace: string;
  readonly queryCompatible?: boolean;
  /** A protocol of its own (awsQuery's XML, emulator/query-protocol.ts) instead of JSON. */
  readonly encode?: (err: AwsError) => { status: number; headers: Record<string, string>; body: string };
}

export function encodeError(err: AwsError, enc: ErrorEncoding): { status: number; headers: Record<string, string>; body: string } {
  if (enc.encode) return enc.encode(err);
  const headers: Record<string, string> = { 'x-amzn-errortype': err.type };
  if (enc.queryCompatible) headers['x-amzn-query-error'] = `${err.type};${err.status >= 500 ? 'Receiver' : 'Sender'}`;
  const body = JSON.stringify({ __type: `${enc.namespace}#${err.type}`, [err.messageField]: err.message, ...err.fields });
  return { status: err.status, headers, body };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy through JSON, so callers never hold references into the emulator's state. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Opaque paging token holding a cursor; tokens of another operation or a tampered token are rejected. */
export function encodeToken(scope: string, cursor: string): string {
  return Buffer.from(JSON.stringify({ s: scope, c: cursor }), 'utf8').toString('base64');
}

export function decodeToken(scope: string, token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; c?: unknown };
    return parsed.s === scope && typeof parsed.c === 'string' ? parsed.c : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the page of `items` (sorted by key) that starts after the cursor. */
export function page<T>(items: T[], key: (item: T) => string, after: string | undefined, size: number): { items: T[]; next?: string } {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const start = after === undefined ? 0 : sorted.findIndex((i) => key(i) > after);
  const from = start < 0 ? sorted.length : start;
  const slice = sorted.slice(from, from + size);
  const next = from + size < sorted.length ? key(slice[slice.length - 1]) : undefined;
  return { items: slice, next };
}
