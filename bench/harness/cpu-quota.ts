import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A CPU quota for chosen processes, as Lambda gives a function memory / 1,769 MB of one
 * vCPU: a Linux control group with CFS bandwidth control, cgroup v2 (`cpu.max`) or v1
 * (the `cpu` controller's `cpu.cfs_quota_us`, with `cpuacct` for the CPU used). Only the
 * processes added are held; everything else on the machine runs as before.
 */
const ROOT = '/sys/fs/cgroup';
/** CFS's default period. Lambda's own is not documented: each period the group may run share × this. */
export const PERIOD_US = 100_000;
/** Lambda gives a full vCPU at 1,769 MB and a proportional share below. */
export const FULL_VCPU_MB = 1769;

/** The share of one vCPU Lambda gives a function of `memoryMb`. */
export const lambdaShare = (memoryMb: number): number => Math.min(1, memoryMb / FULL_VCPU_MB);

export interface CpuQuota {
  readonly share: number;
  /** Moves a process, with all its threads, into the group. */
  add(pid: number): void;
  /** CPU time used by the group's processes since it was made, in ms. */
  usedMs(): number;
  /** Removes the group; its processes must have ended (or are moved out first). */
  remove(): void;
}

type Layout = { version: 2; dir: string } | { version: 1; cpu: string; acct: string };

const v2Available = () =>
  existsSync(join(ROOT, 'cgroup.controllers')) && readFileSync(join(ROOT, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu');

const layoutFor = (name: string): Layout | undefined => {
  if (v2Available()) return { version: 2, dir: join(ROOT, name) };
  if (!existsSync(join(ROOT, 'cpu', 'cpu.cfs_quota_us'))) return undefined;
  // cpu and cpuacct are often mounted together, with one directory for both.
  const together = existsSync(join(ROOT, 'cpu', 'cpuacct.usage'));
  return { version: 1, cpu: join(ROOT, 'cpu', name), acct: together ? join(ROOT, 'cpu', name) : join(ROOT, 'cpuacct', name) };
};

const dirsOf = (layout: Layout) => (layout.version === 2 ? [layout.dir] : [...new Set([layout.cpu, layout.acct])]);

/** Moves whatever is still in `dir` to its parent, so the directory can go. */
const empty = (dir: string) => {
  for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(join(dir, '..', 'cgroup.procs'), pid);
    } catch {
      // It ended meanwhile.
    }
  }
};

export const createCpuQuota = (name: string, share: number): CpuQuota => {
  const layout = layoutFor(name);
  if (!layout) throw new Error('no cgroup CPU controller here');
  const remove = () => {
    for (const dir of dirsOf(layout)) {
      if (!existsSync(dir)) continue;
      empty(dir);
      rmdirSync(dir);
    }
  };
  const quotaUs = Math.round(Math.min(1, share) * PERIOD_US);
  try {
    for (const dir of dirsOf(layout)) mkdirSync(dir, { recursive: true });
    if (layout.version === 2) writeFileSync(join(layout.dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
    else {
      writeFileSync(join(layout.cpu, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(layout.cpu, 'cpu.cfs_quota_us'), String(quotaUs));
    }
  } catch (err) {
    remove();
    throw err;
  }
  return {
    share,
    add(pid) {
      for (const dir of dirsOf(layout)) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    usedMs() {
      if (layout.version === 1) return Number(readFileSync(join(layout.acct, 'cpuacct.usage'), 'utf8')) / 1e6;
      return Number(/usage_usec (\d+)/.exec(readFileSync(join(layout.dir, 'cpu.stat'), 'utf8'))![1]) / 1000;
    },
    remove,
  };
};

/** Why CPU quotas cannot be set here (no controller, not writable), or undefined when they can. */
export const cpuQuotaUnavailable = (): string | undefined => {
  const probe = `bench-probe-${process.pid}`;
  try {
    createCpuQuota(probe, 0.5).remove();
    return undefined;
  } catch (err) {
    return `cgroup CPU quotas cannot be set here (${(err as Error).message}): cgroup v2 with the cpu controller, or v1 cpu and cpuacct, writable by this user`;
  }
};
