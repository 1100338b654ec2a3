/** The machine a run ran on, as a report names it. */
import { availableParallelism, cpus, hostname, release } from 'node:os';
import { packageVersion } from '../paths.js';

export interface HostFacts {
  hostname: string;
  /** `uname -r` */
  kernel: string;
  cpuModel: string;
  /** CPUs the machine has, and those this process may run on. */
  cpus: number;
  usableCpus: number;
  xdperf: string;
  node: string;
}

export function hostFacts(): HostFacts {
  const all = cpus();
  return {
    hostname: hostname(),
    kernel: release(),
    cpuModel: all[0]?.model.trim() || 'unknown',
    cpus: all.length,
    usableCpus: availableParallelism(),
    xdperf: packageVersion(),
    node: process.version,
  };
}
