/** In a fleet, one Prometheus scrapes many daemons: every series says its host. */
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../src/web/metrics.js';

describe('metrics in a fleet', () => {
  it('carry host="<name>" on every series', async () => {
    const text = await new PrometheusMetrics({ host: 'web1', defaultMetrics: false }).registry.metrics();
    const series = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(series.length).toBeGreaterThan(0);
    for (const line of series) expect(line).toMatch(/host="web1"/);
  });
});
