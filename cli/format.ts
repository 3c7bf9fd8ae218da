// How a plan is printed: for people, readable at a glance in the spirit of `cdk diff` (colour only on a terminal,
// never when NO_COLOR is set), or as one JSON object for machines.
import type { PlanAction } from '../lambda/common/plan';
import { type PlanReport, type ResourceResult, exitCode } from './plan';

export interface Style {
  readonly color: boolean;
}

/** Colour only on a TTY, and never with NO_COLOR set (https://no-color.org: any non-empty value). */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return { color: !!stream.isTTY && !env.NO_COLOR };
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, gray: 90, bold: 1 } as const;

function paint(style: Style, code: keyof typeof CODES, text: string): string {
  return style.color ? `\x1b[${CODES[code]}m${text}\x1b[${code === 'bold' ? 22 : 39}m` : text;
}

const MARK: Record<PlanAction, { mark: string; color: keyof typeof CODES }> = {
  create: { mark: '[+]', color: 'green' },
  update: { mark: '[~]', color: 'yellow' },
  delete: { mark: '[-]', color: 'red' },
  none: { mark: '[=]', color: 'gray' },
  blocked: { mark: '[!]', color: 'red' },
  unknown: { mark: '[?]', color: 'cyan' },
};

/** The `--json` output: exactly one object. */
export function toJson(report: PlanReport): string {
  const resources = report.resources.map((r) => ({
    stack: r.stack,
    logicalId: r.logicalId,
    path: r.path,
    resourceType: r.resourceType,
    action: r.action,
    manages: r.manages,
    drift: r.drift,
    writes: r.writes,
    reason: r.reason ?? null,
    onDelete: r.onDelete,
    account: r.account ?? null,
    region: r.region ?? null,
  }));
  return `${JSON.stringify({ resources, summary: report.summary }, null, 2)}\n`;
}

/** The human output: per stack, each resource with its action, writes, drift, on delete and reason; then a summary. */
export function toText(report: PlanReport, style: Style): string {
  const out: string[] = [];
  const stacks = [...new Set(report.resources.map((r) => r.stack))];
  for (const stack of stacks) {
    const rows = report.resources.filter((r) => r.stack === stack);
    const env = rows[0].account || rows[0].region ? ` (${[rows[0].account, rows[0].region].filter(Boolean).join(' / ')})` : '';
    out.push(paint(style, 'bold', `Stack ${stack}${env}`));
    for (const r of rows) out.push(...resourceLines(r, style));
    out.push('');
  }
  for (const w of report.warnings) out.push(paint(style, 'yellow', `warning: ${w}`));
  if (report.warnings.length) out.push('');
  out.push(summaryLine(report, style));
  return `${out.join('\n')}\n`;
}

function resourceLines(r: ResourceResult, style: Style): string[] {
  const { mark, color } = MARK[r.action];
  const lines = [`${paint(style, color, mark)} ${r.resourceType} ${r.logicalId}  ${r.manages}  ${paint(style, color, r.action)}`];
  const field = (name: string, value: string) => lines.push(`    ${paint(style, 'gray', name.padEnd(10))}${value}`);
  field('path', r.path);
  r.writes.forEach((w, i) => field(i === 0 ? 'writes' : '', `${i + 1}. ${w.operation}: ${w.summary}`));
  if (r.drift) field('drift', r.drift.drifted ? paint(style, 'yellow', `yes: ${r.drift.detail ?? 'the live setting changed outside the stack'}`) : 'no');
  if (r.onDelete) field('on delete', r.onDelete);
  if (r.reason) field(r.action === 'blocked' ? 'blocked' : r.action === 'unknown' ? 'unknown' : 'note', r.action === 'blocked' ? paint(style, 'red', r.reason) : r.reason);
  return lines;
}

function summaryLine(report: PlanReport, style: Style): string {
  const s = report.summary;
  const counts = `${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.none} unchanged, ${s.blocked} blocked, ${s.unknown} unknown`;
  switch (exitCode(s)) {
    case 3:
      return `${paint(style, 'red', 'The next deploy would FAIL')} (${counts}).`;
    case 2:
      return `${paint(style, 'yellow', s.create + s.update + s.delete > 0 ? 'The next deploy would make changes' : 'The next deploy might make changes')} (${counts}).`;
    default:
      return report.resources.length === 0 ? 'Nothing to plan.' : `${paint(style, 'green', 'Nothing would change')} (${counts}).`;
  }
}
