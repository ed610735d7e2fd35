// The report files (`--report-json`, `-junit`, `-markdown`, `-html`): each is
// the finished run rendered once, on run-end, and written whole.
import { writeFile } from 'node:fs/promises';
import type { RunResult } from '../model/results.js';
import type { Reporter } from './events.js';
import type { RunEvent } from '../model/events.js';

export class FileReporter implements Reporter {
  constructor(
    readonly name: string,
    readonly file: string,
    private readonly render: (result: RunResult) => string,
  ) {}

  async onEvent(event: RunEvent): Promise<void> {
    if (event.type !== 'run-end') return;
    await writeFile(this.file, this.render(event.result));
  }
}
