import { describe, expect, it } from 'vitest';
import { createReaderTestContext } from './reader-test-context.js';
import { simulatedReader } from './simulated-reader.js';

describe('simulatedReader', () => {
  it('presents tapped cards through the context: start, refuse, stop', async () => {
    const reader = simulatedReader({ cards: ['aa:bb:cc:dd', '11223344'], connectorId: 2 });
    await expect(reader.tap('AABBCCDD')).rejects.toThrow(/not started/);
    const ctx = createReaderTestContext();
    reader.setup(ctx);
    expect(reader.cards).toEqual(['AABBCCDD', '11223344']);
    expect(await reader.tap('aabbccdd')).toEqual({ result: 'started', connectorId: 2 });
    expect((await reader.tap('11223344')).result).toBe('refused');
    expect(await reader.tap('AABBCCDD', 2)).toEqual({ result: 'stopped', connectorId: 2 });
    expect(ctx.cards[0]).toEqual({ idTag: 'AABBCCDD', connectorId: 2, source: 'simulated-reader' });
    expect((await reader.tap('  ')).result).toBe('ignored');
    expect((await reader.tapRandom(() => 0.99)).result).toBe('started');
    expect(ctx.cards.at(-1)!.idTag).toBe('11223344');
    await ctx.close();
    await expect(reader.tap('AABBCCDD')).rejects.toThrow(/not started/);
  });
});
