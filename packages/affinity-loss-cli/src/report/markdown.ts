/**
 * results.md: the report as GitHub-flavoured markdown tables, one set per protocol, readable
 * in a terminal, a pull request or a paper draft.
 */
import type { ProtocolAggregate } from './aggregate.js';
import { buildSections, type ReferenceTable, type ReportTable } from './tables.js';

/** Options of `renderMarkdown`. */
export interface MarkdownOptions {
  /** First-level heading. */
  title: string;
  /** The command lines that produced the runs (see `runCommands`), printed as code. */
  commands?: readonly string[];
  /** Published numbers, printed after the primary table. */
  reference?: ReferenceTable;
  /** Protocol the reference belongs to; when absent it goes under every protocol. */
  referenceProtocol?: string;
  /** Runs of this command that failed (see `ReportFailure`), listed after the tables. */
  failures?: readonly ReportFailure[];
}

/** A run that failed: it has no result, so no table shows it; the report names it and why. */
export interface ReportFailure {
  /** The run's id (its result file would be `runs/<id>.json`). */
  id: string;
  /** Why it failed. */
  message: string;
}

/** The sentence under a report's list of failed runs. */
export const FAILURES_NOTE = 'These runs have no result, so the tables leave them out; the same command again retries them.';

/** Escapes what would break a table cell: a pipe ends the cell, a newline ends the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** One table as markdown lines: heading, optional note, header, alignment row, rows. */
export function markdownTable(table: ReportTable): string {
  const lines = [`### ${table.title}`, ''];
  if (table.note !== undefined) lines.push(table.note, '');
  lines.push(`| ${[table.corner, ...table.columns].map(cell).join(' | ')} |`);
  lines.push(`|${[':--', ...table.columns.map(() => '--:')].map((align) => ` ${align} `).join('|')}|`);
  for (const row of table.rows) {
    const cells = row.cells.map((value) => (value.bold ? `**${cell(value.text)}**` : cell(value.text)));
    lines.push(`| ${[cell(row.label), ...cells].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A code span that survives backticks inside the command. */
function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return longestRun > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** The whole results.md: title, command, and per protocol its summary line and tables. */
export function renderMarkdown(aggregates: readonly ProtocolAggregate[], options: MarkdownOptions): string {
  const parts = [`# ${options.title}`];
  const commands = options.commands ?? [];
  if (commands.length === 1) parts.push(`Command: ${codeSpan(commands[0])}`);
  if (commands.length > 1) parts.push(`Commands (each made some of the runs):\n\n${commands.map((command) => `- ${codeSpan(command)}`).join('\n')}`);
  const sections = buildSections(aggregates, { reference: options.reference, referenceProtocol: options.referenceProtocol });
  for (const section of sections) {
    parts.push(`## Protocol: ${section.protocol}`, section.summary);
    for (const table of section.tables) parts.push(markdownTable(table));
  }
  const failures = options.failures ?? [];
  if (failures.length > 0) {
    parts.push('## Failed runs', FAILURES_NOTE, failures.map((failure) => `- ${codeSpan(failure.id)}: ${cell(failure.message)}`).join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}
