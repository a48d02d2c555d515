/**
 * Min, max, last and point count of each metric of one run, kept up to date while the run logs. A short
 * history is read whole from one sampled request (the server returns every point when there are fewer than
 * it may send); a long one shows the sample's figures as approximate while its full history is counted in
 * the background. New points are read incrementally from the last step on.
 */
import type { Metric, MlflowClient, Run } from '../../client/mlflow-client';
import { encodeMetricValue, MAX_SAMPLED_POINTS, type MetricStats } from '../../webview/protocol';
import { mapLimit, sparkline } from './data';

/** Beyond this many points a full count is not attempted: the figures stay approximate. */
const MAX_SCANNED_POINTS = 3_000_000;
const SPARK_POINTS = 100;

interface Accumulator {
  key: string;
  count: number;
  min: number;
  max: number;
  lastStep: number;
  lastTimestamp: number;
  exact: boolean;
  /** Values in step order for the sparkline (a sample when the history is long). */
  trend: number[];
  scanning: boolean;
}

export class MetricStatsTracker {
  private readonly stats = new Map<string, Accumulator>();
  private generation = 0;

  constructor(
    private readonly runId: string,
    /** Called when a background count finished (the panel posts a new snapshot). */
    private readonly onBackgroundUpdate: () => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Forget everything (another server). */
  reset(): void {
    this.stats.clear();
    this.generation++;
  }

  /** Brings every metric of `run` up to date and returns the stats in key order. */
  async update(client: MlflowClient, run: Run): Promise<MetricStats[]> {
    const latest = [...run.data.metrics].sort((a, b) => a.key.localeCompare(b.key));
    await mapLimit(latest, 8, async (metric) => {
      const known = this.stats.get(metric.key);
      try {
        if (!known) await this.readWhole(client, metric.key);
        else if (metric.step !== known.lastStep || metric.timestamp !== known.lastTimestamp) await this.readNew(client, known);
      } catch (error) {
        // The last value still shows; min, max and count wait for the next update.
        this.log(`Runboard: could not read the history of ${metric.key}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    for (const key of [...this.stats.keys()]) if (!latest.some((m) => m.key === key)) this.stats.delete(key);
    return latest.map((metric) => this.toStats(metric));
  }

  private toStats(latest: Metric): MetricStats {
    const acc = this.stats.get(latest.key);
    const stats: MetricStats = { key: latest.key, last: encodeMetricValue(latest.value), lastStep: latest.step, lastTimestamp: latest.timestamp, exact: acc?.exact ?? false };
    if (acc && acc.count > 0) {
      const ordered = acc.min <= acc.max; // false when every value was NaN
      stats.min = ordered ? encodeMetricValue(acc.min) : 'NaN';
      stats.max = ordered ? encodeMetricValue(acc.max) : 'NaN';
      stats.count = acc.count;
      stats.spark = sparkline(acc.trend, SPARK_POINTS);
    }
    return stats;
  }

  private async readWhole(client: MlflowClient, key: string): Promise<void> {
    const points = await client.sampledMetricHistory([this.runId], key, { maxResults: MAX_SAMPLED_POINTS });
    const acc: Accumulator = { key, count: 0, min: Infinity, max: -Infinity, lastStep: -Infinity, lastTimestamp: -Infinity, exact: points.length < MAX_SAMPLED_POINTS, trend: [], scanning: false };
    this.add(acc, points);
    this.stats.set(key, acc);
    if (!acc.exact) this.scanInBackground(client, acc);
  }

  private async readNew(client: MlflowClient, acc: Accumulator): Promise<void> {
    const from = Number.isFinite(acc.lastStep) ? acc.lastStep : Number.MIN_SAFE_INTEGER;
    const points = await client.sampledMetricHistory([this.runId], acc.key, { maxResults: MAX_SAMPLED_POINTS, startStep: from, endStep: Number.MAX_SAFE_INTEGER });
    const fresh = points.filter((p) => p.step > acc.lastStep || (p.step === acc.lastStep && p.timestamp > acc.lastTimestamp));
    if (points.length >= MAX_SAMPLED_POINTS) {
      // Too many new points to be sure none was left out: count them again.
      acc.exact = false;
      this.add(acc, fresh, false);
      this.scanInBackground(client, acc);
      return;
    }
    this.add(acc, fresh);
    if (acc.trend.length > SPARK_POINTS * 40) acc.trend = acc.trend.filter((_, i) => i % 2 === 0);
  }

  private add(acc: Accumulator, points: readonly Metric[], count = true): void {
    for (const point of points) {
      if (count) acc.count++;
      // NaN is counted but has no order: min and max are over the other values.
      if (point.value < acc.min) acc.min = point.value;
      if (point.value > acc.max) acc.max = point.value;
      if (point.step > acc.lastStep || (point.step === acc.lastStep && point.timestamp > acc.lastTimestamp)) {
        acc.lastStep = point.step;
        acc.lastTimestamp = point.timestamp;
      }
      acc.trend.push(point.value);
    }
  }

  /** Counts a long history page by page; the sample's figures stand meanwhile. */
  private scanInBackground(client: MlflowClient, acc: Accumulator): void {
    if (acc.scanning) return;
    acc.scanning = true;
    const generation = this.generation;
    void (async () => {
      const scan: Accumulator = { ...acc, count: 0, min: Infinity, max: -Infinity, lastStep: -Infinity, lastTimestamp: -Infinity, trend: [] };
      try {
        for await (const page of client.metricHistory(this.runId, acc.key)) {
          if (generation !== this.generation) return;
          for (const point of page) {
            scan.count++;
            if (point.value < scan.min) scan.min = point.value;
            if (point.value > scan.max) scan.max = point.value;
            if (point.step > scan.lastStep || (point.step === scan.lastStep && point.timestamp > scan.lastTimestamp)) {
              scan.lastStep = point.step;
              scan.lastTimestamp = point.timestamp;
            }
          }
          if (scan.count > MAX_SCANNED_POINTS) return;
        }
        const current = this.stats.get(acc.key);
        if (current !== acc || generation !== this.generation) return;
        acc.count = scan.count;
        acc.min = scan.min;
        acc.max = scan.max;
        acc.lastStep = scan.lastStep;
        acc.lastTimestamp = scan.lastTimestamp;
        acc.exact = true;
        this.onBackgroundUpdate();
      } catch (error) {
        this.log(`Runboard: could not count the history of ${acc.key}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        acc.scanning = false;
      }
    })();
  }
}
