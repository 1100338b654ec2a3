/**
 * Entry point of the worker thread a plugin runs in. The main thread can terminate this worker
 * at any time (a hung plugin), so nothing here holds state the host needs afterwards.
 */
import { parentPort } from 'node:worker_threads';
import { CallFailure, PluginInstance } from './plugin-instance.js';
import type { HostRequest, WorkerMessage } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('plugin-worker must run in a worker thread');

let plugin: PluginInstance | undefined;
const send = (message: WorkerMessage): void => port.postMessage(message);
const events = {
  log: (level: 0 | 1 | 2 | 3, message: string) => send({ kind: 'log', level, message }),
  metric: (name: string, value: number, timestampMs: number) => send({ kind: 'metric', name, value, timestampMs }),
  notice: (message: string) => send({ kind: 'notice', message }),
};

function loaded(): PluginInstance {
  if (!plugin) throw new Error('plugin call before load');
  return plugin;
}

port.on('message', (request: HostRequest) => {
  try {
    switch (request.step) {
      case 'load': {
        const { instance, info } = PluginInstance.load(request.path, request.memoryCapBytes, events);
        plugin = instance;
        send({ kind: 'done', id: request.id, module: info });
        break;
      }
      case 'plugin_init':
        loaded().init(request.config);
        send({ kind: 'done', id: request.id });
        break;
      case 'plugin_process':
        send({ kind: 'done', id: request.id, output: loaded().process(request.request, request.outputCapBytes) });
        break;
      case 'plugin_cleanup':
        loaded().cleanup();
        send({ kind: 'done', id: request.id });
        break;
    }
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    send({ kind: 'failed', id: request.id, what: error.message });
  }
});
