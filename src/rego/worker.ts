/**
 * Runs `evaluate` in a worker thread with a wall-clock limit and a memory cap, so a runaway
 * policy (user code) errors its evaluation and never the server's event loop or heap.
 */
import { Worker } from 'node:worker_threads';
import type { EvaluateDocuments, EvaluateOutcome, Limits, RegoModule } from './index.js';
import { builtFile } from '../package-files.js';

export interface WorkerLimits extends Limits {
  /** Wall-clock limit for the evaluation, start-up included. Default 10 s. */
  timeoutMs?: number;
  /** Heap cap of the worker (V8 old generation). Default 256 MB. */
  maxMemoryMb?: number;
}

export interface WorkerRequest {
  modules: RegoModule[];
  query: string;
  /** Plain JSON only: structured cloning drops the Rego classes. */
  documents: EvaluateDocuments;
  limits: Limits;
}

const WORKER_URL = builtFile('src/rego/worker-main.js');

export function evaluateInWorker(
  modules: readonly RegoModule[],
  query: string,
  documents: EvaluateDocuments = {},
  limits: WorkerLimits = {},
): Promise<EvaluateOutcome> {
  const { timeoutMs = 10_000, maxMemoryMb = 256, ...evalLimits } = limits;
  const worker = new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: Math.max(16, Math.floor(maxMemoryMb / 8)), stackSizeMb: 8 },
  });
  return new Promise<EvaluateOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: EvaluateOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ errors: [{ code: 'eval_cancel_error', message: `evaluation exceeded the time limit of ${timeoutMs} ms` }] }),
      timeoutMs,
    );
    worker.once('message', (outcome: EvaluateOutcome) => finish(outcome));
    worker.once('error', (err: Error & { code?: string }) => {
      const memory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({
        errors: [
          {
            code: memory ? 'eval_limit_error' : 'eval_internal_error',
            message: memory ? `evaluation exceeded the memory limit of ${maxMemoryMb} MB` : err.message,
          },
        ],
      });
    });
    worker.once('exit', (code) => finish({ errors: [{ code: 'eval_internal_error', message: `evaluation worker exited with code ${code}` }] }));
    const request: WorkerRequest = { modules: [...modules], query, documents, limits: evalLimits };
    worker.postMessage(request);
  });
}
