// What each attack observed: plain data handed to the judge. Executors decide
// nothing about verdicts; they only fire requests and read the oracle.
import type { HttpClient } from '../http/client.js';
import type { Exchange, HttpRequest, TransportOptions } from '../http/types.js';
import type { Oracle, OracleReading } from '../oracle.js';
import type { RenderContext } from '../../plan/render.js';
import type { Scenario, TemplateScope } from '../../scenario/types.js';
import type { CutPoint } from '../h1/index.js';

export interface AttackEnv {
  scenario: Scenario;
  scope: TemplateScope;
  client: HttpClient;
  transport: TransportOptions;
  oracle?: Oracle;
  /** Called with every exchange the attack made (oracle reads aside), so reporters can count and `--verbose` can show them. */
  record(...exchanges: Exchange[]): void;
}

/** One key, one `run.id`, one rendered operation, and the oracle around it. */
export interface Run {
  ctx: RenderContext;
  request: HttpRequest;
  before?: OracleReading;
  after?: OracleReading;
}

export interface ReplayObservation {
  attack: 'replay';
  run: Run;
  original: Exchange;
  retry: Exchange;
}

export interface ConcurrentObservation {
  attack: 'concurrent';
  run: Run;
  exchanges: Exchange[];
  engine: string;
  releaseSkewMs: number;
}

export interface ReuseObservation {
  attack: 'reuse';
  run: Run;
  original: Exchange;
  changed: Exchange;
}

export interface ExpiryKeyObservation {
  run: Run;
  original: Exchange;
  retry: Exchange;
  /** When the retry was scheduled, relative to the original's send (A) or response (B). */
  retryAfterMs: number;
}

export interface ExpiryObservation {
  attack: 'expiry';
  ttlMs: number;
  /** Retried shortly before the ttl: must still replay. */
  before: ExpiryKeyObservation;
  /** Retried after ttl + margin: must follow `afterExpiry`. */
  after: ExpiryKeyObservation;
}

export interface DropCutObservation {
  point: CutPoint;
  run: Run;
  cut: Exchange;
  /** Mid-body cuts: the oracle right after the cut (must show no effect). */
  afterCut?: OracleReading;
  /** The retries with the full request, last one final. */
  retries: Exchange[];
  /** True when the last retry was still answered "in flight" at the bound. */
  stuck: boolean;
}

export interface DropObservation {
  attack: 'drop';
  cuts: DropCutObservation[];
}

export type Observation =
  | ReplayObservation
  | ConcurrentObservation
  | ReuseObservation
  | ExpiryObservation
  | DropObservation;

/** The attack could not be tested (the first request failed, a transport error, the oracle failed). */
export class CannotTest extends Error {
  constructor(
    message: string,
    readonly exchanges: Exchange[] = [],
    /** Set when a transport failure caused it: 'connect' and 'tls' mean the target is unreachable. */
    readonly transport?: Exchange['errorKind'],
  ) {
    super(message);
  }
}
