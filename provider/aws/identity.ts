/**
 * The caller's AWS account (STS GetCallerIdentity). An endpoint without STS (unknown action, nothing
 * listening, or an EC2 endpoint override with no STS override) gives `undefined` and a reason.
 */
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { BudgetRetryStrategy, type ClientOptions } from "./clients";
import { errorCode, errorMessage, isStsCredentialRefusal, isStsUnavailable } from "./errors";

/** The caller's account id, or why it is not known. */
export type CallerAccount =
  { accountId: string; skipped?: undefined } | { accountId?: undefined; skipped: string };

type RetryToken = Awaited<ReturnType<BudgetRetryStrategy["acquireInitialRetryToken"]>>;
type RetryInfo = Parameters<BudgetRetryStrategy["refreshRetryTokenForRetry"]>[1];

/** Retries throttling and 5xx like every client, but gives up at once on an endpoint without STS. */
class StsRetryStrategy extends BudgetRetryStrategy {
  override async refreshRetryTokenForRetry(token: RetryToken, info: RetryInfo): Promise<RetryToken> {
    if (isStsUnavailable(info.error)) throw new Error("STS is not served here");
    return super.refreshRetryTokenForRetry(token, info);
  }
}

/** True when EC2 goes to an overridden endpoint but STS would go to AWS (their answers would not match). */
function stsNotOverridden(options: ClientOptions & { ec2Endpoint?: string }): boolean {
  const env = process.env;
  if (options.endpoint || env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL) return false;
  return Boolean(options.ec2Endpoint || env.AWS_ENDPOINT_URL_EC2);
}

/** Answers already known in this process, by access key id and STS endpoint (see `callerAccount`). */
const KNOWN = Symbol.for("pulumi-managed-ami.caller-account.v1");

function known(): Map<string, Promise<CallerAccount>> {
  const g = globalThis as unknown as Record<symbol, Map<string, Promise<CallerAccount>> | undefined>;
  return (g[KNOWN] ??= new Map());
}

/** Forget the accounts learned so far (tests that re-map access keys on an endpoint). */
export function forgetCallerAccounts(): void {
  known().clear();
}

/**
 * GetCallerIdentity in `region`. `options.endpoint` = STS endpoint (default: the SDK's chain);
 * `options.ec2Endpoint` = the EC2 endpoint in use, to detect a custom EC2 endpoint without STS.
 * An access key id belongs to one account for its whole life, so the answer is asked once per
 * access key id and STS endpoint in a process and shared (a destroy of 200 images makes one call);
 * failures and skips are not kept.
 */
export async function callerAccount(
  region: string,
  options: ClientOptions & { ec2Endpoint?: string } = {},
): Promise<CallerAccount> {
  if (stsNotOverridden(options)) {
    return {
      skipped: "the EC2 endpoint is overridden and no STS endpoint is configured (AWS_ENDPOINT_URL_STS)",
    };
  }
  const sts = new STSClient({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 10_000,
    retryStrategy: new StsRetryStrategy(options.retry),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  });
  let key: string | undefined;
  try {
    const { accessKeyId } = await sts.config.credentials();
    const endpoint =
      options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL ?? "";
    key = `${accessKeyId}|${endpoint || `aws:${region}`}`;
  } catch {
    // No credentials: GetCallerIdentity below fails with the SDK's own message.
  }
  const cached = key ? known().get(key) : undefined;
  if (cached) {
    sts.destroy();
    return cached;
  }
  const answer = ask(sts);
  if (key) {
    const k = key;
    known().set(k, answer);
    answer.then(
      (a) => a.accountId === undefined && known().delete(k),
      () => known().delete(k),
    );
  }
  return answer;
}

async function ask(sts: STSClient): Promise<CallerAccount> {
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account) return { skipped: "GetCallerIdentity returned no Account" };
    return { accountId: out.Account };
  } catch (err) {
    if (isStsUnavailable(err)) return { skipped: `the endpoint does not serve STS (${errorMessage(err)})` };
    if (isStsCredentialRefusal(err)) {
      return { skipped: `STS refused the credentials (${errorCode(err)}: ${errorMessage(err)})` };
    }
    throw err;
  } finally {
    sts.destroy();
  }
}
