/**
 * `affinity train`: one model on one dataset and recipe, saved with its metrics in a run folder
 * (see modelFolder.ts) that `affinity eval` reads back.
 */
import { rmdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { resolveExperimentConfig, runExperiment, testScores, type ExperimentOutcome } from '../../bench/experiment.js';
import { AffinityLossError } from 'affinity-loss/internal/errors.js';
import { backboneWorkload } from 'affinity-loss/internal/models/backbones.js';
import { defaultWorkers, useNodeBackend } from 'affinity-loss-node';
import { checkWritableFolder, replaceEntries } from 'affinity-loss-node/internal/io/folders.js';
import { WEIGHTS_BIN } from 'affinity-loss-node/internal/io/fileHandler.js';
import type { EpochLog, StepReport, TrainingCallback } from 'affinity-loss/internal/train/trainer.js';
import { addExperimentOptions, addImageReadingOptions, experimentInput, imageReading, type ExperimentFlags, type ImageReadingFlags } from '../experimentOptions.js';
import { parseWorkerCount, withExamples } from '../options.js';
import {
  CONFIG_FILE,
  CONFUSION_FILE,
  LIBRARY_VERSION,
  METRICS_FILE,
  MODEL_FOLDER,
  checkRunFolder,
  confusionCsv,
  meanRecall,
  percent,
  sha256OfFile,
  type RunFolderConfig,
  type RunMetrics,
} from './modelFolder.js';

/** The flags of `affinity train` besides the experiment's. */
interface TrainFlags extends ExperimentFlags, ImageReadingFlags {
  out: string;
  workers: number;
  force?: boolean;
  quiet?: boolean;
}

/**
 * Progress of a training run on stderr: on a terminal one bar per epoch (steps, loss, accuracy,
 * ETA) that stays on screen when the epoch ends; elsewhere (a log file, a CI job) one line per
 * epoch, since bars redrawn with carriage returns make unreadable logs.
 */
function trainingProgress(quiet: boolean, epochs: number): TrainingCallback & { stop(): void } {
  if (quiet) return { stop: () => {} };
  const width = String(epochs).length;
  if (process.stderr.isTTY !== true) {
    return {
      epochEnd: (log) => console.error(epochLine(log, epochs, width)),
      stop: () => {},
    };
  }
  let bar: SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stepEnd(report: StepReport) {
      const payload = { epoch: String(report.epoch).padStart(width), loss: report.meanLoss.toFixed(4), accuracy: percent(report.accuracy), validation: '' };
      if (bar === undefined) {
        bar = new SingleBar({
          format: `epoch {epoch}/${epochs} {bar} {value}/{total} steps | loss {loss} | accuracy {accuracy}{validation} | ETA {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          // Redraw at most 10 times a second: steps of small models take a millisecond.
          fps: 10,
        });
        bar.start(report.steps, report.step, payload);
      } else {
        bar.update(report.step, payload);
      }
    },
    epochEnd(log: EpochLog) {
      const validation = Number.isNaN(log.validationMacroF1) ? '' : ` | validation macro-F1 ${percent(log.validationMacroF1)}`;
      bar?.update({ loss: log.loss.toFixed(4), accuracy: percent(log.accuracy), validation });
      stop();
    },
    stop,
  };
}

/** `epoch  3/10: loss 0.4012, accuracy 91.20, validation macro-F1 88.31, 1.2 s`. */
function epochLine(log: EpochLog, epochs: number, width: number): string {
  const validation = Number.isNaN(log.validationMacroF1) ? '' : `, validation macro-F1 ${percent(log.validationMacroF1)}`;
  return `epoch ${String(log.epoch).padStart(width)}/${epochs}: loss ${log.loss.toFixed(4)}, accuracy ${percent(log.accuracy)}${validation}, ${log.seconds.toFixed(1)} s`;
}

/**
 * Writes the model and its records. They are written whole beside the folder's old ones and
 * only then replace them, config.json last, so only a finished run has one and a rerun that
 * fails to write (a full disk) leaves the previous run intact.
 */
async function writeRun(dir: string, outcome: ExperimentOutcome, backend: string, seconds: number): Promise<void> {
  const { config, data, classifier } = outcome;
  const { dataset, recipe, method, ...settings } = config;
  const metrics: RunMetrics = {
    bestEpoch: outcome.bestEpoch,
    selection: `validation ${outcome.config.selection}`,
    ...testScores(outcome),
    history: outcome.history,
    seconds,
    backend,
    workers: outcome.workers,
    ...(outcome.affinityDiagnostics ? { affinityDiagnostics: outcome.affinityDiagnostics } : {}),
    ...(outcome.priorCorrection ? { priorCorrection: outcome.priorCorrection } : {}),
    ...(outcome.diverged ? { diverged: outcome.diverged } : {}),
  };
  const record: RunFolderConfig = {
    version: LIBRARY_VERSION,
    backend,
    // The fields that say what was trained first, for a reader of the file; order does not
    // matter to the comparison of configs.
    config: { dataset, recipe, method, ...settings },
    classNames: data.dataset.classNames,
    inputShape: data.inputShape,
    trainCounts: data.trainCounts,
    minorityClasses: data.minorityClasses,
    headSettings: classifier.headSettings,
  };
  await replaceEntries(dir, [MODEL_FOLDER, METRICS_FILE, CONFUSION_FILE, CONFIG_FILE], async (staging) => {
    await classifier.model.save(`file://${join(staging, MODEL_FOLDER)}`);
    await writeFile(join(staging, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);
    await writeFile(join(staging, CONFUSION_FILE), confusionCsv(data.dataset.classNames, metrics.best.confusion));
    const weightsSha256 = await sha256OfFile(join(staging, MODEL_FOLDER, WEIGHTS_BIN));
    await writeFile(join(staging, CONFIG_FILE), `${JSON.stringify({ ...record, weightsSha256 }, null, 2)}\n`);
  });
}

/** The summary printed after training: the main metrics of the last and the kept model. */
function summary(outcome: ExperimentOutcome, dir: string, backend: string, seconds: number): string {
  const { config, data, bestEpoch, history, diverged } = outcome;
  const { last, best } = testScores(outcome);
  const minority = data.minorityClasses;
  const rows: [string, number | undefined, number | undefined][] = [
    ['accuracy', last?.accuracy, best.accuracy],
    ['macro-F1', last?.macroF1, best.macroF1],
    ['balanced accuracy', last?.balancedAccuracy, best.balancedAccuracy],
  ];
  if (minority.length > 0) rows.push([`minority recall (${minority.length} classes)`, last && meanRecall(last, minority), meanRecall(best, minority)]);
  const label = Math.max(...rows.map(([name]) => name.length));
  const lastHead = diverged ? `last (diverged in epoch ${diverged.epoch})` : `last (epoch ${history.length})`;
  const bestHead = `best (epoch ${bestEpoch})`;
  const column = Math.max(lastHead.length, bestHead.length) + 2;
  const lines = [
    `Trained ${config.method} (${config.backbone}) on ${config.dataset}, recipe ${config.recipe}, for ${diverged ? `${history.length} of ${config.epochs} epochs before it diverged` : `${config.epochs} epoch${config.epochs === 1 ? '' : 's'}`} in ${seconds.toFixed(1)} s on ${backend} (${outcome.workers} thread${outcome.workers === 1 ? '' : 's'}).`,
    `Test metrics (%), ${best.samples} samples:`,
    `  ${''.padEnd(label)}${lastHead.padStart(column)}${bestHead.padStart(column)}`,
    ...rows.map(([name, a, b]) => `  ${name.padEnd(label)}${percent(a).padStart(column)}${percent(b).padStart(column)}`),
    diverged
      ? `Saved model: the best epoch by ${config.selection} on the validation split before training diverged (metrics.json says how).`
      : config.validationFraction > 0
      ? `Saved model: the best epoch by ${config.selection} on the validation split (${Math.round(config.validationFraction * 1000) / 10} % of each training class).`
      : 'Saved model: the last epoch (no validation split to choose another).',
    `Saved to ${dir} (${MODEL_FOLDER}/, ${METRICS_FILE}, ${CONFUSION_FILE}, ${CONFIG_FILE}).`,
  ];
  return lines.join('\n');
}

/** `affinity train`. */
export function trainCommand(): Command {
  const command = new Command('train').description(
    'Train one model on a dataset made imbalanced (and noisy) by a recipe; save the model, its metrics and its config to a folder.',
  );
  addImageReadingOptions(addExperimentOptions(command))
    .requiredOption('-o, --out <dir>', 'output folder (model/, metrics.json, confusion.csv, config.json)')
    .option('--force', 'overwrite a run of a different config in --out, or write beside other files')
    .option('-q, --quiet', 'no progress output (the summary is still printed)')
    .option('-w, --workers <n>', 'threads that train the model together (data-parallel; same result up to float rounding; default 1 on tfjs-node, which uses every core itself)', parseWorkerCount, defaultWorkers())
    .action(async (flags: TrainFlags) => {
      // Every name and number is checked before any data is read or a folder is made.
      const config = resolveExperimentConfig(await experimentInput(flags));
      const dir = resolve(flags.out);
      await checkRunFolder(dir, config, flags.force === true);
      // Before any data is read: a run that cannot be saved is not worth training.
      const existed = await stat(dir).then(() => true, () => false);
      await checkWritableFolder(dir, '--out');
      const { backend } = await useNodeBackend({ workload: backboneWorkload(config.backbone), quiet: flags.quiet === true });
      // tfjs-node spreads each operation over every core itself; replicas on top would only compete.
      const workers = backend === 'tensorflow' && command.getOptionValueSource('workers') === 'default' ? 1 : flags.workers;
      const progress = trainingProgress(flags.quiet === true, config.epochs);
      const started = performance.now();
      let outcome: ExperimentOutcome;
      try {
        outcome = await runExperiment(config, {}, {
          callbacks: [progress],
          // On its own line: a progress bar may be drawn on the current one.
          onWarning: (message) => console.error(`\nwarning: ${message}`),
          workers,
          ...imageReading(flags),
          keepDiverged: true,
        });
      } catch (error) {
        // Nothing was trained to save: a folder made only for this run goes again (if still empty).
        if (!existed) await rmdir(dir).catch(() => undefined);
        throw error;
      } finally {
        progress.stop();
      }
      try {
        const seconds = (performance.now() - started) / 1000;
        await writeRun(dir, outcome, backend, seconds);
        console.log(summary(outcome, flags.out, backend, seconds));
        // Saved, yet not a success: the exit code says so (2, with the message).
        if (outcome.diverged) {
          throw new AffinityLossError(`training diverged: ${outcome.diverged.message}. Saved the model of epoch ${outcome.bestEpoch} to ${flags.out}; its metrics.json records the divergence`);
        }
      } finally {
        outcome.classifier.dispose();
      }
    });
  return withExamples(command, [
    'affinity train --dataset mnist --imbalance step:0-4:0.1 --method affinity --epochs 10 --out runs/mnist-step',
    'affinity train --dataset fashion-mnist --imbalance exp:100 --noise sym:0.2 --method ldam-drw --backbone cnn --out runs/fmnist-ldam',
    'affinity train --dataset gaussians --method affinity-m5 --feature-width 2 --epochs 20 --sigma 4 --out runs/blobs',
    'affinity train --dataset cifar10 --data-path ~/data/cifar-10-batches-bin --backbone cnn3 --schedule cosine --out runs/cifar',
  ]);
}
