/**
 * The feature-space canvas: class regions and the margin band (the head run on a grid), the
 * test samples at their 2-D features, and the head's prototypes or centres.
 *
 * The window follows the features: it grows at once when points leave it and shrinks slowly,
 * so the picture neither clips nor jitters from frame to frame.
 */
import { isAffinityHead, type HeadName } from './model';
import { classColor, classRgb } from './palette';
import type { GridRequest, GridScores, Snapshot } from './trainer';

/** What the view needs besides the snapshot. */
export interface ViewContext {
  /** Which head (the band and the spread circles belong to the affinity head). */
  head: HeadName;
  /** Affinity heads: each class's margin (the band is where the best class wins by less than its margin). */
  classMargins: number[];
  /** Affinity head: sigma (a prototype's circle has radius sqrt(sigma): affinity 1/e there). */
  sigma: number;
  /** minority[c]: draw class c as triangles. */
  minority: boolean[];
}

/** Cells per side of the grid the head is run on: fine enough for smooth regions, cheap to run. */
const GRID_CELLS = 120;
/** Share of the region tint (the rest is white), so points stay readable on it. */
const TINT = 0.22;
/** Colour of the margin band, and how much of it covers the region tint there. */
const BAND_RGB: [number, number, number] = [178, 182, 188];
const BAND_SHARE = 0.35;
const SMALLEST_HALF_WIDTH = 1.5;

/** Draws snapshots on a canvas. */
export class FeatureView {
  private halfWidth = 3;
  private readonly gridCanvas = document.createElement('canvas');

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** The grid the next evaluation should compute, for the current window. */
  gridRequest(): GridRequest {
    return { halfWidth: this.halfWidth, cells: GRID_CELLS };
  }

  /** Forgets the window, for a new network. */
  resetWindow(): void {
    this.halfWidth = 3;
  }

  /** Draws one snapshot and moves the window towards where its features are. */
  draw(snapshot: Snapshot, context: ViewContext): void {
    const ctx = this.prepareCanvas();
    const size = this.canvas.width;
    const toX = (x: number) => ((x / this.halfWidth + 1) / 2) * size;
    const toY = (y: number) => ((1 - y / this.halfWidth) / 2) * size;
    const unit = size / (2 * this.halfWidth); // pixels per feature unit

    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    if (snapshot.grid !== undefined) this.drawRegions(ctx, snapshot.grid, context, toX, toY);
    this.drawAxes(ctx, toX, toY, size);

    const scale = window.devicePixelRatio || 1;
    if (isAffinityHead(context.head)) {
      ctx.setLineDash([3 * scale, 5 * scale]);
      ctx.lineWidth = 1 * scale;
      ctx.globalAlpha = 0.6;
      for (const anchor of snapshot.anchors) {
        ctx.strokeStyle = classColor(anchor.classId);
        ctx.beginPath();
        ctx.arc(toX(anchor.x), toY(anchor.y), Math.sqrt(context.sigma) * unit, 0, 2 * Math.PI);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }

    const { features, labels } = snapshot;
    const radius = 2.6 * scale;
    ctx.lineWidth = 0.6 * scale;
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.8)';
    for (let i = 0; i < labels.length; i++) {
      const x = toX(features[2 * i]);
      const y = toY(features[2 * i + 1]);
      ctx.fillStyle = classColor(labels[i]);
      ctx.beginPath();
      if (context.minority[labels[i]]) {
        const r = radius * 1.5;
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r * 0.87, y + r * 0.5);
        ctx.lineTo(x - r * 0.87, y + r * 0.5);
        ctx.closePath();
      } else {
        ctx.arc(x, y, radius, 0, 2 * Math.PI);
      }
      ctx.fill();
      ctx.stroke();
    }

