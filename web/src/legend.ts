/** The legend under the feature space: one entry per class (minority marked), then the markers. */
import type { DemoData } from './data';
import { isAffinityHead, type HeadName } from './model';
import { classColor } from './palette';

function item(parts: (string | Node)[], title?: string): HTMLLIElement {
  const li = document.createElement('li');
  li.append(...parts);
  if (title !== undefined) li.title = title;
  return li;
}

function swatch(kind: string, color?: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `swatch ${kind}`;
  if (color !== undefined) {
    span.style.setProperty('--swatch', color);
    if (kind !== 'triangle') span.style.background = color;
  }
  return span;
}

/** A small red "minority" tag. */
export function minorityTag(): HTMLSpanElement {
  const tag = document.createElement('span');
  tag.className = 'tag';
  tag.textContent = 'minority';
  return tag;
}

/** Fills the legend list for a dataset and a head. */
export function renderLegend(list: HTMLElement, data: DemoData, head: HeadName): void {
  const entries = data.classNames.map((name, c) => {
    const parts: (string | Node)[] = [swatch(data.minority[c] ? 'triangle' : 'circle', classColor(c)), `${name}`];
    if (data.minority[c]) parts.push(minorityTag());
    return item(parts, `${data.trainCounts[c]} training samples`);
  });
  if (isAffinityHead(head)) {
    entries.push(item([swatch('prototype'), 'prototype']));
    entries.push(item([swatch('band'), 'margin band']));
  } else if (head === 'center-loss') {
    entries.push(item([swatch('centre'), 'class centre']));
  }
  list.replaceChildren(...entries);
}
