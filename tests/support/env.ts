/** The process environment the test suites own: saved before a suite, restored after it. */

/** What the AWS SDK's default chain reads: credentials, region, endpoints, profile. */
export const AWS_ENV_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_PROFILE",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_EC2",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_STS",
] as const;

/** This package's own tuning: retry budget and backoff, the wait for `available`. */
export const MANAGED_AMI_ENV_KEYS = [
  "MANAGED_AMI_RETRY_BUDGET_MS",
  "MANAGED_AMI_RETRY_BASE_MS",
  "MANAGED_AMI_RETRY_MAX_DELAY_MS",
  "MANAGED_AMI_WAIT_POLL_MS",
  "MANAGED_AMI_WAIT_TIMEOUT_MS",
  "MANAGED_AMI_EC2_RATE_LIMITS",
  "MANAGED_AMI_BATCH_WINDOW_MS",
  "MANAGED_AMI_BATCH_LINGER_MS",
  "MANAGED_AMI_CONNECT_BUDGET_MS",
  "MANAGED_AMI_RETRY_NOTICE_MS",
] as const;

/**
 * Clears every key in `keys`, then sets `values`. Returns a function that puts each key back exactly
 * as it was (unset keys are deleted again): call it in the suite's `after`.
 */
export function replaceEnv(keys: readonly string[], values: Record<string, string>): () => void {
  const saved = new Map(keys.map((k) => [k, process.env[k]] as const));
  for (const k of keys) delete process.env[k];
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