    for (const anchor of snapshot.anchors) {
      const x = toX(anchor.x);
      const y = toY(anchor.y);
      if (isAffinityHead(context.head)) {
        ctx.beginPath();
        ctx.arc(x, y, 7 * scale, 0, 2 * Math.PI);
        ctx.fillStyle = '#fff';
        ctx.fill();
        ctx.lineWidth = 3.5 * scale;
        ctx.strokeStyle = '#1f2328';
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, 4 * scale, 0, 2 * Math.PI);
        ctx.fillStyle = classColor(anchor.classId);
        ctx.fill();
      } else {
        const r = 6 * scale;
        ctx.lineWidth = 3 * scale;
        ctx.strokeStyle = '#1f2328';
        ctx.beginPath();
        ctx.moveTo(x - r, y - r);
        ctx.lineTo(x + r, y + r);
        ctx.moveTo(x + r, y - r);
        ctx.lineTo(x - r, y + r);
        ctx.stroke();
        ctx.lineWidth = 1.5 * scale;
        ctx.strokeStyle = classColor(anchor.classId);
        ctx.stroke();
      }
    }

    ctx.fillStyle = '#59636e';
    ctx.font = `${12 * scale}px system-ui, sans-serif`;
    ctx.fillText(`step ${snapshot.step}`, 8 * scale, 18 * scale);
    this.follow(snapshot);
  }

  /** Sizes the canvas to its CSS box at the screen's pixel density. */
  private prepareCanvas(): CanvasRenderingContext2D {
    const scale = window.devicePixelRatio || 1;
    const side = Math.max(200, Math.round(this.canvas.clientWidth * scale));
    if (this.canvas.width !== side || this.canvas.height !== side) {
      this.canvas.width = side;
      this.canvas.height = side;
    }
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2-D canvas context');
    return ctx;
  }

  /** Region tints, the band and the decision boundaries, drawn at the grid's own window. */
  private drawRegions(
    ctx: CanvasRenderingContext2D,
    grid: GridScores,
    context: ViewContext,
    toX: (x: number) => number,
    toY: (y: number) => number,
  ): void {
    const { cells, halfWidth } = grid.request;
    this.gridCanvas.width = cells;
    this.gridCanvas.height = cells;
    const gridCtx = this.gridCanvas.getContext('2d');
    if (gridCtx === null) return;
    const image = gridCtx.createImageData(cells, cells);
    const showBand = isAffinityHead(context.head);
    for (let row = 0; row < cells; row++) {
      for (let col = 0; col < cells; col++) {
        const cell = row * cells + col;
        const predicted = grid.predicted[cell];
        const boundary =
          (col + 1 < cells && grid.predicted[cell + 1] !== predicted) || (row + 1 < cells && grid.predicted[cell + cells] !== predicted);
        const [r, g, b] = classRgb(predicted);
        let rgb: [number, number, number] = [255 + (r - 255) * TINT, 255 + (g - 255) * TINT, 255 + (b - 255) * TINT];
        if (showBand && grid.gap[cell] < context.classMargins[predicted]) rgb = rgb.map((v, k) => v + (BAND_RGB[k] - v) * BAND_SHARE) as typeof rgb;
        if (boundary) rgb = [rgb[0] * 0.8, rgb[1] * 0.8, rgb[2] * 0.8];
        image.data.set([rgb[0], rgb[1], rgb[2], 255], cell * 4);
      }
    }
    gridCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    const left = toX(-halfWidth);
    const top = toY(halfWidth);
    ctx.drawImage(this.gridCanvas, left, top, toX(halfWidth) - left, toY(-halfWidth) - top);
  }

  /** Faint lines at every integer feature value, darker through the origin. */
  private drawAxes(ctx: CanvasRenderingContext2D, toX: (x: number) => number, toY: (y: number) => number, size: number): void {
    const limit = Math.floor(this.halfWidth);
    ctx.lineWidth = 1;
    for (let v = -limit; v <= limit; v++) {
      ctx.strokeStyle = v === 0 ? 'rgba(31, 35, 40, 0.25)' : 'rgba(31, 35, 40, 0.07)';
      ctx.beginPath();
      ctx.moveTo(toX(v), 0);
      ctx.lineTo(toX(v), size);
      ctx.moveTo(0, toY(v));
      ctx.lineTo(size, toY(v));
      ctx.stroke();
    }
  }

  /** Moves the window towards the 99th percentile of |feature| (and the anchors), with a margin. */
  private follow(snapshot: Snapshot): void {
    const magnitudes = Float32Array.from(snapshot.features, Math.abs).sort();
    let reach = magnitudes.length === 0 ? 0 : magnitudes[Math.floor(0.99 * (magnitudes.length - 1))];
    for (const anchor of snapshot.anchors) reach = Math.max(reach, Math.abs(anchor.x), Math.abs(anchor.y));
    const target = Math.max(SMALLEST_HALF_WIDTH, reach * 1.2);
    if (!Number.isFinite(target)) return;
    this.halfWidth += (target - this.halfWidth) * (target > this.halfWidth ? 0.5 : 0.05);
  }
}
