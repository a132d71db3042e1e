/**
 * The overview's two charts, drawn with uPlot (served from /vendor, no CDN): the auto-fix and escalation rate
 * per day, and the time to recovery of each fixed task. Colours come from the CSS custom properties so the
 * charts follow the light and dark themes. Each chart also gets a one-line text summary.
 */
import { h, duration, percent } from './dom.js';

const live = new Set();

/** Destroys every chart (before a page is redrawn). */
export function destroyCharts() {
  for (const entry of live) {
    entry.observer?.disconnect();
    entry.chart.destroy();
  }
  live.clear();
}

let uPlotLoading;

/**
 * Loads uPlot (from /vendor: the package's own copy, never a CDN) once, without holding up the page: the app
 * calls this at start so the library arrives while the first data is being fetched. Resolves whether it loaded.
 */
export function loadUplot() {
  if (typeof globalThis.uPlot === 'function') return Promise.resolve(true);
  uPlotLoading ??= new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = '/vendor/uplot.iife.min.js';
    script.async = true;
    script.addEventListener('load', () => resolve(typeof globalThis.uPlot === 'function'));
    script.addEventListener('error', () => {
      uPlotLoading = undefined; // try again on the next draw
      script.remove();
      resolve(false);
    });
    document.head.append(script);
  });
  return uPlotLoading;
}

/** Waits for uPlot; false when it cannot be had or `holder` left the page meanwhile (a newer render replaced it). */
async function readyToDraw(holder) {
  const loaded = await loadUplot();
  if (!holder.isConnected) return false;
  if (!loaded) holder.append(h('p', { class: 'muted', text: 'Chart unavailable: uPlot did not load.' }));
  return loaded;
}

function themeColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function axis(extra = {}) {
  const stroke = themeColor('--chart-axis', '#475569');
  const grid = themeColor('--chart-grid', '#e2e8f0');
  return { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '12px system-ui, sans-serif', ...extra };
}

/** Mounts a uPlot chart into `holder` (already in the document) and keeps its width in step with it. */
function mount(holder, options, data) {
  const width = Math.max(260, holder.clientWidth || 600);
  const chart = new globalThis.uPlot({ ...options, width, height: options.height ?? 200 }, data, holder);
  const entry = { chart, observer: undefined };
  if (typeof ResizeObserver === 'function') {
    let last = width;
    entry.observer = new ResizeObserver(() => {
      const next = Math.max(260, holder.clientWidth);
      if (Math.abs(next - last) > 2) {
        last = next;
        chart.setSize({ width: next, height: options.height ?? 200 });
      }
    });
    entry.observer.observe(holder);
  }
  live.add(entry);
  return chart;
}

/** `day` is epoch ms or "YYYY-MM-DD" (local midnight). Returns seconds for uPlot. */
function daySeconds(day) {
  if (typeof day === 'number') return Math.floor(day / 1000);
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day));
  if (match) return Math.floor(new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime() / 1000);
  return Math.floor(Date.parse(String(day)) / 1000);
}

const DAY_FORMAT = (self, ticks) =>
  ticks.map((seconds) => {
    const date = new Date(seconds * 1000);
    return `${date.toLocaleString('en', { month: 'short' })} ${date.getDate()}`;
  });

/**
 * Auto-fix rate and escalation rate per day (share of that day's tasks). Returns the element to place; call
 * the returned `draw()` once it is in the document (it resolves once the chart is drawn).
 */
export function rateChart(rates) {
  const rows = Array.isArray(rates) ? rates.slice().sort((a, b) => daySeconds(a.day) - daySeconds(b.day)) : [];
  const total = rows.reduce((sum, row) => sum + (row.total ?? 0), 0);
  const fixed = rows.reduce((sum, row) => sum + (row.fixed ?? 0), 0);
  const escalated = rows.reduce((sum, row) => sum + (row.escalated ?? 0), 0);
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': 'Auto-fix rate and escalation rate per day' });
  const summary = h(
    'p',
    { class: 'chart-summary' },
    total === 0
      ? `No tasks in the last ${rows.length || 14} days.`
      : [
          h('strong', { text: percent(fixed, total) }),
          ` auto-fixed, `,
          h('strong', { text: percent(escalated, total) }),
          ` escalated — ${fixed} and ${escalated} of ${total} tasks in ${rows.length} days`,
        ],
  );
  const element = h('div', { class: 'chart-wrap' }, summary, holder);
  const draw = async () => {
    if (!(await readyToDraw(holder))) return;
    if (rows.length === 0) return holder.append(h('p', { class: 'muted', text: 'No data yet.' }));
    const x = rows.map((row) => daySeconds(row.day));
    const rate = (key) => rows.map((row) => (row.total > 0 ? Math.round((1000 * (row[key] ?? 0)) / row.total) / 10 : null));
    const counts = (key) => (self, value, series, index) =>
      value === null || value === undefined || index === null || index === undefined ? '—' : `${value}% (${rows[index]?.[key] ?? 0}/${rows[index]?.total ?? 0})`;
    const ok = themeColor('--ok', '#15803d');
    const bad = themeColor('--bad', '#b91c1c');
    mount(
      holder,
      {
        height: 190,
        cursor: { drag: { x: false, y: false }, points: { size: 8 } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: [0, 100] } },
        axes: [axis({ values: DAY_FORMAT, space: 60 }), axis({ values: (self, ticks) => ticks.map((tick) => `${tick}%`), size: 56, space: 30 })],
        series: [
          { label: 'Day', value: (self, seconds) => (seconds ? new Date(seconds * 1000).toLocaleDateString() : '—') },
          {
            label: 'Auto-fixed',
            stroke: ok,
            width: 2,
            fill: themeColor('--ok-fill', 'rgba(21,128,61,0.08)'),
            points: { show: true, size: 6, fill: ok },
            value: counts('fixed'),
            spanGaps: true,
          },
          { label: 'Escalated', stroke: bad, width: 2, dash: [6, 4], points: { show: true, size: 6, fill: bad }, value: counts('escalated'), spanGaps: true },
        ],
      },
      [x, rate('fixed'), rate('escalated')],
    );
  };
  return { element, draw };
}

