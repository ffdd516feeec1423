/**
 * Fail fast when AWS cannot be reached, and say what is happening. Connection refused, a DNS
 * failure or an invalid endpoint is not throttling: the call fails within about 10 s with an error
 * naming the endpoint in use and what set it (`AWS_ENDPOINT_URL_EC2`/`_S3`, `AWS_ENDPOINT_URL`, a
 * profile's `endpoint_url`, or AWS's default). A call retrying throttling or 5xx for more than
 * ~10 s (`MANAGED_AMI_RETRY_NOTICE_MS`) says so once through the retry notifier. Once an endpoint
 * was found unreachable, later calls to it in the next minute make one attempt, not a retry series.
 */
import type { FinalizeRequestMiddleware, HandlerExecutionContext, InitializeMiddleware } from "@smithy/types";
import { errorCode, unreachableReason } from "./errors";

/** The service's name as in `AWS_ENDPOINT_URL_<SERVICE>`: "EC2", "S3", "STS", "Organizations", … */
export type Service = string;

/** The endpoint a client talks to and what chose it. `url` is undefined for AWS's default endpoint. */
export interface EndpointInUse {
  url?: string;
  source: string;
}

interface EndpointConfig {
  serviceConfiguredEndpoint?: () => Promise<unknown>;
}

/**
 * Which endpoint the SDK will use and why, in the SDK's order: an explicit option, the service's
 * `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, a profile's `endpoint_url` (shared config), AWS's
 * default. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns off all but the option.
 */
export async function endpointInUse(
  service: Service,
  region: string,
  explicit: string | undefined,
  config: EndpointConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EndpointInUse> {
  if (explicit) return { url: explicit, source: "the client's endpoint option" };
  const defaultEndpoint = {
    source: `AWS's default ${service} endpoint for ${region} (no AWS_ENDPOINT_URL* or profile endpoint_url is set)`,
  };
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "").toLowerCase() === "true") return defaultEndpoint;
  const own = `AWS_ENDPOINT_URL_${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  if (env[own]) return { url: env[own], source: own };
  if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, source: "AWS_ENDPOINT_URL" };
  let configured: unknown;
  try {
    configured = await config.serviceConfiguredEndpoint?.();
  } catch {
    configured = undefined;
  }
  if (configured) {
    const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
    const file = env.AWS_CONFIG_FILE || "~/.aws/config";
    return { url: String(configured), source: `endpoint_url of AWS profile "${profile}" in ${file}` };
  }
  return defaultEndpoint;
}

/** The endpoint is not a usable URL; thrown before any request is sent. */
export class InvalidEndpointError extends Error {
  constructor(service: Service, endpoint: EndpointInUse) {
    super(
      `The ${service} endpoint "${endpoint.url}" (set by ${endpoint.source}) is not a valid endpoint URL: ` +
        `it needs http:// or https:// and a host, e.g. http://localhost:4566. Correct it, or unset it to use AWS.`,
    );
    this.name = "InvalidEndpoint";
  }
}

/** The endpoint did not answer at all (refused, unresolvable, unroutable, no connection). */
export class EndpointUnreachableError extends Error {
  constructor(
    readonly service: Service,
    readonly action: string,
    readonly endpoint: EndpointInUse,
    readonly url: string,
    reason: string,
    attempts: number,
    seconds: number,
    options?: { cause?: unknown },
  ) {
    const fix = endpoint.url
      ? `Start the service at ${endpoint.url}, or correct or unset ${endpoint.source.startsWith("endpoint_url") ? "that endpoint_url" : endpoint.source} to use AWS.`
      : "Check network access to AWS from this machine (proxy, firewall, DNS) and the region name.";
    super(
      `Cannot reach the ${service} endpoint ${url} (${endpoint.url ? `set by ${endpoint.source}` : endpoint.source}) for ${action}: ` +
        `${reason}; gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} in ${seconds.toFixed(1)} s. ${fix}`,
      options,
    );
    this.name = "EndpointUnreachable";
  }
}

/** Reject an endpoint that is not an http(s) URL with a host. */
export function checkEndpoint(service: Service, endpoint: EndpointInUse): void {
  if (!endpoint.url) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(endpoint.url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol) || !parsed.hostname) {
    throw new InvalidEndpointError(service, endpoint);
  }
}

// ---- the retry notifier ------------------------------------------------------------------------

type Notifier = (message: string) => void;
const NOTIFIER = Symbol.for("pulumi-managed-ami.retry-notifier.v1");

