// Processes as /proc tells them: who is in a process group, and who is still
// alive (a zombie is dead: only its parent has not reaped it yet).
import { readFileSync, readdirSync } from 'node:fs';

/** State and process group of pid, from /proc/<pid>/stat; undefined when it is gone. */
function stat(pid: number | string): { state: string; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
  const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: state!, pgrp: Number(pgrp) };
}

/** The pids of every live process in process group pgid. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(entry);
    if (s && s.pgrp === pgid && s.state !== 'Z') out.push(Number(entry));
  }
  return out;
}

export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z';
}
