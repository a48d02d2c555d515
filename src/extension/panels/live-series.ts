/**
 * Metric histories of chart panels: answers the webview's requests (sampled, a zoomed step range, or
 * every point for CSV) and, while runs log, sends the points that came after what the webview holds.
 */
import type { Metric, MlflowClient } from '../../client/mlflow-client';
import type { HostMessage, SeriesPayload, WebviewMessage } from '../../webview/protocol';
import { fullSeries, sampledSeries, toPayload } from './data';

interface Held {
  lastStep: number;
  lastTimestamp: number;
}

export class LiveSeries {
  /** metric key → run id → the last point the webview holds. */
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly post: (message: HostMessage) => void) {}

  /** The webview went away: it asks again for what it needs. */
  reset(): void {
    this.held.clear();
  }

  async request(client: MlflowClient, message: Extract<WebviewMessage, { type: 'requestSeries' }>): Promise<HostMessage> {
    const { key, runIds, range, full } = message;
    const series = full ? await fullSeries(client, runIds, key) : await sampledSeries(client, runIds, key, range);
    if (!full && !range) {
      let runs = this.held.get(key);
      if (!runs) this.held.set(key, (runs = new Map()));
      for (const s of series) {
        const last = s.steps.length - 1;
        runs.set(s.runId, last >= 0 ? { lastStep: s.steps[last]!, lastTimestamp: s.timestamps[last]! } : { lastStep: -Infinity, lastTimestamp: -Infinity });
      }
    }
    return { type: 'series', requestId: message.requestId, key, full: full ?? false, series, ...(range ? { range } : {}) };
  }

  /** `runId` logged: for each metric the webview holds for it, send the new points. */
  async runChanged(client: MlflowClient, runId: string): Promise<void> {
    const previous = this.inFlight.get(runId);
    if (previous) await previous;
    const work = this.sendNew(client, runId);
    this.inFlight.set(runId, work);
    try {
      await work;
    } finally {
      if (this.inFlight.get(runId) === work) this.inFlight.delete(runId);
    }
  }

  heldRuns(): Set<string> {
    const runs = new Set<string>();
    for (const byRun of this.held.values()) for (const runId of byRun.keys()) runs.add(runId);
    return runs;
  }

  private async sendNew(client: MlflowClient, runId: string): Promise<void> {
    for (const [key, runs] of this.held) {
      const held = runs.get(runId);
      if (!held) continue;
      const from = Number.isFinite(held.lastStep) ? held.lastStep : Number.MIN_SAFE_INTEGER;
      const [answer] = await sampledSeries(client, [runId], key, { start: from, end: Number.MAX_SAFE_INTEGER });
      // The webview may have been reset meanwhile.
      if (!answer || this.held.get(key)?.get(runId) !== held) continue;
      const fresh: Metric[] = [];
      for (let i = 0; i < answer.steps.length; i++) {
        const step = answer.steps[i]!;
        const timestamp = answer.timestamps[i]!;
        if (step > held.lastStep || (step === held.lastStep && timestamp > held.lastTimestamp)) fresh.push({ key, step, timestamp, value: answer.values[i]! });
      }
      if (fresh.length === 0) continue;
      fresh.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
      const last = fresh[fresh.length - 1]!;
      held.lastStep = last.step;
      held.lastTimestamp = last.timestamp;
      const payload: SeriesPayload = toPayload(runId, fresh, answer.sampled);
      this.post({ type: 'append', key, series: [payload] });
    }
  }
}
