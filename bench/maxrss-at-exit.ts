// Preloaded into a CLI run by bench/memory.ts (`node --import`): when the
// process exits, however it exits short of a kill, writes its peak RSS
// (process.resourceUsage().maxRSS, KiB) to the file IDEMCHAOS_BENCH_MAXRSS names.
import fs from 'node:fs';

const file = process.env.IDEMCHAOS_BENCH_MAXRSS;
if (file) {
  process.on('exit', () => {
    try {
      fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // the bench notes a missing figure
    }
  });
}
