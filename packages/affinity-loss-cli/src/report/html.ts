/**
 * report.html: one self-contained page (inline CSS, inline SVG, no scripts, no external
 * URLs) that opens offline and survives being mailed or attached to an issue.
 */
import type { ProtocolAggregate } from './aggregate.js';
import { FAILURES_NOTE, type MarkdownOptions } from './markdown.js';
import { slug } from './slug.js';
import { buildSections, type ReportTable } from './tables.js';

/** Options of `renderHtml`: the same as the markdown report's (the title is the page's too). */
export type HtmlOptions = MarkdownOptions;

/** A figure to embed: caption and SVG text. */
export interface HtmlFigure {
  /** File name without extension; becomes the figure's anchor id. */
  name: string;
  /** Caption. */
  title: string;
  /** SVG document text. */
  svg: string;
}

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; margin-bottom: 0.3em; }
code { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; word-break: break-all; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f4f4f4; } td.value { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.reference th { background: #eef3fb; }
p.note { margin: 0 0 0.3em; color: #555; font-size: 0.9em; }
figure { margin: 1em 0 2em; } figcaption { color: #555; font-size: 0.9em; }
figure svg { max-width: 100%; height: auto; }
`.trim();

/** Escapes text for element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * One table as an HTML `<table>` under its heading; bold cells are `<strong>`.
 *
 * @param idPrefix prefix of the heading's anchor id: every protocol has a `macroF1-last`.
 */
export function htmlTable(table: ReportTable, idPrefix = ''): string {
  const head = [table.corner, ...table.columns].map((text) => `<th>${escapeHtml(text)}</th>`).join('');
  const body = table.rows
    .map((row) => {
      const cells = row.cells
        .map((value) => `<td class="value">${value.bold ? `<strong>${escapeHtml(value.text)}</strong>` : escapeHtml(value.text)}</td>`)
        .join('');
      return `<tr><th scope="row">${escapeHtml(row.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  const note = table.note === undefined ? '' : `<p class="note">${escapeHtml(table.note)}</p>\n`;
  const className = table.id === 'reference' ? ' class="reference"' : '';
  return `<h3 id="${escapeHtml(idPrefix + table.id)}">${escapeHtml(table.title)}</h3>\n${note}<table${className}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * An SVG document ready to sit inside HTML: no XML prolog, and no xlink namespace when
 * nothing uses it (inline SVG needs neither, and the page then names no URL but the SVG
 * namespace). Element ids get `idPrefix`: Vega numbers its clip paths `clip1`, `clip2`, ...
 * in every SVG, and in one page `url(#clip1)` would resolve to the first figure's clip.
 */
export function inlineSvg(svg: string, idPrefix = ''): string {
  let inline = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '');
  if (idPrefix !== '') {
    inline = inline
      .replace(/\sid="([^"]*)"/g, (_, id: string) => ` id="${idPrefix}${id}"`)
      .replace(/url\(#([^)]*)\)/g, (_, id: string) => `url(#${idPrefix}${id})`)
      .replace(/href="#([^"]*)"/g, (_, id: string) => `href="#${idPrefix}${id}"`);
  }
  // Vega uses xlink only for image marks (xlink:href); every other xlink attribute is as rare.
  if (!/\sxlink:[a-z]+=/i.test(inline)) inline = inline.replace(/\sxmlns:xlink="[^"]*"/, '');
  return inline;
}

/** The whole report page: title, command, per protocol its tables, then every figure. */
export function renderHtml(aggregates: readonly ProtocolAggregate[], figures: readonly HtmlFigure[], options: HtmlOptions): string {
  const parts = [`<h1>${escapeHtml(options.title)}</h1>`];
  const commands = options.commands ?? [];
  if (commands.length === 1) parts.push(`<p>Command: <code>${escapeHtml(commands[0])}</code></p>`);
  if (commands.length > 1) {
    parts.push(`<p>Commands (each made some of the runs):</p>\n<ul>\n${commands.map((command) => `<li><code>${escapeHtml(command)}</code></li>`).join('\n')}\n</ul>`);
  }
  const sections = buildSections(aggregates, { reference: options.reference, referenceProtocol: options.referenceProtocol });
  for (const section of sections) {
    parts.push(`<h2>Protocol: ${escapeHtml(section.protocol)}</h2>`, `<p>${escapeHtml(section.summary)}</p>`);
    for (const table of section.tables) parts.push(htmlTable(table, `${slug(section.protocol)}-`));
  }
  const failures = options.failures ?? [];
  if (failures.length > 0) {
    const items = failures.map((failure) => `<li><code>${escapeHtml(failure.id)}</code>: ${escapeHtml(failure.message)}</li>`).join('\n');
    parts.push('<h2>Failed runs</h2>', `<p>${escapeHtml(FAILURES_NOTE)}</p>`, `<ul>\n${items}\n</ul>`);
  }
  if (figures.length > 0) {
    parts.push('<h2>Figures</h2>');
    for (const figure of figures) {
      parts.push(`<figure id="${escapeHtml(figure.name)}">\n${inlineSvg(figure.svg, `${figure.name}-`)}\n<figcaption>${escapeHtml(figure.title)}</figcaption>\n</figure>`);
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>\n${STYLE}\n</style>`,
    '</head>',
    '<body>',
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
