/**
 * Client-side pacing of EC2 calls: one token bucket per credentials × region × endpoint × action,
 * process-wide and shared by every client `ec2Client` creates, sized to AWS's published request
 * buckets, so concurrent calls wait for a token instead of collecting `RequestLimitExceeded`.
 * Every attempt takes a token (retries too); a throttled answer empties the bucket and slows its
 * refill (another tool in the account is spending it), and accepted calls restore the rate.
 * Sizes: `MANAGED_AMI_EC2_RATE_LIMITS` (see `rateLimits`); `off` disables pacing.
 */
import type { FinalizeRequestMiddleware, HandlerExecutionContext } from "@smithy/types";
import { isThrottling } from "./errors";

/** A token bucket: `burst` tokens, refilled at `perSecond` tokens per second. */
export interface BucketSize {
  burst: number;
  perSecond: number;
}

/**
 * AWS's published EC2 buckets (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
 * per account, region and action. Actions not listed use the category defaults below.
 */
export const AWS_EC2_BUCKETS: Readonly<Record<string, BucketSize>> = {
  DeregisterImage: { burst: 100, perSecond: 5 },
  DeleteSnapshot: { burst: 100, perSecond: 5 },
  CreateSnapshot: { burst: 100, perSecond: 5 },
  ModifyImageAttribute: { burst: 100, perSecond: 5 },
  DescribeImages: { burst: 100, perSecond: 20 },
  DescribeSnapshots: { burst: 100, perSecond: 20 },
  CopyImage: { burst: 100, perSecond: 1 },
  CreateTags: { burst: 100, perSecond: 10 },
  DeleteTags: { burst: 100, perSecond: 10 },
  EnableFastLaunch: { burst: 5, perSecond: 2 },
  DisableFastLaunch: { burst: 5, perSecond: 2 },
};
/** AWS's "non-mutating actions" category (Describe*, List*, Get*, Search*): 100 burst, 20/s. */
export const NON_MUTATING_DEFAULT: BucketSize = { burst: 100, perSecond: 20 };
/** AWS's "mutating actions" category (everything else unlisted): 50 burst, 5/s. */
export const MUTATING_DEFAULT: BucketSize = { burst: 50, perSecond: 5 };

/** The environment variable that overrides bucket sizes, e.g. `DeregisterImage=100/5,mutating=50/5`, or `off`. */
export const RATE_LIMITS_ENV = "MANAGED_AMI_EC2_RATE_LIMITS";

export interface RateLimits {
  byAction: Record<string, BucketSize>;
  mutating: BucketSize;
  nonMutating: BucketSize;
}

let parsedFrom: string | undefined;
let parsed: RateLimits | "off" | undefined;

/**
 * The bucket sizes in effect: AWS's, with `MANAGED_AMI_EC2_RATE_LIMITS` applied. The variable is a
 * comma-separated list of `Action=burst/perSecond` (`mutating=` and `non-mutating=` set the
 * category defaults), or `off`. A malformed value throws, naming the variable and the fix.
 */
export function rateLimits(env: NodeJS.ProcessEnv = process.env): RateLimits | "off" {
  const raw = (env[RATE_LIMITS_ENV] ?? "").trim();
  if (parsed !== undefined && parsedFrom === raw) return parsed;
  const result = parseRateLimits(raw);
  [parsedFrom, parsed] = [raw, result];
  return result;
}

function parseRateLimits(raw: string): RateLimits | "off" {
  if (raw.toLowerCase() === "off") return "off";
  const limits: RateLimits = {
    byAction: { ...AWS_EC2_BUCKETS },
    mutating: MUTATING_DEFAULT,
    nonMutating: NON_MUTATING_DEFAULT,
  };
  for (const part of raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z-]+)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(part);
    const burst = match ? Number(match[2]) : NaN;
    const perSecond = match ? Number(match[3]) : NaN;
    if (!match || !(burst >= 1) || !(perSecond > 0)) {
      throw new Error(
        `${RATE_LIMITS_ENV}: "${part}" is not Action=burst/perSecond (burst >= 1, perSecond > 0). ` +
          `Example: ${RATE_LIMITS_ENV}="DeregisterImage=100/5,mutating=50/5"; or set it to "off" to disable pacing.`,
      );
    }
    const size = { burst, perSecond };
    if (match[1].toLowerCase() === "mutating") limits.mutating = size;
    else if (match[1].toLowerCase() === "non-mutating") limits.nonMutating = size;
    else limits.byAction[match[1]] = size;
  }
  return limits;
}

