// The timeline chart as one script for the page: chart/timeline (TypeScript from the sources under tsx and jest,
// its compiled JavaScript from dist/) bundled with uPlot by esbuild, so the page needs no network.
import { buildSync } from 'esbuild';
import { version as uplotVersion } from 'uplot/package.json';

let bundled: string | undefined;

/** The chart's script, built on first use (about 0.1 s) and kept for every page the process renders. */
export function timelineChartScript(): string {
  bundled ??= build(require.resolve('./timeline'));
  return bundled;
}

function build(entry: string): string {
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    logLevel: 'silent',
    // uPlot's licence asks for its notice to travel with it; minifying drops the header comment that carries it.
    banner: { js: `/*! uPlot v${uplotVersion} https://github.com/leeoniya/uPlot (c) Leon Sorokin, MIT licensed */` },
  });
  const [script] = result.outputFiles;
  if (!script) throw new Error(`bundling the timeline chart from ${entry} produced no output`);
  return script.text;
}