const PHASE_COLORS = { 0: ['--recovered', '#16a34a'], 1: ['--phase1', '#2563eb'], 2: ['--phase2', '#7c3aed'], 3: ['--phase3', '#0d9488'], 4: ['--phase4', '#64748b'] };
// Phase 0: recovered on its own (nothing was done; the point has no phase).
const PHASE_LABELS = { 0: 'On its own', 1: 'Phase 1', 2: 'Phase 2', 3: 'Phase 3', 4: 'By hand' };

/** Time to recovery of each task that ended healthy (log scale when the spread is wide), one colour per phase. */
export function recoveryChart(recovery) {
  const points = (Array.isArray(recovery) ? recovery : []).filter((row) => Number.isFinite(row.durationMs) && Number.isFinite(row.at)).sort((a, b) => a.at - b.at);
  const sorted = points.map((row) => row.durationMs).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? null : sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const worst = sorted.length ? sorted[sorted.length - 1] : null;
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': 'Time to recovery per task that ended healthy' });
  const summary = h(
    'p',
    { class: 'chart-summary' },
    points.length === 0
      ? 'No recoveries recorded yet.'
      : ['Median ', h('strong', { text: duration(median) }), ', slowest ', h('strong', { text: duration(worst) }), ` — ${points.length} recoveries`],
  );
  const element = h('div', { class: 'chart-wrap' }, summary, holder);
  const draw = async () => {
    if (!(await readyToDraw(holder))) return;
    if (points.length === 0) return holder.append(h('p', { class: 'chart-empty muted', text: 'Nothing has needed fixing yet.' }));
    const phases = [...new Set(points.map((row) => Number(row.phase) || 0))].sort();
    // uPlot wants strictly increasing x: nudge equal timestamps apart by a millisecond.
    const x = [];
    for (const row of points) {
      const seconds = row.at / 1000;
      x.push(x.length && seconds <= x[x.length - 1] ? x[x.length - 1] + 0.001 : seconds);
    }
    const series = phases.map((phase) => points.map((row) => ((Number(row.phase) || 0) === phase ? Math.max(row.durationMs / 1000, 0.01) : null)));
    // A margin of empty time on both sides (at least an hour): uPlot's own range for one point spans years, and
    // points close together would sit on the chart's edges.
    const margin = Math.max((x[x.length - 1] - x[0]) * 0.04, 3600);
    x.unshift(x[0] - margin);
    x.push(x[x.length - 1] + margin);
    for (const values of series) {
      values.unshift(null);
      values.push(null);
    }
    const seconds = sorted.map((ms) => ms / 1000);
    const logScale = seconds.length > 1 && seconds[seconds.length - 1] / Math.max(seconds[0], 0.01) > 30;
    mount(
      holder,
      {
        height: 190,
        cursor: { drag: { x: false, y: false }, points: { size: 9 } },
        legend: { live: true },
        scales: { x: { time: true }, y: logScale ? { distr: 3, log: 10 } : { range: (self, min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [axis({ space: 60 }), axis({ values: (self, ticks) => ticks.map((tick) => (tick === null ? '' : duration(tick * 1000))), size: 64, space: 28 })],
        series: [
          { label: 'Detected', value: (self, value) => (value ? new Date(value * 1000).toLocaleString() : '—') },
          ...phases.map((phase) => {
            const [variable, fallback] = PHASE_COLORS[phase] ?? PHASE_COLORS[4];
            const color = themeColor(variable, fallback);
            return {
              label: PHASE_LABELS[phase] ?? `Phase ${phase}`,
              stroke: color,
              width: 0,
              paths: () => null,
              points: { show: true, size: 8, fill: color, stroke: color },
              // index - 1: the data starts with the empty margin point.
              value: (self, value, seriesIndex, index) =>
                value === null || value === undefined ? '—' : `${duration(value * 1000)}${index !== null && points[index - 1] ? ` · ${points[index - 1].service}` : ''}`,
            };
          }),
        ],
      },
      [x, ...series],
    );
  };
  return { element, draw };
}
