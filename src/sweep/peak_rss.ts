// This process's peak resident set size. On Linux from /proc/self/status VmHWM, the high-water mark
// of this program's own memory: getrusage's maxRSS survives exec, so a child spawned by a large
// parent (the bench, a test runner) would report the parent's size instead of its own.
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}
