/** `affinity report`: rebuild a bench's tables, plots and HTML from its result files. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { AffinityConfigError } from '../../errors.js';
import { METHOD_NAMES } from '../../models/methods.js';
import { getProtocol } from '../../node/bench/protocols.js';
import { readRunResults } from '../../node/report/read.js';
import { writeReport } from '../../node/report/write.js';
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
        runs.sort((a, b) => a.settingOrder - b.settingOrder || METHOD_NAMES.indexOf(a.loss as never) - METHOD_NAMES.indexOf(b.loss as never) || a.seed - b.seed);
        await writeReport(dir, runs, {
          title: flags.title ?? protocol.title,
          command: (await previousCommand(dir)) ?? `affinity report ${dir}`,
          reference: protocol.reference,
          protocol: protocol.name,
          lossOrder: METHOD_NAMES.filter((name) => runs.some((run) => run.loss === name)),
        });
        console.log(`${runs.length} runs of ${protocol.name}: ${join(dir, 'report.html')}`);
      }
    });
  return withExamples(command, ['affinity report runs/bench/step-sweep', 'affinity report results/figure1 results/step-sweep']);
}

/** The bench command line a previous report recorded, so a rebuilt report still names it. */
async function previousCommand(dir: string): Promise<string | undefined> {
  try {
    const { command } = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as { command?: unknown };
    return typeof command === 'string' ? command : undefined;
  } catch {
    return undefined; // no or unreadable results.json: the run files are the source of truth
  }
}
