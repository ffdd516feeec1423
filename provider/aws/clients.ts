/**
 * One client factory per AWS service. Credentials, region fallbacks and endpoints come from the
 * SDK's standard chain, so `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_S3` and
 * a profile's `endpoint_url` work unchanged. Every client retries throttling and transient errors
 * with exponential backoff and full jitter for a bounded time (see `BudgetRetryStrategy`), fails
 * within ~10 s when the endpoint cannot be reached (failFast.ts), and EC2 clients share lookups
 * (coalesce.ts) and AWS's request buckets (pacer.ts) with every other client of the process.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { coalescingMiddleware } from "./coalesce";
import { unreachableReason } from "./errors";
import {
  attemptWatchMiddleware,
  endpointInUse,
  failFastMiddleware,
  KNOWN_UNREACHABLE,
  type EndpointInUse,
  type Service,
} from "./failFast";
import { pacingMiddleware } from "./pacer";

export { setRetryNotifier, EndpointUnreachableError, InvalidEndpointError } from "./failFast";

/** Tuning of the retry budget; every field has a default suited to real AWS. */
export interface RetryOptions {
  /** Total time spent waiting between retries of one call; default 300000 (5 minutes), env `MANAGED_AMI_RETRY_BUDGET_MS`. */
  budgetMs?: number;
  /** First backoff ceiling; default 200 ms (throttling: 500 ms), env `MANAGED_AMI_RETRY_BASE_MS`. */
  baseDelayMs?: number;
  /** Largest single backoff ceiling; default 5000 ms (measured in bench/: a 20 s cap left the last throttled deletes up to 20 s late), env `MANAGED_AMI_RETRY_MAX_DELAY_MS`. */
  maxDelayMs?: number;
  /** Random source in [0, 1); default Math.random (tests may pin it). */
  random?: () => number;
  /** Time from the start of a call after which an unreachable endpoint fails it; default 5000 ms, env `MANAGED_AMI_CONNECT_BUDGET_MS`. */
  connectBudgetMs?: number;
}

/** Options shared by both factories. */
export interface ClientOptions {
  /** Explicit endpoint (tests); default: the SDK's resolution (env `AWS_ENDPOINT_URL*`, profile, AWS). */
  endpoint?: string;
  retry?: RetryOptions;
  /** Credentials (e.g. an assumed role's, refreshed by the caller); default: the SDK's standard chain. */
  credentials?: AwsCredentialIdentityProvider;
}

/** Error types the SDK's retry middleware classifies errors into (see @smithy/types RetryErrorType). */
type RetryErrorType = "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";