function stderrNotifier(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Where "still retrying" notices go, process-wide: the provider routes them to `pulumi.log.info`,
 * the CLI to stderr. Default: stderr. Pass undefined to restore the default.
 */
export function setRetryNotifier(fn: Notifier | undefined): void {
  (globalThis as unknown as Record<symbol, Notifier | undefined>)[NOTIFIER] = fn;
}

function notify(message: string): void {
  const fn = (globalThis as unknown as Record<symbol, Notifier | undefined>)[NOTIFIER] ?? stderrNotifier;
  try {
    fn(message);
  } catch {
    // A failing notifier must not fail the call it reports on.
  }
}

/** Default delay (ms) before a retrying call says so. */
export const DEFAULT_RETRY_NOTICE_MS = 10_000;

function noticeAfterMs(): number {
  const raw = process.env.MANAGED_AMI_RETRY_NOTICE_MS;
  const value = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_RETRY_NOTICE_MS;
}

// ---- endpoints known to be unreachable ------------------------------------------------------------

const UNREACHABLE = Symbol.for("pulumi-managed-ami.unreachable-endpoints.v1");
/** After an endpoint was found unreachable, later calls to it get one attempt (no retries) for this long. */
export const KNOWN_UNREACHABLE_MS = 60_000;
/** Set on an error of a call to an endpoint known to be unreachable: the retry strategy does not retry it. */
export const KNOWN_UNREACHABLE = "$managedAmiKnownUnreachable";

function unreachableEndpoints(): Map<string, number> {
  const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
  return (g[UNREACHABLE] ??= new Map());
}

/** Forget which endpoints were found unreachable (tests that reuse ports within the minute). */
export function forgetUnreachableEndpoints(): void {
  unreachableEndpoints().clear();
}

function recentlyUnreachable(url: string | undefined): boolean {
  const since = url === undefined ? undefined : unreachableEndpoints().get(url);
  return since !== undefined && Date.now() - since < KNOWN_UNREACHABLE_MS;
}

/** Per-call record shared by the two middlewares through the handler context. */
interface Watch {
  url?: string;
  firstFailureAt?: number;
  lastError?: string;
  noticed?: boolean;
}
const WATCH = "__managedAmiWatch";

function watchOf(context: HandlerExecutionContext): Watch {
  const c = context as unknown as Record<string, Watch | undefined>;
  return (c[WATCH] ??= {});
}

/**
 * Finalize-step middleware, inside the retry loop: records the URL each attempt goes to, and once a
 * call has been retrying longer than the notice delay, reports it through the retry notifier.
 */
export function attemptWatchMiddleware(
  service: Service,
  budgetMs: () => number,
): FinalizeRequestMiddleware<object, object> {
  return (next, context) => async (args) => {
    const watch = watchOf(context);
    const request = args.request as { protocol?: string; hostname?: string; port?: number; path?: string };
    if (request.hostname)
      watch.url = `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`;
    if (watch.firstFailureAt !== undefined && !watch.noticed) {
      const retrying = Date.now() - watch.firstFailureAt;
      if (retrying >= noticeAfterMs()) {
        watch.noticed = true;
        const action = (context.commandName ?? "").replace(/Command$/, "");
        notify(
          `managed-ami: ${service} ${action} at ${watch.url ?? "AWS"} has been retrying for ${Math.round(retrying / 1000)} s ` +
            `(last answer: ${watch.lastError})` +
            (Number.isFinite(budgetMs())
              ? `; it keeps retrying for up to ${Math.round(budgetMs() / 1000)} s in all.`
              : "; still retrying."),
        );
      }
    }
    try {
      const out = await next(args);
      if (watch.url) unreachableEndpoints().delete(watch.url);
      return out;
    } catch (err) {
      if (
        recentlyUnreachable(watch.url) &&
        unreachableReason(err) &&
        typeof err === "object" &&
        err !== null
      ) {
        Object.assign(err, { [KNOWN_UNREACHABLE]: true });
      }
      watch.firstFailureAt ??= Date.now();
      watch.lastError = errorCode(err) || String((err as { code?: unknown })?.code ?? "error");
      throw err;
    }
  };
}

/**
 * Initialize-step middleware, outermost: rejects an invalid endpoint before any request, and turns
 * "cannot reach the endpoint" into an `EndpointUnreachableError` naming the endpoint and its source.
 */
export function failFastMiddleware(
  service: Service,
  endpoint: () => Promise<EndpointInUse>,
): InitializeMiddleware<object, object> {
  return (next, context) => async (args) => {
    const inUse = await endpoint();
    checkEndpoint(service, inUse);
    const started = Date.now();
    try {
      return await next(args);
    } catch (err) {
      const reason = unreachableReason(err) ?? unreachableReason((err as { cause?: unknown })?.cause);
      if (!reason) throw err;
      const action = (context.commandName ?? "").replace(/Command$/, "");
      const url = watchOf(context).url ?? inUse.url ?? `the ${service} endpoint`;
      unreachableEndpoints().set(url, Date.now());
      const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      throw new EndpointUnreachableError(
        service,
        action,
        inUse,
        url,
        reason,
        attempts,
        (Date.now() - started) / 1000,
        { cause: err },
      );
    }
  };
}
