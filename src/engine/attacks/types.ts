// What each attack observed: plain data handed to the judge. Executors decide
// nothing about verdicts; they only fire requests and read the oracle.
import type { HttpClient } from '../http/client.js';
import type { Exchange, HttpRequest, TransportOptions } from '../../model/http.js';
import type { Oracle, OracleReading } from '../oracle.js';
import type { RenderContext } from '../../scenario/render.js';
import type { Scenario, TemplateScope } from '../../scenario/types.js';
import type { CutPoint } from '../h1/index.js';

export interface AttackEnv {
  scenario: Scenario;
  scope: TemplateScope;
  client: HttpClient;
  transport: TransportOptions;
  oracle?: Oracle;
  /** Values the scenario's setup steps captured: `{{ captures.NAME }}` in every run's render context. */
  captures?: Record<string, string>;
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

/** One burst of `concurrent`: its own key, run.id and oracle readings. */
export interface BurstObservation {
  run: Run;
  /** The duplicates, in request order. */
  exchanges: Exchange[];
  /** Client-side spread of the releases, ms. */
  releaseSkewMs: number;
  /** Connections the burst was released over (h2). */
  connections?: number;
  /** Why an h2 burst was split over several connections. */
  split?: string;
  /** Bytes of each connection's release write (h2). */
  finalWrites?: number[];
  /** The warming requests sent before it. */
  warm?: Exchange[];
}

export interface ConcurrentObservation {
  attack: 'concurrent';
  /** The engine that sent the bursts (`auto` resolved). */
  engine: string;
  /** Requests per burst; default: the first burst's exchanges. */
  requests?: number;
  /** At least one; fewer than configured when the server fell over (see notes). */
  bursts: BurstObservation[];
  /** How the engine was chosen, warming skipped, bursts stopped early. */
  notes?: string[];
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
