import { readFileSync } from 'node:fs';

/**
 * The CPU a process or thread has used, from its `/proc/…/stat` file (stat(5): utime, stime,
 * cutime and cstime are fields 14 to 17, in clock ticks of 100 a second on Linux), in seconds:
 * its own, and its reaped children's.
 */
export function procCpuSeconds(statPath: string): { own: number; children: number } {
  // The command name, field 2, is in parentheses and may hold spaces: fields are counted after it.
  const fields = (readFileSync(statPath, 'utf8').split(') ')[1]?.split(' ') ?? []).map(Number);
  const ticks = (from: number) => ((fields[from] ?? 0) + (fields[from + 1] ?? 0)) / 100;
  return { own: ticks(11), children: ticks(13) };
}
