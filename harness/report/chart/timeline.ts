// The timeline chart, run in the browser: bundled with uPlot into the page (chart/bundle.ts), it plots the
// TimelineData embedded as JSON, shades the fault windows, marks failed requests with crosses and wrong answers
// with diamonds, and exposes the plotted point count for the browser test. Never imported by Node code.
import uPlot from 'uplot';
import type { TimelineData, TimelineSeries } from './timeline-data';

declare global {
  interface Window {
    __drillReport?: { points: number };
  }
}

const HEIGHT = 380;
const dpr = window.devicePixelRatio || 1;

type DrawPoint = (path: Path2D, x: number, y: number, radius: number) => void;

/** Draws each point of a series as a shape, in canvas pixels; an unfilled shape is only stroked. */
function pointShapes(draw: DrawPoint, filled: boolean): uPlot.Series.Points.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const path = new Path2D();
    const xs = u.data[0];
    const ys = u.data[seriesIdx] as (number | null | undefined)[];
    for (let i = idx0; i <= idx1; i++) {
      const y = ys[i];
      if (y == null) continue;
      draw(path, u.valToPos(xs[i] as number, 'x', true), u.valToPos(y, 'y', true), 3.5 * dpr);
    }
    return { stroke: path, fill: filled ? path : null };
  };
}

const cross = pointShapes((p, x, y, r) => { p.moveTo(x - r, y - r); p.lineTo(x + r, y + r); p.moveTo(x - r, y + r); p.lineTo(x + r, y - r); }, false);
const diamond = pointShapes((p, x, y, r) => { p.moveTo(x, y - r); p.lineTo(x + r, y); p.lineTo(x, y + r); p.lineTo(x - r, y); p.closePath(); }, true);
const SHAPES: Record<TimelineSeries['kind'], Pick<uPlot.Series.Points, 'paths' | 'width'>> = {
  replica: {},
  failed: { paths: cross, width: 1.5 },
  wrong: { paths: diamond },
};

// uPlot passes null for a request that is not in the series, whatever its types say.
const shown = (v: number | null, unit: string, digits: number): string => (v == null ? '–' : `${v.toFixed(digits)} ${unit}`);

function requestSeries(s: TimelineSeries): uPlot.Series {
  return {
    label: `${s.label} (${s.count})`,
    stroke: s.color,
    ...(s.kind === 'failed' ? {} : { fill: s.color }),
    paths: () => null,
    points: { show: true, size: 4, width: 1, stroke: s.color, fill: s.color, ...SHAPES[s.kind] },
    value: (_u, v) => shown(v, 'ms', 1),
  };
}

const xPos = (u: uPlot, seconds: number): number => u.valToPos(seconds, 'x', true);

function shadeFaults(data: TimelineData): (u: uPlot) => void {
  return (u) => {
    const { ctx, bbox: b } = u;
    const clamped = (seconds: number): number => Math.min(Math.max(xPos(u, seconds), b.left), b.left + b.width);
    const band = (from: number, to: number, fill: string): void => {
      const [x0, x1] = [clamped(from), clamped(to)];
      if (x1 <= x0) return;
      ctx.fillStyle = fill;
      ctx.fillRect(x0, b.top, x1 - x0, b.height);
    };
    ctx.save();
    for (const f of data.faults) {
      // Requested -> took effect in a paler shade: the window failover counts from starts at the solid edge.
      if (f.requested !== null) band(f.requested, f.from, 'rgba(245, 158, 11, 0.07)');
      band(f.from, f.to, 'rgba(245, 158, 11, 0.16)');
      const edge = xPos(u, f.from);
      if (edge < b.left || edge > b.left + b.width) continue;
      ctx.fillStyle = 'rgba(180, 83, 9, 0.9)';
      ctx.fillRect(edge, b.top, 2 * dpr, b.height);
    }
    ctx.restore();
  };
}

function labelFaultsAndEvents(data: TimelineData): (u: uPlot) => void {
  return (u) => {
    const { ctx, bbox: b } = u;
    const line = 14 * dpr;
    ctx.save();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left'; // uPlot leaves its axis labels' alignment on the context
    data.faults.forEach((f, i) => {
      ctx.fillStyle = '#92400e';
      ctx.fillText(`fault: ${f.label}${f.reverted ? '' : ' (not reverted)'}`, Math.max(xPos(u, f.from), b.left) + 4 * dpr, b.top + 4 * dpr + i * line);
    });
    data.events.forEach((e, i) => {
      const x = xPos(u, e.at);
      if (x < b.left || x > b.left + b.width) return;
      ctx.strokeStyle = '#334155';
      ctx.lineWidth = dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      ctx.fillStyle = '#334155';
      const width = ctx.measureText(e.label).width;
      const textX = x + 4 * dpr + width > b.left + b.width ? x - 4 * dpr - width : x + 4 * dpr;
      ctx.fillText(e.label, textX, b.top + b.height - (i + 1) * line - 2 * dpr);
    });
    ctx.restore();
  };
}

/** Draws the chart into `el` and returns how many points it plotted. */
function plot(data: TimelineData, el: HTMLElement): number {
  const u = new uPlot({
    width: el.clientWidth,
    height: HEIGHT,
    scales: { x: { time: false }, y: { distr: 3, log: 10 } },
    axes: [
      { label: 'send time (s)', stroke: '#334155', grid: { stroke: '#eef2f6' } },
      { label: 'latency (ms, log scale)', stroke: '#334155', grid: { stroke: '#eef2f6' }, size: 60 },
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [{ label: 'sent at', value: (_u, v) => shown(v, 's', 3) }, ...data.series.map(requestSeries)],
    hooks: { drawClear: [shadeFaults(data)], draw: [labelFaultsAndEvents(data)] },
  }, [data.xs, ...data.series.map((s) => s.ys)], el);
  window.addEventListener('resize', () => u.setSize({ width: el.clientWidth, height: HEIGHT }));
  return u.data.slice(1).reduce((n, ys) => n + Array.from(ys).filter((y) => y != null).length, 0);
}

function main(): void {
  const data = JSON.parse(document.getElementById('timeline-data')?.textContent ?? 'null') as TimelineData;
  const el = document.getElementById('timeline') as HTMLElement;
  if (data.xs.length === 0) {
    el.textContent = 'No requests were recorded: the drill ended before its load ran.';
    window.__drillReport = { points: 0 };
    return;
  }
  const points = plot(data, el);
  el.dataset['points'] = String(points);
  window.__drillReport = { points };
}

main();
