/**
 * Starts a worker thread from a module URL. The project runs its TypeScript through tsx, whose
 * loader does not reach worker threads by itself, so a .ts entry first registers tsx inside
 * the worker; a built .js entry is imported directly.
 */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(moduleUrl: string, workerData: unknown): Worker {
  const target = JSON.stringify(moduleUrl);
  const prepare = moduleUrl.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register())`
    : 'Promise.resolve()';
  return new Worker(`${prepare}.then(() => import(${target}))`, { eval: true, workerData });
}
