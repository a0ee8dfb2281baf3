/**
 * One end of the IPC channel between the core process and a REST gateway worker: a cluster
 * Worker on the core's side, `process` on the worker's. Sending on a closed channel drops the
 * message (the other side is gone, and its pending requests fail on its own side).
 */
import type { Worker } from 'node:cluster';
import { isProtocolMessage, type CoreToWorker, type WorkerToCore } from './protocol.js';

export interface Channel<In, Out> {
  readonly connected: boolean;
  send(message: Out): void;
  /** Calls `listener` for each protocol message; returns a function that stops it. */
  onMessage(listener: (message: In) => void): () => void;
  /** Calls `listener` once the channel has closed. */
  onClose(listener: () => void): void;
}

interface IpcEndpoint {
  readonly connected: boolean;
  send(message: unknown, callback: (error: Error | null) => void): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
}

function channelOver<In, Out>(endpoint: IpcEndpoint): Channel<In, Out> {
  return {
    get connected() {
      return endpoint.connected;
    },
    send(message) {
      if (!endpoint.connected) return;
      // The callback swallows a send racing the channel's close.
      endpoint.send(message, () => {});
    },
    onMessage(listener) {
      const filtered = (message: unknown) => {
        if (isProtocolMessage(message)) listener(message as In);
      };
      endpoint.on('message', filtered);
      return () => void endpoint.off('message', filtered);
    },
    onClose(listener) {
      if (!endpoint.connected) queueMicrotask(listener);
      else endpoint.once('disconnect', listener);
    },
  };
}

/** The core's end of one worker's channel. */
export function channelToWorker(worker: Worker): Channel<WorkerToCore, CoreToWorker> {
  return channelOver({
    get connected() {
      return worker.isConnected();
    },
    send: (message, callback) => worker.send(message as never, callback),
    on: (event, listener) => worker.on(event, listener),
    off: (event, listener) => worker.off(event, listener),
    once: (event, listener) => worker.once(event, listener),
  });
}

/** A worker's end of its channel to the core (this process's IPC channel). */
export function channelToCore(): Channel<CoreToWorker, WorkerToCore> {
  if (!process.send) throw new Error('a REST gateway worker must be started by the core process (no IPC channel)');
  const send = process.send.bind(process);
  return channelOver({
    get connected() {
      return process.connected;
    },
    send: (message, callback) => void send(message, undefined, undefined, callback),
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
    once: (event, listener) => process.once(event, listener),
  });
}
