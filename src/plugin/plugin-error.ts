import { XdperfError } from '../errors.js';
import type { PluginStep } from './protocol.js';

/** `plugin <name>: <what> (<where>)`, the one shape every plugin failure is reported in. */
export class PluginError extends XdperfError {
  constructor(
    readonly plugin: string,
    readonly what: string,
    readonly where: PluginStep | 'validate',
  ) {
    super(`plugin ${plugin}: ${what} (${where})`);
    this.name = 'PluginError';
  }
}