/**
 * A `MANAGED_AMI_EC2_RATE_LIMITS` value with AWS's sizes and every refill rate multiplied by
 * `factor`: for endpoints whose clock runs `factor` times faster than real time (tests, benchmarks).
 */
export function scaledRateLimits(factor: number): string {
  const fmt = (name: string, b: BucketSize): string => `${name}=${b.burst}/${b.perSecond * factor}`;
  return [
    ...Object.entries(AWS_EC2_BUCKETS).map(([a, b]) => fmt(a, b)),
    fmt("mutating", MUTATING_DEFAULT),
    fmt("non-mutating", NON_MUTATING_DEFAULT),
  ].join(",");
}

/** The bucket of one EC2 action under `limits`. */
export function bucketSizeFor(action: string, limits: RateLimits): BucketSize {
  return (
    limits.byAction[action] ??
    (/^(Describe|Get|List|Search)/.test(action) ? limits.nonMutating : limits.mutating)
  );
}

/** Time source and timer; tests inject a fake one. */
export interface PacerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): void;
}

export const realPacerClock: PacerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms).unref?.(),
};

/** After a throttled answer the refill rate is multiplied by this (the SDK's adaptive mode uses 0.7 too). */
const THROTTLE_FACTOR = 0.7;
/** Each accepted call gives back this share of the published rate, up to the published rate. */
const RECOVERY_SHARE = 0.02;

interface Waiter {
  resolve: () => void;
  since: number;
}

/**
 * A FIFO token bucket. `acquire` resolves when a token is taken; retries (`priority`) go ahead of
 * first attempts. It starts full, like AWS's, less one token held in reserve. `throttled()` empties it and slows the refill;
 * `accepted()` restores the rate gradually.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private rate: number;
  private lastSlowdown = -Infinity;
  private readonly first: Waiter[] = [];
  private readonly retries: Waiter[] = [];
  private timerAt: number | undefined;
  /** Calls that had to wait, and their total wait (ms), for reports and benchmarks. */
  waited = 0;
  waitedMs = 0;

  constructor(
    readonly size: BucketSize,
    private readonly clock: PacerClock = realPacerClock,
  ) {
    // One token held back (when the burst allows): AWS's bucket then always has a spare, which absorbs
    // the jitter between our grant and the request's arrival (up to one refill interval).
    this.tokens = size.burst > 1 ? size.burst - 1 : size.burst;
    this.updatedAt = clock.now();
    this.rate = size.perSecond;
  }

  /** Current refill rate (tokens per second); below the published rate after throttling. */
  get currentRate(): number {
    return this.rate;
  }

  /** Calls waiting for a token. */
  get queued(): number {
    return this.first.length + this.retries.length;
  }

  /** Wait for a token; retries of a call already sent wait ahead of first attempts. */
  acquire(priority = false): Promise<void> {
    this.refill();
    if (this.queued === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      (priority ? this.retries : this.first).push({ resolve, since: this.clock.now() });
      this.pump();
    });
  }

  /** AWS throttled a call: someone else is spending this bucket. Empty it and slow the refill. */
  throttled(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
    const now = this.clock.now();
    // One slowdown per refill interval: a burst of throttles from calls already in flight is one signal.
    if (now - this.lastSlowdown >= 1000 / this.rate) {
      this.rate = Math.max(this.size.perSecond * 0.05, this.rate * THROTTLE_FACTOR);
      this.lastSlowdown = now;
    }
  }

  /** AWS accepted a call: creep back towards the published rate. */
  accepted(): void {
    if (this.rate < this.size.perSecond) {
      this.refill();
      this.rate = Math.min(this.size.perSecond, this.rate + this.size.perSecond * RECOVERY_SHARE);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const full = this.size.burst > 1 ? this.size.burst - 1 : this.size.burst;
    this.tokens = Math.min(full, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
  }

  private pump(): void {
    this.refill();
    while (this.tokens >= 1 && this.queued > 0) {
      const waiter = (this.retries.length > 0 ? this.retries : this.first).shift() as Waiter;
      this.tokens -= 1;
      this.waited += 1;
      this.waitedMs += this.clock.now() - waiter.since;
      waiter.resolve();
    }
    if (this.queued === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    const at = this.clock.now() + wait;
    if (this.timerAt !== undefined && this.timerAt <= at) return;
    this.timerAt = at;
    this.clock.setTimer(() => {
      if (this.timerAt === at) this.timerAt = undefined;
      this.pump();
    }, wait);
  }
}

/** The process-wide registry, on globalThis so that two loaded copies of this package share it. */
const REGISTRY = Symbol.for("pulumi-managed-ami.pacer.v1");
type Registry = Map<string, TokenBucket>;

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[REGISTRY] ??= new Map());
}

