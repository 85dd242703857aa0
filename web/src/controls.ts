/**
 * The control panel: reads the form in index.html into typed settings, shows each value next
 * to its label, hides the rows of heads not in use, and tells the page what changed.
 *
 * Sliders step through short lists of sensible values (learning rates 1e-3 ... 1e-1, sigma
 * 0.5 ... 16) rather than a linear range, so every position is a value worth trying.
 */
import { DATASET_NAMES, type DatasetName } from './data';
import { HEAD_NAMES, type HeadName } from './model';

/** Everything the user can set. */
export interface DemoSettings {
  /** Which dataset. */
  dataset: DatasetName;
  /** Share of its training rows each minority class keeps, in (0, 1]. */
  minorityFraction: number;
  /** Which head. */
  head: HeadName;
  /** Affinity head: sigma. */
  sigma: number;
  /** Affinity head: margin lambda. */
  margin: number;
  /** Affinity head: prototypes per class. */
  prototypesPerClass: number;
  /** Affinity head: weight of the diversity regularizer (0: off). */
  diversityWeight: number;
  /** Center-loss head: beta. */
  centerWeight: number;
  /** Adam's learning rate. */
  learningRate: number;
  /** Optimizer steps between two frames. */
  speed: number;
}

/** Settings whose change needs a new network (the others apply to the running one). */
export const REBUILD_KEYS: ReadonlySet<keyof DemoSettings> = new Set([
  'dataset',
  'minorityFraction',
  'head',
  'sigma',
  'prototypesPerClass',
  'diversityWeight',
]);

type SliderKey = Exclude<keyof DemoSettings, 'dataset' | 'head'>;

const percent = (value: number) => `${+(value * 100).toFixed(1)}%`;

/** The values each slider steps through, and how its label shows them. */
const SLIDERS: Readonly<Record<SliderKey, { values: number[]; format: (value: number) => string }>> = {
  minorityFraction: {
    values: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    format: (value) => (value >= 1 ? '100% (balanced)' : `${percent(value)} (ratio ${Math.round(1 / value)}:1)`),
  },
  // The library's default is featureWidth + 2 = 4 for 2-D features (see defaultSigma).
  sigma: { values: [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16], format: String },
  margin: { values: [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1], format: String },
  prototypesPerClass: { values: [1, 2, 3, 4, 5], format: String },
  diversityWeight: { values: [0, 0.001, 0.01, 0.1, 1], format: (value) => (value === 0 ? 'off' : String(value)) },
  centerWeight: { values: [0.001, 0.01, 0.03, 0.1, 0.3, 1], format: String },
  learningRate: { values: [0.001, 0.003, 0.01, 0.03, 0.1], format: (value) => value.toExponential(0).replace('e-', 'e−') },
  speed: { values: [1, 2, 5, 10, 20], format: String },
};

/** The settings the page starts with. */
export const DEFAULT_SETTINGS: Readonly<DemoSettings> = {
  dataset: 'blobs',
  minorityFraction: 0.1, // the paper's Figure 1: digits 0-4 keep 10%
  head: 'affinity',
  sigma: 4,
  margin: 0.2,
  prototypesPerClass: 1,
  diversityWeight: 0.01,
  centerWeight: 0.1,
  learningRate: 0.01,
  speed: 2,
};

/** What the panel tells the page. */
export interface ControlHandlers {
  /** A setting changed (after the label was updated). */
  change(settings: DemoSettings, key: keyof DemoSettings): void;
  /** The Start button. */
  start(): void;
  /** The Pause button. */
  pause(): void;
  /** The Reset button. */
  reset(): void;
}

/** The value of `values` nearest to `value` (URL parameters may name any number). */
function nearestIndex(values: number[], value: number): number {
  let best = 0;
  values.forEach((candidate, i) => {
    if (Math.abs(candidate - value) < Math.abs(values[best] - value)) best = i;
  });
  return best;
}

/**
 * Reads settings from URL parameters named like the settings (`?dataset=mnist&head=softmax`),
 * for shareable links and the end-to-end test; unknown or invalid values are ignored.
 */
export function settingsFromQuery(query: URLSearchParams, base: DemoSettings = DEFAULT_SETTINGS): DemoSettings {
  const settings = { ...base };
  const dataset = query.get('dataset');
  if ((DATASET_NAMES as readonly string[]).includes(dataset ?? '')) settings.dataset = dataset as DatasetName;
  const head = query.get('head');
  if ((HEAD_NAMES as readonly string[]).includes(head ?? '')) settings.head = head as HeadName;
  for (const key of Object.keys(SLIDERS) as SliderKey[]) {
    const value = Number(query.get(key) ?? NaN);
    if (query.has(key) && Number.isFinite(value)) settings[key] = SLIDERS[key].values[nearestIndex(SLIDERS[key].values, value)];
  }
  return settings;
}

function element<T extends HTMLElement>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`the page lacks ${selector}`);
  return found;
}

/** Binds the form; `settings` always holds what the form shows. */
export class Controls {
  private current: DemoSettings;
  private readonly startButton: HTMLButtonElement;
  private readonly pauseButton: HTMLButtonElement;

  constructor(
    private readonly form: HTMLFormElement,
    initial: DemoSettings,
    handlers: ControlHandlers,
  ) {
    this.current = { ...initial };
    const dataset = element<HTMLSelectElement>(form, '#dataset');
    dataset.value = initial.dataset;
    dataset.addEventListener('change', () => this.set('dataset', dataset.value as DatasetName, handlers));

    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="head"]')) {
      radio.checked = radio.value === initial.head;
      radio.addEventListener('change', () => radio.checked && this.set('head', radio.value as HeadName, handlers));
    }

    for (const key of Object.keys(SLIDERS) as SliderKey[]) {
      const { values } = SLIDERS[key];
      const input = element<HTMLInputElement>(form, `#${key}`);
      input.min = '0';
      input.max = String(values.length - 1);
      input.step = '1';
      input.value = String(nearestIndex(values, initial[key]));
      input.addEventListener('input', () => this.set(key, values[Number(input.value)], handlers));
      this.showValue(key);
    }

    this.startButton = element<HTMLButtonElement>(form, '#start');
    this.pauseButton = element<HTMLButtonElement>(form, '#pause');
    this.startButton.addEventListener('click', () => handlers.start());
    this.pauseButton.addEventListener('click', () => handlers.pause());
    element<HTMLButtonElement>(form, '#reset').addEventListener('click', () => handlers.reset());
    this.showHeadRows();
    this.setRunning(false);
  }

  /** The current settings (a copy). */
  get settings(): DemoSettings {
    return { ...this.current };
  }

  /** Enables Start or Pause to match the training state. */
  setRunning(running: boolean): void {
    this.startButton.disabled = running;
    this.pauseButton.disabled = !running;
  }

  private set<K extends keyof DemoSettings>(key: K, value: DemoSettings[K], handlers: ControlHandlers): void {
    this.current[key] = value;
    if (key in SLIDERS) this.showValue(key as SliderKey);
    if (key === 'head') this.showHeadRows();
    handlers.change(this.settings, key);
  }

  private showValue(key: SliderKey): void {
    element<HTMLOutputElement>(this.form, `#${key}-value`).textContent = SLIDERS[key].format(this.current[key]);
  }

  /** Shows only the rows of the chosen head (sigma, margin, ... belong to the affinity heads; data-head lists the heads). */
  private showHeadRows(): void {
    for (const row of this.form.querySelectorAll<HTMLElement>('[data-head]')) {
      row.hidden = !(row.dataset.head ?? '').split(' ').includes(this.current.head);
    }
  }
}