interface RetryErrorInfo {
  errorType: RetryErrorType;
  error?: { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  retryAfterHint?: Date;
}

/** The token the SDK's retry middleware threads through one call's attempts. */
class BudgetRetryToken {
  constructor(
    /** When the call started (its first attempt may have waited for a pacing token since). */
    readonly createdAt: number,
    /** When the first attempt failed: the retry budget runs from here, not from the start of the call. */
    readonly startedAt: number | undefined,
    readonly retryCount: number,
    readonly delay: number,
    readonly waited: number,
  ) {}
  getRetryCount(): number {
    return this.retryCount;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/** Attempts reported to the SDK; the real bound is the time budget. */
export const MAX_ATTEMPTS = 10_000;

/**
 * A RetryStrategyV2: throttling, transient (timeouts, connection resets, 500/502/503/504) and
 * other 5xx errors are retried with exponential backoff and full jitter until the next wait would
 * exceed the time budget, counted from the first failure (a call that waited its turn in the pacer
 * keeps its whole budget); then the SDK surfaces the last error. Client errors are never retried.
 * An endpoint that cannot be reached at all (refused, DNS, no route) is retried only until
 * `connectBudgetMs` after the call started.
 */
export class BudgetRetryStrategy {
  readonly mode = "managed-ami-budget";
  readonly budgetMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly connectBudgetMs: number;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.budgetMs = options.budgetMs ?? envNumber("MANAGED_AMI_RETRY_BUDGET_MS") ?? 300_000;
    this.baseDelayMs = options.baseDelayMs ?? envNumber("MANAGED_AMI_RETRY_BASE_MS") ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? envNumber("MANAGED_AMI_RETRY_MAX_DELAY_MS") ?? 5_000;
    this.connectBudgetMs = options.connectBudgetMs ?? envNumber("MANAGED_AMI_CONNECT_BUDGET_MS") ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<BudgetRetryToken> {
    return new BudgetRetryToken(Date.now(), undefined, 0, 0, 0);
  }

  async refreshRetryTokenForRetry(
    token: BudgetRetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<BudgetRetryToken> {
    if (!isRetryable(errorInfo)) throw new Error("not retryable");
    const base = errorInfo.errorType === "THROTTLING" ? 2.5 * this.baseDelayMs : this.baseDelayMs;
    const ceiling = Math.min(this.maxDelayMs, base * 2 ** Math.min(token.retryCount, 30));
    let delay = Math.floor(this.random() * ceiling);
    if (errorInfo.retryAfterHint) {
      delay = Math.max(delay, Math.min(errorInfo.retryAfterHint.getTime() - Date.now(), this.maxDelayMs));
    }
    const now = Date.now();
    const startedAt = token.startedAt ?? now;
    if ((errorInfo.error as Record<string, unknown> | undefined)?.[KNOWN_UNREACHABLE])
      throw new Error("endpoint known to be unreachable");
    if (unreachableReason(errorInfo.error) && now - token.createdAt + delay > this.connectBudgetMs) {
      throw new Error("endpoint unreachable");
    }
    if (now - startedAt + delay > this.budgetMs) throw new Error("retry budget exhausted");
    return new BudgetRetryToken(
      token.createdAt,
      startedAt,
      token.retryCount + 1,
      delay,
      token.waited + delay,
    );
  }

  recordSuccess(_token: BudgetRetryToken): void {}
}

function isRetryable(info: RetryErrorInfo): boolean {
  if (info.errorType === "THROTTLING" || info.errorType === "TRANSIENT") return true;
  if (info.errorType === "SERVER_ERROR") return info.error?.$metadata?.httpStatusCode !== 501;
  return false;
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Socket timeouts: no connection within 5 s is "unreachable" (fail fast); an answer that takes more
 * than 120 s becomes a retried TimeoutError instead of a hang.
 */
const REQUEST_HANDLER = { connectionTimeout: 5_000, requestTimeout: 120_000, throwOnRequestTimeout: true };

/** The middleware stack, untyped: our middlewares are generic over every command's input and output. */
type Stack = { add(mw: unknown, options: object): void; addRelativeTo(mw: unknown, options: object): void };
const stackOf = (client: EC2Client | S3Client): Stack => client.middlewareStack as unknown as Stack;

/**
 * Make any SDK v3 client of this package fail fast and report long retries: an invalid endpoint is
 * refused before the first request, an unreachable one fails naming the endpoint and what set it,
 * and a call retrying for more than ~10 s says so (`setRetryNotifier`). The factories below call
 * it; other clients (STS, Organizations) may too. Returns the endpoint resolver it installed.
 */
export function failFast(
  client: { middlewareStack: unknown; config: unknown },
  service: Service,
  region: string,
  options: { endpoint?: string; budgetMs?: () => number } = {},
): () => Promise<EndpointInUse> {
  const config = client.config as { serviceConfiguredEndpoint?: () => Promise<unknown> };
  const stack = client.middlewareStack as Stack;
  let resolved: Promise<EndpointInUse> | undefined;
  const endpoint = (): Promise<EndpointInUse> =>
    (resolved ??= endpointInUse(service, region, options.endpoint, config));
  stack.add(failFastMiddleware(service, endpoint), {
    step: "initialize",
    priority: "high",
    name: "managedAmiFailFast",
  });
  stack.addRelativeTo(attemptWatchMiddleware(service, options.budgetMs ?? (() => NaN)), {
    relation: "after",
    toMiddleware: "retryMiddleware",
    name: "managedAmiAttemptWatch",
  });
  return endpoint;
}

/**
 * An EC2 client for `region`; endpoint and credentials from the SDK's standard chain. Its lookups
 * by id are shared with concurrent ones of every other client (coalesce.ts) and every call waits
 * for a token of AWS's bucket for its action (pacer.ts).
 */
export function ec2Client(region: string, options: ClientOptions = {}): EC2Client {
  const strategy = new BudgetRetryStrategy(options.retry);
  const client = new EC2Client({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: MAX_ATTEMPTS,
    retryStrategy: strategy,
    requestHandler: REQUEST_HANDLER,
  });
  const endpoint = failFast(client, "EC2", region, {
    endpoint: options.endpoint,
    budgetMs: () => strategy.budgetMs,
  });
  const config = client.config as { credentials?: () => Promise<{ accessKeyId?: string }> };
  stackOf(client).add(
    coalescingMiddleware({
      region,
      endpoint: async () => (await endpoint()).url ?? "aws",
      accessKeyId: async () => (await config.credentials?.())?.accessKeyId ?? "anonymous",
    }),
    { step: "initialize", priority: "low", name: "managedAmiSharedLookups" },
  );
  stackOf(client).addRelativeTo(pacingMiddleware(region), {
    relation: "before",
    toMiddleware: "httpSigningMiddleware",
    name: "managedAmiPacing",
  });
  return client;
}

/**
 * An S3 client for `region`. Path-style addressing is used whenever the endpoint is overridden
 * (option, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or a profile's `endpoint_url`).
 */
export function s3Client(region: string, options: ClientOptions = {}): S3Client {
  const strategy = new BudgetRetryStrategy(options.retry);
  const client = new S3Client({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: MAX_ATTEMPTS,
    retryStrategy: strategy,
    requestHandler: REQUEST_HANDLER,
  });
  failFast(client, "S3", region, { endpoint: options.endpoint, budgetMs: () => strategy.budgetMs });
  if (!options.endpoint) {
    // The SDK resolves a configured endpoint (env or shared config) lazily at the first request;
    // ask the same resolver, before endpoint resolution runs, and switch to path-style if one is set.
    const config = client.config as {
      forcePathStyle?: boolean;
      serviceConfiguredEndpoint?: () => Promise<unknown>;
    };
    client.middlewareStack.add(
      (next) => async (args) => {
        if (config.forcePathStyle !== true && (await configuredEndpoint(config)))
          config.forcePathStyle = true;
        return next(args);
      },
      { step: "initialize", name: "managedAmiPathStyleForEndpointOverride" },
    );
  }
  return client;
}

async function configuredEndpoint(config: {
  serviceConfiguredEndpoint?: () => Promise<unknown>;
}): Promise<boolean> {
  if (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL) {
    const ignore = (process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "").toLowerCase() === "true";
    if (!ignore) return true;
  }
  if (typeof config.serviceConfiguredEndpoint !== "function") return false;
  try {
    return Boolean(await config.serviceConfiguredEndpoint());
  } catch {
    return false;
  }
}

/**
 * The SDK paginators insist on a real client instance; helpers take a narrow `Pick<Client, "send">`.
 * Return the client itself when it is one, else an instance-shaped wrapper delegating `send` to it.
 */
export function forPaginator<C extends object>(
  ctor: { prototype: C },
  client: Pick<C & { send: unknown }, "send">,
): C {
  if (Object.prototype.isPrototypeOf.call(ctor.prototype, client)) return client as C;
  const wrapper = Object.create(ctor.prototype) as C & { send: unknown };
  wrapper.send = (client.send as (...args: unknown[]) => unknown).bind(client);
  return wrapper;
}
