/**
 * `npm run bench [-- --quick] [-- --only store,range] [-- --out DIR]`: runs the benchmark on a
 * throwaway Redis, prints one table and writes the full results as JSON under bench/results/.
 */
import { join } from 'node:path';
import { findProjectRoot, type Mode } from './context.js';
import { CASE_IDS, type CaseId, OPTIONAL_CASE_IDS, runBench } from './harness.js';
import { formatTable, writeReport } from './report.js';

const ALL_IDS: readonly string[] = [...CASE_IDS, ...OPTIONAL_CASE_IDS];
const USAGE = `usage: npm run bench -- [--quick | --tiny] [--only ${ALL_IDS.join(',')}] [--cluster] [--out DIR]
  (default)  full run: 1M snapshots, a few minutes
  --quick    smoke run, under a minute
  --tiny     seconds; proves the harness works, figures mean nothing
  --only     comma-separated cases to run
  --cluster  also the optional cluster case (starts its own 3-master Redis Cluster)
  --out      where the JSON goes (default bench/results)`;

function parseArgs(argv: readonly string[]): { mode: Mode; only?: CaseId[]; out: string } {
  let mode: Mode = 'full';
  let only: CaseId[] | undefined;
  let cluster = false;
  let out = join(findProjectRoot(), 'bench', 'results');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--tiny') mode = 'tiny';
    else if (arg === '--full') mode = 'full';
    else if (arg === '--only') {
      only = (argv[++i] ?? '').split(',').map((s) => s.trim()) as CaseId[];
      const bad = only.filter((id) => !ALL_IDS.includes(id));
      if (bad.length > 0 || only.length === 0) throw new Error(`--only: unknown case(s) ${bad.join(', ')}`);
    } else if (arg === '--cluster') cluster = true;
    else if (arg === '--out') out = argv[++i] ?? out;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument '${arg}'\n${USAGE}`);
  }
  if (cluster) only = [...(only ?? CASE_IDS), 'cluster'];
  return only ? { mode, only, out } : { mode, out };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBench({
    mode: args.mode,
    ...(args.only ? { only: args.only } : {}),
    log: (m) => process.stderr.write(`bench: ${m}\n`),
  });
  const path = writeReport(report, args.out);
  const m = report.machine;
  process.stdout.write(
    `\nl1-orderbook bench (${report.mode}), ${report.startedAt}, ${Math.round(report.durationMs / 1000)} s: ` +
      `${m.cpus}× ${m.cpuModel}, node ${m.node}, redis ${m.redis}\n\n${formatTable(report)}\n\nJSON: ${path}\n`,
  );
}

await main();
