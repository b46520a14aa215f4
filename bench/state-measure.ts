import { readFileSync, writeFileSync } from 'node:fs';

/** Measuring helpers of the state benchmark: medians, progress lines, a process's resident memory. */

export const MB = 1024 * 1024;

export const progress = (line: string) => process.stderr.write(`${line}\n`);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** How often the sampler reads the process's resident set. */
const SAMPLE_MS = 50;

/**
 * The resident memory of another process, from /proc/<pid>/status: VmRSS read every 50 ms, and VmHWM
 * (the kernel's own peak) reset before each phase through clear_refs, so a spike between two samples
 * still counts.
 */
export class RssSampler {
  constructor(private readonly pid: number) {}

  private status(): { rss: number; hwm: number } {
    const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  }

  /** Bytes resident now. */
  rss(): number {
    return this.status().rss;
  }

  /** Runs `work` and returns its result and the largest resident set seen meanwhile, in bytes. */
  async peakDuring<T>(work: () => Promise<T>): Promise<{ value: T; peak: number }> {
    let isHwmReset = false;
    try {
      // "5" resets the peak resident set size to the current one (proc(5), /proc/pid/clear_refs).
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      isHwmReset = true;
    } catch {
      // Not permitted: the samples alone give the peak.
    }
    let peak = this.rss();
    const timer = setInterval(() => {
      peak = Math.max(peak, this.rss());
    }, SAMPLE_MS);
    try {
      const value = await work();
      const last = this.status();
      return { value, peak: Math.max(peak, last.rss, isHwmReset ? last.hwm : 0) };
    } finally {
      clearInterval(timer);
    }
  }
}
