/**
 * The metrics beside the feature space: a recall bar per class (minority classes marked) and
 * macro-F1 and accuracy over the steps, both on the balanced test set.
 */
import type { DemoData } from './data';
import { minorityTag } from './legend';
import { classColor } from './palette';

/** One bar per class, its width the class's recall. */
export class RecallBars {
  private fills: HTMLElement[] = [];
  private values: HTMLElement[] = [];

  constructor(private readonly container: HTMLElement) {}

  /** Rebuilds the rows for a dataset (class names, training counts, minority tags). */
  setClasses(data: DemoData): void {
    this.fills = [];
    this.values = [];
    const cells: HTMLElement[] = [];
    data.classNames.forEach((name, c) => {
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = `${name}`;
      label.title = `${data.trainCounts[c]} training samples`;
      const count = document.createElement('span');
      count.className = 'sub';
      count.textContent = `n=${data.trainCounts[c]}`;
      label.append(count);
      if (data.minority[c]) label.append(minorityTag());
      const track = document.createElement('span');
      track.className = 'track';
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.display = 'block';
      fill.style.background = classColor(c);
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = '–';
      cells.push(label, track, value);
      this.fills.push(fill);
      this.values.push(value);
    });
    this.container.replaceChildren(...cells);
  }

  /** Sets the bars to `recall` (one value in [0, 1] per class). */
  update(recall: number[]): void {
    recall.forEach((value, c) => {
      this.fills[c].style.width = `${(value * 100).toFixed(1)}%`;
      this.values[c].textContent = `${Math.round(value * 100)}%`;
    });
  }
}

/** One evaluation: the step and its test scores. */
interface HistoryPoint {
  step: number;
  macroF1: number;
  accuracy: number;
}

/** At most this many points are kept; older ones are thinned out, every other one dropped. */
const MAX_POINTS = 1200;

/** Macro-F1 (solid) and accuracy (dashed) against steps, with chance level dotted. */
export class HistoryChart {
  private points: HistoryPoint[] = [];
  private chance = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Starts a new history; `classes` sets the chance line at 1 / classes. */
  reset(classes: number): void {
    this.points = [];
    this.chance = 1 / classes;
    this.draw();
  }

  /** Adds an evaluation (ignored when the step did not change) and redraws. */
  add(point: HistoryPoint): void {
    const last = this.points.at(-1);
    if (last !== undefined && last.step === point.step) return;
    this.points.push(point);
    if (this.points.length > MAX_POINTS) this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    this.draw();
  }

  private draw(): void {
    const scale = window.devicePixelRatio || 1;
    const width = Math.max(100, Math.round(this.canvas.clientWidth * scale));
    const height = Math.max(60, Math.round(this.canvas.clientHeight * scale));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) return;
    const pad = { left: 30 * scale, right: 8 * scale, top: 8 * scale, bottom: 20 * scale };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = height - pad.top - pad.bottom;
    const lastStep = Math.max(10, this.points.at(-1)?.step ?? 0);
    const toX = (step: number) => pad.left + (step / lastStep) * plotWidth;
    const toY = (value: number) => pad.top + (1 - value) * plotHeight;

    ctx.clearRect(0, 0, width, height);
    ctx.font = `${10 * scale}px system-ui, sans-serif`;
    ctx.fillStyle = '#59636e';
    ctx.lineWidth = 1;
    for (const value of [0, 0.25, 0.5, 0.75, 1]) {
      ctx.strokeStyle = value === 0 ? '#adb5bd' : '#eef1f4';
      ctx.beginPath();
      ctx.moveTo(pad.left, toY(value));
      ctx.lineTo(width - pad.right, toY(value));
      ctx.stroke();
      ctx.fillText(value.toFixed(2), 2 * scale, toY(value) + 3 * scale);
    }
    ctx.fillText('0', pad.left, height - 5 * scale);
    const endLabel = `${lastStep} steps`;
    ctx.fillText(endLabel, width - pad.right - ctx.measureText(endLabel).width, height - 5 * scale);

    const line = (value: (p: HistoryPoint) => number, color: string, dash: number[]) => {
      ctx.strokeStyle = color;
      ctx.setLineDash(dash.map((d) => d * scale));
      ctx.lineWidth = 2 * scale;
      ctx.beginPath();
      this.points.forEach((p, i) => (i === 0 ? ctx.moveTo(toX(p.step), toY(value(p))) : ctx.lineTo(toX(p.step), toY(value(p)))));
      ctx.stroke();
    };
    ctx.strokeStyle = '#59636e';
    ctx.setLineDash([2 * scale, 3 * scale]);
    ctx.lineWidth = 1.5 * scale;
    ctx.beginPath();
    ctx.moveTo(pad.left, toY(this.chance));
    ctx.lineTo(width - pad.right, toY(this.chance));
    ctx.stroke();
    line((p) => p.accuracy, '#2f6fde', [6, 4]);
    line((p) => p.macroF1, '#1f2328', []);
    ctx.setLineDash([]);
  }
}
