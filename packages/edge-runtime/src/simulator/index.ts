export {
  runSimulation,
  type SimulationOptions,
  type SimulationDeps,
  type SimulatedChargePointHandle,
  type ChargePointFactory,
} from './run-simulation.js';
export { SummaryPrinter, formatSummary, type SimulationStats } from './summary-line.js';
export { createRandom } from './random-source.js';
