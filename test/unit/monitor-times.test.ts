/**
 * The monitoring message and the run card's monitor label write checkpoint times with seconds when the checkpoints
 * are less than a minute apart (as the chart's axis does), and to the minute otherwise.
 */
import { describe, expect, it } from 'vitest';
import { type MonitorView, monitorMessage, progressText } from '../../src/slack/monitor-blocks.js';

const texts = (v: MonitorView) =>
  (monitorMessage(17, v).blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '').join('\n');

const view = (at: string, nextAt: string): MonitorView => ({
  env: 'production',
  plan: 'tight',
  done: 3,
  missed: 0,
  total: 40,
  nextAt,
  latest: { at, judged: [] },
});

describe('checkpoint times', () => {
  it('every 30 s: the checkpoint and the next one with seconds, never the same minute twice', () => {
    const v = view('2026-11-22T10:01:30.412Z', '2026-11-22T10:02:00.412Z');
    expect(texts(v)).toContain('Checkpoint at 10:01:30 UTC:');
    expect(progressText(v)).toBe('3/40 checkpoints · next 10:02:00 UTC');
  });

  it('every 5 min: to the minute', () => {
    const v = view('2026-11-22T10:05:30.412Z', '2026-11-22T10:10:30.412Z');
    expect(texts(v)).toContain('Checkpoint at 10:05 UTC:');
    expect(progressText(v)).toBe('3/40 checkpoints · next 10:10 UTC');
  });
});
