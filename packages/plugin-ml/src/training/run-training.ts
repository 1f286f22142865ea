import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transferList, type PackedTrainingData } from './pack.js';
import type { ProgressListener, TrainingOutcomes } from './train-all.js';

/**
 * The worker's entry: next to this module in the build (`dist/training-worker.js`). When this module
 * runs from its TypeScript source (tests, `node --experimental-strip-types`), the worker loads the
 * `.ts` source through a small resolve hook that maps the sources' `./x.js` imports to `./x.ts`.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  const built = new URL('./training-worker.js', here);
  if (existsSync(fileURLToPath(built))) return built;
  const source = new URL('./training-worker.ts', here);
  const bootstrap = [
    "import { registerHooks } from 'node:module';",
    'registerHooks({ resolve(specifier, context, next) {',
    '  try { return next(specifier, context); } catch (err) {',
    "    if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);",
    '    throw err; } } });',
    `await import(${JSON.stringify(source.href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

export interface RunningTraining {
  promise: Promise<TrainingOutcomes>;
  /** Stops the worker (the promise rejects). */
  terminate(): Promise<void>;
}

/**
 * Trains every model in a worker thread; progress arrives on the main thread's event loop. The
 * packed sessions' buffers are transferred (not copied): `data` cannot be used again afterwards.
 */
export function runTrainingInWorker(data: PackedTrainingData, onProgress: ProgressListener = () => {}, options: { resourceLimits?: { maxOldGenerationSizeMb?: number } } = {}): RunningTraining {
  const worker = new Worker(workerEntry(), { resourceLimits: options.resourceLimits });
  let settled = false;
  const promise = new Promise<TrainingOutcomes>((resolve, reject) => {
    worker.on('message', (msg: { type: string; outcomes?: TrainingOutcomes; message?: string; model?: string; done?: number; total?: number }) => {
      if (msg.type === 'progress') onProgress({ model: msg.model!, done: msg.done!, total: msg.total! });
      else if (msg.type === 'done') {
        settled = true;
        resolve(msg.outcomes!);
        void worker.terminate();
      } else if (msg.type === 'error') {
        settled = true;
        reject(new Error(`training failed: ${msg.message}`));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the training worker stopped (exit code ${code}) before it finished`));
    });
  });
  worker.postMessage(data, transferList(data.packed));
  return {
    promise,
    async terminate() {
      await worker.terminate();
    },
  };
}
