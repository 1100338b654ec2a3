/**
 * The main-thread side of a plugin: starts its worker, makes each ABI call with a time limit,
 * and turns every way a plugin can fail (error code, trap, hang, crash) into a PluginError.
 * The worker is always terminated by `close`, so the host survives to load the next plugin.
 */
import { Worker } from 'node:worker_threads';
import { formatDuration } from '../units.js';
import { PluginError } from './plugin-error.js';
import type { HostRequest, LogLevel, ModuleInfo, PluginStep, WorkerMessage } from './protocol.js';

export interface PluginLimits {
  timeoutMs: number;
  memoryBytes: number;
  outputBytes: number;
}

export const DEFAULT_LIMITS: PluginLimits = {
  timeoutMs: 5000,
  memoryBytes: 256 * 2 ** 20,
  outputBytes: 2 ** 20,
};

export interface PluginListener {
  log?(level: LogLevel, message: string): void;
  metric?(name: string, value: number, timestampMs: number): void;
  /** The host's own word on a call, e.g. `199,800 log lines dropped (limit 200 a call)`. */
  notice?(message: string): void;
}

interface PendingCall {
  step: PluginStep;
  resolve(message: Extract<WorkerMessage, { kind: 'done' }>): void;
  reject(error: PluginError): void;
  timer: NodeJS.Timeout;
}

// The worker's own JavaScript heap holds only the plugin's JSON; wasm memory is capped separately.
const WORKER_HEAP_MB = 256;

export class PluginSession {
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private dead: PluginError | undefined;
  module: ModuleInfo | undefined;

  private constructor(
    readonly name: string,
    private readonly limits: PluginLimits,
    private readonly listener: PluginListener,
  ) {
    this.worker = new Worker(new URL('./plugin-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (error) => this.fail(`crashed the plugin worker: ${error.message}`));
    this.worker.on('exit', () => this.fail('plugin worker exited'));
    this.worker.unref();
  }

  /** Loads and checks the module; throws PluginError when it does not meet the contract. */
  static async open(path: string, name: string, limits: PluginLimits, listener: PluginListener = {}): Promise<PluginSession> {
    const session = new PluginSession(name, limits, listener);
    try {
      const done = await session.call({ id: 0, step: 'load', path, memoryCapBytes: limits.memoryBytes });
      session.module = done.module;
      return session;
    } catch (error) {
      await session.terminate();
      throw error;
    }
  }

  async init(config: unknown): Promise<void> {
    await this.call({ id: 0, step: 'plugin_init', config: JSON.stringify(config) });
  }

  /** Returns the raw text the plugin wrote; validation is the caller's. */
  async process(request: unknown): Promise<string> {
    const done = await this.call({
      id: 0,
      step: 'plugin_process',
      request: JSON.stringify(request),
      outputCapBytes: this.limits.outputBytes,
    });
    return done.output ?? '';
  }

  /** Calls plugin_cleanup (if the plugin is still healthy) and always ends the worker. */
  async close(): Promise<void> {
    try {
      if (!this.dead) await this.call({ id: 0, step: 'plugin_cleanup' });
    } finally {
      await this.terminate();
    }
  }

  private call(request: HostRequest): Promise<Extract<WorkerMessage, { kind: 'done' }>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`timed out after ${formatDuration(this.limits.timeoutMs)} (--plugin-timeout)`, request.step);
        void this.worker.terminate();
      }, this.limits.timeoutMs);
      this.pending.set(id, { step: request.step, resolve, reject, timer });
      this.worker.postMessage({ ...request, id });
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.kind) {
      case 'log':
        this.listener.log?.(message.level, message.message);
        return;
      case 'metric':
        this.listener.metric?.(message.name, message.value, message.timestampMs);
        return;
      case 'notice':
        this.listener.notice?.(message.message);
        return;
      case 'done':
      case 'failed': {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.kind === 'done') call.resolve(message);
        else call.reject(new PluginError(this.name, message.what, call.step));
      }
    }
  }

  /** Rejects every call in flight; later calls fail at once with the same error. */
  private fail(what: string, step?: PluginStep): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      const error = new PluginError(this.name, what, step ?? call.step);
      this.dead ??= error;
      call.reject(error);
    }
    this.dead ??= new PluginError(this.name, what, step ?? 'load');
  }

  private async terminate(): Promise<void> {
    this.dead ??= new PluginError(this.name, 'plugin is closed', 'plugin_cleanup');
    await this.worker.terminate();
  }
}
