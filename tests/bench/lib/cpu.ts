import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per process group from /proc (Linux only; elsewhere every reading is empty), so a load
 * run can say where the CPU went per request: the load generator, the origin, the Node proxy, and
 * under wrangler dev its Node process and its two workerd processes (wrangler's proxy worker in
 * front, the worker itself behind it).
 */

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux

export interface ProcessCpu {
  pid: number;
  label: string;
  cpuMs: number;
}

function readStat(pid: number): { pgrp: number; cpuMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return { pgrp, cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Every process whose process group is one of `groups` (group id → label prefix). */
export function snapshotCpu(groups: Map<number, string>, label: (prefix: string, cmdline: string) => string): ProcessCpu[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
  const found: ProcessCpu[] = [];
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    const prefix = groups.get(stat.pgrp);
    if (prefix === undefined) continue;
    found.push({ pid, label: label(prefix, commandLine(pid)), cpuMs: stat.cpuMs });
  }
  return found;
}

/** CPU ms each label used between two snapshots (processes are matched by pid). */
export function cpuDelta(before: ProcessCpu[], after: ProcessCpu[]): Record<string, number> {
  const start = new Map(before.map((p) => [p.pid, p.cpuMs]));
  const used: Record<string, number> = {};
  for (const p of after) used[p.label] = (used[p.label] ?? 0) + p.cpuMs - (start.get(p.pid) ?? 0);
  return used;
}
