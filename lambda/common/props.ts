// CloudFormation delivers every scalar property as a string, and stacks deployed with older versions of the
// constructs keep sending older property shapes: parse leniently, in one place.
import { OnDelete } from '../../lib/common/on-delete';
import { OperatorError } from './errors';

export function asString(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new OperatorError(`Property ${name} must be a string, got ${JSON.stringify(value)}.`);
}

export function optionalString(value: unknown, name: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : asString(value, name);
}

/**
 * A list property: an array (of strings or numbers, which CloudFormation may stringify), a JSON array in a
 * string, or a comma-separated string. Returned sorted and de-duplicated, so that order never matters.
 */
export function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        items = JSON.parse(trimmed);
      } catch {
        throw new OperatorError(`Property ${name} is not a valid JSON list: ${truncateValue(value)}.`);
      }
      if (!Array.isArray(items)) throw new OperatorError(`Property ${name} must be a list.`);
    } else items = trimmed.split(',');
  } else throw new OperatorError(`Property ${name} must be a list of strings, got ${truncateValue(value)}.`);
  return sortedUnique(items.map((item) => asString(item, name).trim()).filter((item) => item.length > 0));
}

/**
 * A list property as declared: the same shapes as `stringList`, but every item kept (trimmed), in order, empty ones
 * and repeats included, so that a parser can refuse what the construct refuses at synth. A token list resolves at
 * deploy time to values synth never saw: an empty CommaDelimitedList parameter arrives as `[""]`.
 */
export function listItems(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        items = JSON.parse(trimmed);
      } catch {
        throw new OperatorError(`Property ${name} is not a valid JSON list: ${truncateValue(value)}.`);
      }
      if (!Array.isArray(items)) throw new OperatorError(`Property ${name} must be a list.`);
    } else items = trimmed.split(',');
  } else throw new OperatorError(`Property ${name} must be a list of strings, got ${truncateValue(value)}.`);
  return items.map((item) => asString(item, name).trim());
}

/** The items that appear more than once, sorted. */
export function repeated(items: readonly string[]): string[] {
  return sortedUnique(items.filter((item, i) => items.indexOf(item) !== i));
}

/** A value as it arrived, for a message: JSON, cut at 200 characters. */
export function shown(value: unknown): string {
  return truncateValue(value);
}

export function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

function truncateValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * The reconcile value of an Update that brings a new one (lib/common/reconcile.ts), or undefined. Only for the log:
 * the property changes nothing in what the handler does (an Update converges anyway), and it never throws, since an
 * Update must not be refused for a property it does not use.
 */
export function newReconcileValue(event: { ResourceProperties: Record<string, unknown>; OldResourceProperties?: Record<string, unknown> }, key: string): string | undefined {
  const value = event.ResourceProperties[key];
  if (typeof value !== 'string' || value === '' || value === event.OldResourceProperties?.[key]) return undefined;
  return value.length > 100 ? `${value.slice(0, 100)}...` : value;
}

/** The `OnDelete` property of every kind: RESTORE unless said otherwise, in any case. */
export function parseOnDelete(props: Record<string, unknown>, key = 'OnDelete'): OnDelete {
  const value = optionalString(props[key], key)?.trim().toUpperCase();
  if (value === undefined) return OnDelete.RESTORE;
  if (!(Object.values(OnDelete) as string[]).includes(value)) {
    throw new OperatorError(`Property ${key} '${value}' is invalid: use one of ${Object.values(OnDelete).join(', ')}.`);
  }
  return value as OnDelete;
}
