import { describe, expect, it } from 'vitest';
import { parseCsv } from './parse-csv.js';
import { parseDateTime, parseSessionCsv } from './session-csv.js';

describe('CSV parsing', () => {
  it('handles quotes, embedded delimiters and line breaks, CRLF and a BOM, keeping line numbers', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",2\n3,4';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', '2'] },
      { line: 6, fields: ['3', '4'] },
    ]);
  });

  it('reads dates with offsets as given and local times in the chosen zone', () => {
    expect(parseDateTime('2026-03-01T18:05:00+07:00', 'UTC', 'ymd')!.toISOString()).toBe('2026-03-01T11:05:00.000Z');
    expect(parseDateTime('2026-03-01 18:05', 'Asia/Jakarta', 'ymd')!.toISOString()).toBe('2026-03-01T11:05:00.000Z');
    expect(parseDateTime('01/03/2026 18:05', 'Asia/Jakarta', 'dmy')!.toISOString()).toBe('2026-03-01T11:05:00.000Z');
    expect(parseDateTime('3/1/2026 6:05 PM', 'America/Los_Angeles', 'mdy')!.toISOString()).toBe('2026-03-02T02:05:00.000Z');
    // Daylight saving: Los Angeles is UTC-7 in July.
    expect(parseDateTime('7/1/2026 6:05 PM', 'America/Los_Angeles', 'mdy')!.toISOString()).toBe('2026-07-02T01:05:00.000Z');
    expect(parseDateTime('2026-02-31 10:00', 'UTC', 'ymd')).toBeNull();
    expect(parseDateTime('yesterday', 'UTC', 'ymd')).toBeNull();
  });
});

describe('historical session CSV', () => {
  it('maps a generic export by its headers, reports bad rows by line and keeps the good ones', () => {
    const csv = [
      'Station;Connector;Start;End;kWh;User;Max kW',
      'CP-1;1;2026-03-01 08:00;2026-03-01 10:30;12,5;CARD-1;7,4',
      'CP-1;2;2026-03-01 09:00;2026-03-01 08:00;5;CARD-2;',
      'CP-2;1;not a date;2026-03-01 10:00;5;;',
      ';1;2026-03-01 09:00;2026-03-01 10:00;5;;',
      'CP-2;x;2026-03-01 09:00;2026-03-01 10:00;5;;',
      'CP-2;1;2026-03-01 09:00;2026-03-01 10:00;-3;;',
      'CP-2;;2026-03-02 09:00;2026-03-02 10:00;1.234,5;;',
    ].join('\n');
    const out = parseSessionCsv(csv, { timeZone: 'Asia/Jakarta' });
    expect(out.rows).toBe(7);
    expect(out.mapping).toMatchObject({ chargePointId: 'Station', connectorId: 'Connector', startedAt: 'Start', stoppedAt: 'End', energyKwh: 'kWh', idTag: 'User', maxKw: 'Max kW' });
    expect(out.sessions).toHaveLength(2);
    expect(out.sessions[0]).toMatchObject({ line: 2, chargePointId: 'CP-1', connectorId: 1, idTag: 'CARD-1', energyWh: 12500, maxPowerW: 7400 });
    expect(out.sessions[0]!.startedAt.toISOString()).toBe('2026-03-01T01:00:00.000Z');
    expect(out.sessions[1]).toMatchObject({ line: 8, connectorId: 1, idTag: null, energyWh: 1234500 });
    expect(out.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(out.errors[0]!.message).toMatch(/ends .* before it starts/);
    expect(out.errors[1]!.message).toMatch(/start "not a date" is not a date/);
    expect(out.errors[2]!.message).toBe('no charge point');
    expect(out.errors[3]!.message).toMatch(/connector "x"/);
    expect(out.errors[4]!.message).toMatch(/energy/);
  });

  it('reads the SteVe and ChargePoint presets (meter values; charging time gives the idle time)', () => {
    const steve = 'Transaction ID,ChargeBox ID,Connector ID,OCPP ID Tag,Start Date/Time,Start Value,Stop Date/Time,Stop Value,Stop Reason\n' + '17,CB-9,2,04A2B3C4,2026-01-10 07:00:00,1000000,2026-01-10 09:00:00,1021500,Local\n';
    const s = parseSessionCsv(steve, { preset: 'steve' });
    expect(s.sessions[0]).toMatchObject({ chargePointId: 'CB-9', connectorId: 2, idTag: '04A2B3C4', energyWh: 21500 });
    const cp =
      'Station Name,MAC Address,Start Date,End Date,Total Duration (hh:mm:ss),Charging Time (hh:mm:ss),Energy (kWh),Port Number,User ID\n' +
      'PALO ALTO CA / HAMILTON #1,0024:B100,7/29/2011 20:17,7/29/2011 23:20,3:03:32,1:54:03,6.249457,2,3284\n';
    const c = parseSessionCsv(cp, { preset: 'chargepoint', timeZone: 'America/Los_Angeles' });
    expect(c.errors).toEqual([]);
    expect(c.sessions[0]).toMatchObject({ chargePointId: 'PALO ALTO CA / HAMILTON #1', connectorId: 2, idTag: '3284', energyWh: 6249 });
    expect(c.sessions[0]!.startedAt.toISOString()).toBe('2011-07-30T03:17:00.000Z');
    expect(c.sessions[0]!.chargingEndedAt!.getTime() - c.sessions[0]!.startedAt.getTime()).toBe((3600 + 54 * 60 + 3) * 1000);
  });

  it('fails clearly when a required column cannot be found, naming the columns it has', () => {
    expect(() => parseSessionCsv('when,what\n1,2\n')).toThrow(/cannot find the column\(s\) for chargePointId, startedAt, stoppedAt, energy .*; the file's columns are: when, what/);
    expect(() => parseSessionCsv('a,b\n', { columns: { energyKwh: 'Energy' } })).toThrow(/column "Energy" \(for energyKwh\) is not in the file/);
    expect(() => parseSessionCsv('', {})).toThrow(/empty/);
    expect(() => parseSessionCsv('a\n', { timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});
