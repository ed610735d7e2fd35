// Exit codes: CI tells "the API has a bug" from "could not test" by these.
export const EXIT = {
  /** Every attack passed (or was skipped). */
  ok: 0,
  /** At least one finding: the API has a bug. Wins over couldNotTest. */
  findings: 1,
  /** Bad flag, missing file, invalid scenario, no attack can run. */
  usage: 2,
  /** Target unreachable, TLS failure, oracle failed, first request not a success. */
  couldNotTest: 3,
  /** A report could not be written during the run. Wins over ok and couldNotTest, not over findings. */
  reporterFailed: 4,
  /** The run was interrupted by SIGINT (128 + 2, as a shell reports it); the reports were still written. Wins over all. */
  interrupted: 130,
  /** The run was interrupted by SIGTERM (128 + 15). Wins over all. */
  terminated: 143,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  no finding
  1  at least one finding: the API mishandles idempotency (wins over 3 and 4)
  2  usage or scenario error: bad flag, missing file, no scenario found, invalid
     YAML, schema violation, undefined template variable, no attack can run
  3  could not test: target unreachable, TLS failure, oracle failed, or the first
     request of an attack was not answered with a success status; for proxy:
     the upstream unreachable or the command could not start
  4  a report (--report-json, -junit, -markdown, -html) could not be written
     during the run (wins over 0 and 3); a report path that cannot be written
     at all is found before anything is sent, and is a usage error (2)
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM. What was in flight was
       stopped, teardown ran and every report was still written, the attacks
       that had not finished marked "interrupted"; a second signal exits at once
  The demo command exits 0 whenever the demo itself ran, whatever it found.`;

/** Which command takes which flag: the same table stands in the README. */
export const FLAGS_HELP = `Flags by command:                                 run  probe  validate  merge-reports
  --target <url>                                   x            x
  --var, --secret <NAME=VALUE>, --env-file <file>  x    x       x
  --preset <name>                                  x    x       x
  --attack, --engine, --requests, --timeout        x    x
  --max-response-size <size>                       x    x
  --insecure, --ca <file>                          x    x
  --list, --dry-run, --max-requests, --shard       x    x
  --verbose                                        x    x
  --quiet                                          x    x                 x
  --report-json, -junit, -markdown, -html <file>   x    x                 x
  -X, -H, --json, --data, --key-header, --count, --count-select, --id, --ttl,
  --expect-mismatch, --expect-in-flight, --after-expiry, --instance, --tenant,
  --max-key-length, --invalid: probe only
  init: --force     serve-demo: --bug, --port, --latency, --ttl
  proxy: --upstream, --listen, --fault, --match, --key-header, --duration, --hold,
  --timeout, --max-attempts, --volatile-header, --insecure, --ca, --secret, the report flags`;
