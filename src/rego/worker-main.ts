/** The worker side of evaluateInWorker: one evaluation per message. */
import { parentPort } from 'node:worker_threads';
import { evaluate } from './index.js';
import type { WorkerRequest } from './worker.js';

parentPort?.on('message', (request: WorkerRequest) => {
  parentPort?.postMessage(evaluate(request.modules, request.query, request.documents, request.limits));
});