/** The shared bucket for `scope` (credentials, region, endpoint) and `action`, created on first use. */
export function bucketFor(scope: string, action: string, size: BucketSize): TokenBucket {
  const key = `${scope}|${action}|${size.burst}/${size.perSecond}`;
  let bucket = registry().get(key);
  if (!bucket) {
    bucket = new TokenBucket(size);
    registry().set(key, bucket);
  }
  return bucket;
}

/**
 * True while any call of these credentials in this region waits for a token, whatever the endpoint
 * text (coalescing lingers then: the process is bound by AWS's buckets, not by lookups).
 */
export function pacerBusy(accessKeyId: string, region: string): boolean {
  const prefix = `${accessKeyId}|${region}|`;
  for (const [key, bucket] of registry()) if (bucket.queued > 0 && key.startsWith(prefix)) return true;
  return false;
}

/** Pacing figures per bucket key, for benchmarks: calls that waited and their total wait. */
export function pacerStats(): { key: string; waited: number; waitedMs: number; rate: number }[] {
  return [...registry()].map(([key, b]) => ({
    key,
    waited: b.waited,
    waitedMs: b.waitedMs,
    rate: b.currentRate,
  }));
}

/** Forget every bucket (tests and benchmarks that start a fresh endpoint). */
export function resetPacer(): void {
  registry().clear();
}

/** The pacing scope of a call: access key id (never the secret), region and endpoint host. */
export function scopeOf(accessKeyId: string, region: string, endpoint: string): string {
  return `${accessKeyId}|${region}|${endpoint}`;
}

interface AuthContext {
  __smithy_context?: { selectedHttpAuthScheme?: { identity?: { accessKeyId?: string } } };
}

/** The access key id the call is signed with (resolved by the SDK at call time), or "anonymous". */
export function accessKeyIdOf(context: HandlerExecutionContext): string {
  return (
    (context as AuthContext).__smithy_context?.selectedHttpAuthScheme?.identity?.accessKeyId ?? "anonymous"
  );
}

/**
 * Finalize-step middleware (inside the retry loop, before signing, so each attempt is signed after
 * its wait): take a token from the shared bucket of this call's scope and action, then report the
 * answer to the bucket.
 */
export function pacingMiddleware(region: string): FinalizeRequestMiddleware<object, object> {
  return (next, context) => async (args) => {
    const limits = rateLimits();
    if (limits === "off") return next(args);
    const request = args.request as {
      protocol?: string;
      hostname?: string;
      port?: number;
      headers?: Record<string, string>;
    };
    const action = (context.commandName ?? "").replace(/Command$/, "");
    const endpoint = `${request.protocol ?? ""}//${request.hostname ?? ""}${request.port ? `:${request.port}` : ""}`;
    const bucket = bucketFor(
      scopeOf(accessKeyIdOf(context), region, endpoint),
      action,
      bucketSizeFor(action, limits),
    );
    const attempt = Number(/attempt=(\d+)/.exec(request.headers?.["amz-sdk-request"] ?? "")?.[1] ?? 1);
    await bucket.acquire(attempt > 1);
    try {
      const out = await next(args);
      bucket.accepted();
      return out;
    } catch (err) {
      if (isThrottling(err)) bucket.throttled();
      throw err;
    }
  };
}
