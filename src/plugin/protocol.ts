/** Messages between the plugin host (main thread) and the worker that runs the plugin. */

export type PluginStep = 'load' | 'plugin_init' | 'plugin_process' | 'plugin_cleanup';

export type HostRequest =
  | { id: number; step: 'load'; path: string; memoryCapBytes: number }
  | { id: number; step: 'plugin_init'; config: string }
  | { id: number; step: 'plugin_process'; request: string; outputCapBytes: number }
  | { id: number; step: 'plugin_cleanup' };

export interface ModuleInfo {
  exports: string[];
  imports: string[];
  initialMemoryBytes: number;
}

export type LogLevel = 0 | 1 | 2 | 3;

export type WorkerMessage =
  | { kind: 'log'; level: LogLevel; message: string }
  | { kind: 'metric'; name: string; value: number; timestampMs: number }
  | { kind: 'notice'; message: string }
  | { kind: 'done'; id: number; output?: string; module?: ModuleInfo }
  | { kind: 'failed'; id: number; what: string };
