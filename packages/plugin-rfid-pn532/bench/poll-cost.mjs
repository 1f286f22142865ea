#!/usr/bin/env node
// How much one reader poll (InListPassiveTarget) costs: host CPU time per poll against the
// emulator (the JS side of the driver; the real chip adds its RF time), and the I2C bytes moved,
// from which the bus time at 100 kHz and 400 kHz follows (9 bit times per byte, plus a start,
// the address byte and a stop per transfer). Prints figures; asserts nothing.
//
// Usage: node bench/poll-cost.mjs [--polls 2000] [--busy-polls 3]   (needs a built dist: npm run build)
import { parseArgs } from 'node:util';

const HELP = `poll-cost: CPU time and I2C bytes per PN532 poll, measured against the emulator

Usage: node bench/poll-cost.mjs [--polls <n>] [--busy-polls <n>]
  --polls <n>        polls per case (default 2000)
  --busy-polls <n>   status reads answered busy before each frame, as a real chip does while working (default 3)
  -h, --help         this help
`;
let args;
try {
  args = parseArgs({ options: { polls: { type: 'string' }, 'busy-polls': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  process.stderr.write(`${err.message}\n\n${HELP}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const polls = Number(args.polls ?? 2000);
const busyPolls = Number(args['busy-polls'] ?? 3);
if (!(Number.isInteger(polls) && polls > 0) || !(Number.isInteger(busyPolls) && busyPolls >= 0)) {
  process.stderr.write('--polls must be a whole number > 0 and --busy-polls a whole number >= 0\n');
  process.exit(2);
}

let Pn532, Pn532Emulator;
try {
  ({ Pn532 } = await import('../dist/index.js'));
  ({ Pn532Emulator } = await import('../dist/testing/index.js'));
} catch {
  process.stderr.write('dist/ is missing: run "npm run build -w @charge-it/plugin-rfid-pn532" first\n');
  process.exit(1);
}

async function measure(card) {
  const chip = new Pn532Emulator({ busyPolls, ...(card ? { card } : {}) });
  let bytes = 0;
  let transfers = 0;
  const read = chip.i2cRead.bind(chip);
  const write = chip.i2cWrite.bind(chip);
  chip.i2cRead = (a, n, b) => ((bytes += n), transfers++, read(a, n, b));
  chip.i2cWrite = (a, n, b) => ((bytes += n), transfers++, write(a, n, b));
  const pn532 = new Pn532(chip, { statusPollMs: 0 });
  await pn532.init();
  bytes = 0;
  transfers = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < polls; i++) await pn532.readPassiveTarget();
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / polls;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / polls;
  const perPoll = bytes / polls;
  const transfersPerPoll = transfers / polls;
  // Per transfer: start + address byte (9 bits) + stop ≈ 11 bit times; per data byte 9 bit times.
  const bits = perPoll * 9 + transfersPerPoll * 11;
  return { cpuUs, wallUs, perPoll, transfersPerPoll, ms100k: bits / 100, ms400k: bits / 400 };
}

const rows = [
  ['no card', await measure(undefined)],
  ['4-byte UID', await measure('04A23B1C')],
  ['10-byte UID', await measure('0102030405060708090A')],
];
process.stdout.write(`PN532 poll cost over ${polls} polls, ${busyPolls} busy status reads per frame (node ${process.version})\n`);
process.stdout.write('case          CPU µs/poll  wall µs/poll  I2C transfers  I2C bytes  bus ms @100kHz  bus ms @400kHz\n');
for (const [name, r] of rows) {
  process.stdout.write(
    `${name.padEnd(13)} ${r.cpuUs.toFixed(1).padStart(11)}  ${r.wallUs.toFixed(1).padStart(12)}  ${r.transfersPerPoll.toFixed(1).padStart(13)}  ${r.perPoll.toFixed(0).padStart(9)}  ${r.ms100k.toFixed(2).padStart(14)}  ${r.ms400k.toFixed(2).padStart(14)}\n`,
  );
}
process.stdout.write('At the default pollIntervalMs 200 the reader polls 5 times a second.\n');
