import { describe, expect, it } from 'vitest';
import { formatSummary, SummaryPrinter, type SimulationStats } from './summary-line.js';

const stats: SimulationStats = {
  elapsedS: 12.4,
  total: 100,
  connected: 98,
  booted: 97,
  activeTx: 40,
  msgsSent: 1234,
  errors: 2,
  sessionsStarted: 50,
  sessionsStopped: 10,
  refused: 3,
};

describe('summary line', () => {
  it('shows the counters on one line', () => {
    expect(formatSummary(stats)).toBe(
      '[  12s] connected 98/100 | booted 97 | active tx 40 | msgs sent 1234 | errors 2 | sessions 50 started, 10 stopped, 3 refused',
    );
  });

  it('rewrites the line in place on a terminal and ends it on done()', () => {
    const out: string[] = [];
    const printer = new SummaryPrinter({ isTTY: true, write: (s: string) => out.push(s) });
    printer.print(stats);
    printer.print({ ...stats, elapsedS: 13 });
    printer.done();
    printer.done();
    expect(out).toHaveLength(3);
    expect(out[0]!.startsWith('\r\x1b[2K[  12s]')).toBe(true);
    expect(out[1]!.startsWith('\r\x1b[2K[  13s]')).toBe(true);
    expect(out[2]).toBe('\n');
  });

  it('prints plain lines when not a terminal', () => {
    const out: string[] = [];
    const printer = new SummaryPrinter({ write: (s: string) => out.push(s) });
    printer.print(stats);
    printer.done();
    expect(out).toEqual([`${formatSummary(stats)}\n`]);
  });
});
