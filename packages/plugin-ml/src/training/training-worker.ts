/**
 * The training worker thread: receives a TrainingData message, trains every model and posts
 * progress messages, then the outcomes. Runs off the main event loop, so OCPP traffic is never
 * slowed by training.
 */
import { parentPort } from 'node:worker_threads';
import { unpackTrainingData, type PackedTrainingData } from './pack.js';
import { trainAll } from './train-all.js';

if (!parentPort) throw new Error('training-worker.js must run as a worker thread');
const port = parentPort;
port.once('message', (data: PackedTrainingData) => {
  try {
    const outcomes = trainAll(unpackTrainingData(data), (step) => port.postMessage({ type: 'progress', ...step }));
    port.postMessage({ type: 'done', outcomes });
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
  }
});
