import type { SqlDriver, SqlStatement } from './driver';
import type { Metric, RunMetric } from './entities';
import { invalidParameter } from './errors';
import { decodePageToken, encodePageToken } from './page-token';

interface PointRow {
  timestamp: number;
  step: number;
  value: number;
  is_nan: number;
}

type Prepare = <Row>(sql: string) => SqlStatement<Row>;

export const MAX_BULK_RUNS = 100;
export const MAX_SAMPLED_RESULTS = 2500;

/**
 * Reads of metric histories. Pages are keyed by the last point returned (timestamp, step, value), not by
 * an offset, so reading a long series page by page walks the index once.
 */
export class MetricHistory {
  constructor(
    private readonly db: SqlDriver,
    private readonly sql: Prepare,
    private readonly runRow: (runUuid: string) => { id: number },
  ) {}

  /**
   * One page of a run's history for `key`, ordered by timestamp, step, value. Callers that want the whole
   * history follow the tokens, so no request ever holds a whole long series in memory.
   */
  page(runUuid: string, key: string, maxResults: number, pageToken?: string): { points: Metric[]; next_page_token?: string } {
    const seriesId = this.series(this.runRow(runUuid).id, key)?.id;
    const after = pageToken ? decodeHistoryToken(pageToken) : undefined;
    if (seriesId === undefined) return { points: [] };
    const rows = after
      ? this.sql<PointRow>(
          `SELECT timestamp, step, value, is_nan FROM metrics WHERE series_id = ? AND (timestamp, step, value, is_nan) > (?, ?, ?, ?)
           ORDER BY timestamp, step, value, is_nan LIMIT ?`,
        ).all(seriesId, after.timestamp, after.step, after.value, after.is_nan, maxResults + 1)
      : this.sql<PointRow>('SELECT timestamp, step, value, is_nan FROM metrics WHERE series_id = ? ORDER BY timestamp, step, value, is_nan LIMIT ?').all(
          seriesId,
          maxResults + 1,
        );
    const points = rows.slice(0, maxResults).map((row) => toMetric(key, row));
    if (rows.length <= maxResults) return { points };
    const last = rows[maxResults - 1]!;
    return { points, next_page_token: encodePageToken({ t: last.timestamp, s: last.step, v: last.value, n: last.is_nan }) };
  }

  /**
   * Up to `maxResults` points per run, evenly spread over each run's ordered history (in the step range
   * when given), as mlflow 3.18's SQL store samples get-history-bulk-interval: the first point of each of
   * `maxResults` equal buckets, and always the last point.
   */
  sampled(runUuids: readonly string[], key: string, maxResults = MAX_SAMPLED_RESULTS, range?: { start: number; end: number }): RunMetric[] {
    if (runUuids.length === 0) throw invalidParameter("Missing value for required parameter 'run_ids'.");
    if (runUuids.length > MAX_BULK_RUNS) {
      throw invalidParameter(`GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids. Received ${runUuids.length} run_ids.`);
    }
    if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > MAX_SAMPLED_RESULTS) {
      throw invalidParameter(`max_results must be between 1 and ${MAX_SAMPLED_RESULTS}.`);
    }
    if (range && range.start > range.end) {
      throw invalidParameter(`end_step must be greater than start_step. Found start_step=${range.start} and end_step=${range.end}.`);
    }
    const low = range?.start ?? Number.MIN_SAFE_INTEGER;
    const high = range?.end ?? Number.MAX_SAFE_INTEGER;
    // Both walk the metrics_sampling index (series_id, step, timestamp, value, is_nan) in order.
    const first = this.sql<PointRow>(
      'SELECT timestamp, step, value, is_nan FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp, value, is_nan LIMIT ? OFFSET ?',
    );
    // Without a range, the upper bound is left out: checking it on every skipped point costs ~10%.
    const after = this.sql<PointRow>(
      `SELECT timestamp, step, value, is_nan FROM metrics WHERE series_id = ? AND (step, timestamp, value, is_nan) > (?, ?, ?, ?)
       ${range ? 'AND step <= ? ' : ''}ORDER BY step, timestamp, value, is_nan LIMIT 1 OFFSET ?`,
    );
    const upper = range ? [range.end] : [];
    return this.db.transaction(() => {
      const result: RunMetric[] = [];
      for (const runUuid of runUuids) {
        const series = this.series(this.runRow(runUuid).id, key);
        if (series === undefined) continue;
        const count = range
          ? this.sql<{ n: number }>('SELECT count(*) AS n FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ?').get(series.id, low, high)!.n
          : series.points;
        const positions = bucketStarts(count, maxResults);
        let rows: PointRow[] = [];
        if (positions.length === count) {
          if (count > 0) rows = first.all(series.id, low, high, count, 0);
        } else {
          // From one chosen point to the next: OFFSET skips the points in between inside SQLite, so the whole
          // sample costs one pass over the index (a window function numbering the range took ~10x longer).
          let point = first.get(series.id, low, high, 1, positions[0]!);
          for (let i = 1; point !== undefined; i++) {
            rows.push(point);
            if (i === positions.length) break;
            point = after.get(series.id, point.step, point.timestamp, point.value, point.is_nan, ...upper, positions[i]! - positions[i - 1]! - 1);
          }
        }
        for (const row of rows) result.push({ ...toMetric(key, row), run_id: runUuid });
      }
      return result;
    });
  }

  private series(runId: number, key: string): { id: number; points: number } | undefined {
    return this.sql<{ id: number; points: number }>('SELECT id, points FROM latest_metrics WHERE run_id = ? AND key = ?').get(runId, key);
  }
}

function toMetric(key: string, row: PointRow): Metric {
  return { key, value: row.is_nan ? NaN : row.value, timestamp: row.timestamp, step: row.step };
}

function decodeHistoryToken(token: string): PointRow {
  const { t, s, v, n } = decodePageToken(token);
  if (typeof t !== 'number' || typeof s !== 'number' || typeof v !== 'number' || (n !== 0 && n !== 1)) {
    throw invalidParameter(`Invalid page token '${token.slice(0, 100)}' for metric history.`);
  }
  return { timestamp: t, step: s, value: v, is_nan: n };
}

/**
 * Positions of the first row of each of `buckets` NTILE buckets over `total` rows, plus the last row
 * (which replaces the final sample when the sample is already full).
 */
function bucketStarts(total: number, buckets: number): number[] {
  if (total === 0) return [];
  if (total <= buckets) return Array.from({ length: total }, (_, i) => i);
  const size = Math.floor(total / buckets);
  const larger = total % buckets; // NTILE gives the first `larger` buckets one extra row
  const starts = Array.from({ length: buckets }, (_, j) => j * size + Math.min(j, larger));
  starts[starts.length - 1] = total - 1;
  return starts;
}
