// A uPlot chart over time, in the theme's colours and the zone every page shows (Settings' UTC switch), with uPlot
// loaded only when a chart is drawn: what the dashboard's and the Invoices page's charts share.
import type { AlignedData, Axis, Series } from 'uplot';
import { cssColor } from '$lib/app/css-color.ts';
import { shownTimeZone } from '$lib/app/format.ts';

export interface TimeChart {
  height: number;
  /** Times in seconds first, then one array per series. */
  data: number[][];
  /** The series after the time, given the theme's colour of a CSS variable and uPlot's bar paths. */
  series(color: (name: string) => string, bars: Series.PathBuilder): Series[];
  /** The value axis' settings besides its colours. */
  valueAxis?: Axis;
}

/** Draws `chart` in `target`; returns what removes it (also before uPlot has loaded). */
export function drawTimeChart(target: HTMLElement, width: number, chart: TimeChart): () => void {
  const utc = shownTimeZone() === 'UTC';
  let drawn: { destroy(): void } | undefined;
  let cancelled = false;
  void import('uplot').then(({ default: uPlot }) => {
    if (cancelled) return;
    const color = (name: string) => cssColor(target, name);
    const axis = { stroke: color('--muted'), grid: { stroke: color('--line') } };
    drawn = new uPlot(
      {
        width,
        height: chart.height,
        scales: { x: { time: true } },
        ...(utc && { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') }),
        axes: [axis, { ...chart.valueAxis, ...axis }],
        series: [{}, ...chart.series(color, uPlot.paths.bars!({ size: [0.8, 40] }))],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
      },
      chart.data as unknown as AlignedData,
      target,
    );
  });
  return () => {
    cancelled = true;
    drawn?.destroy();
  };
}
