/** `affinity report`: rebuild a bench's tables, plots and HTML from its result files. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { METHOD_NAMES } from 'affinity-loss/internal/models/methods.js';
import { getProtocol } from '../../bench/protocols.js';
import { readRunResults } from '../../report/read.js';
import { writeReport } from '../../report/write.js';
import { withExamples } from '../options.js';

/** `affinity report`. */
export function reportCommand(): Command {
  const command = new Command('report')
    .description('Rebuild results.json/.csv/.md, the plots and report.html of bench folders from their runs/*.json files.')
    .argument('<dirs...>', 'bench output folders (each holding runs/)')
    .option('--title <text>', 'report title (default: the protocol\'s)')
    .action(async (dirs: string[], flags: { title?: string }) => {
      for (const dir of dirs) {
        const runs = await readRunResults(dir);
        const protocols = [...new Set(runs.map((run) => run.protocol))];
        if (protocols.length !== 1) {
          throw new AffinityConfigError(`${dir} holds runs of ${protocols.length === 0 ? 'no' : protocols.join(' and ')} protocol${protocols.length === 1 ? '' : 's'}; one folder per protocol`);
        }
        const protocol = getProtocol(protocols[0]);
        const previous = await previousReport(dir);
        // The bench's own method order (as the user listed them) when a report recorded it.
        const methodOrder = previous.methodOrder?.every((method) => runs.some((run) => run.method === method))
          ? [...previous.methodOrder, ...new Set(runs.map((run) => run.method).filter((method) => !previous.methodOrder!.includes(method)))]
          : METHOD_NAMES.filter((name) => runs.some((run) => run.method === name));
        runs.sort((a, b) => a.settingOrder - b.settingOrder || methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method) || a.seed - b.seed);
        await writeReport(dir, runs, {
          title: flags.title ?? protocol.title,
          command: previous.command ?? `affinity report ${dir}`,
          reference: protocol.reference,
          protocol: protocol.name,
          methodOrder,
        });
        console.log(`${runs.length} runs of ${protocol.name}: ${join(dir, 'report.html')}`);
      }
    });
  return withExamples(command, ['affinity report runs/bench/step-sweep', 'affinity report results/figure1 results/step-sweep']);
}

/** The bench command line and method order a previous report recorded, so a rebuilt report keeps them. */
async function previousReport(dir: string): Promise<{ command?: string; methodOrder?: string[] }> {
  try {
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as { command?: unknown; aggregate?: { methods?: unknown; losses?: unknown }[] };
    // Reports of earlier versions call the methods losses.
    const methods = json.aggregate?.[0]?.methods ?? json.aggregate?.[0]?.losses;
    return {
      command: typeof json.command === 'string' ? json.command : undefined,
      methodOrder: Array.isArray(methods) && methods.every((method) => typeof method === 'string') ? (methods as string[]) : undefined,
    };
  } catch {
    return {}; // no or unreadable results.json: the run files are the source of truth
  }
}
