/**
 * Which accounts the audit scans and how it enters them: the caller's own account with its own
 * credentials, any other with STS AssumeRole on `arn:aws:iam::<ID>:role/<NAME>`; `--organization`
 * reads Organizations ListAccounts (every page, ACTIVE accounts only). Assumed credentials are
 * refreshed 5 minutes before they expire, so long scans never use expired ones.
 */
import {
  ListAccountsCommandOutput,
  OrganizationsClient,
  paginateListAccounts,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { BudgetRetryStrategy, failFast } from "../../provider/aws/clients";
import { errorCode, errorMessage, isAccessDenied } from "../../provider/aws/errors";

/** Refresh assumed-role credentials this long before they expire. */
export const REFRESH_BEFORE_MS = 5 * 60_000;
/** Session length asked of AssumeRole (AWS's default and the role's usual maximum). */
export const SESSION_SECONDS = 3600;

/**
 * The audit's STS and Organizations clients: endpoint and credentials from the SDK's chain
 * (`AWS_ENDPOINT_URL_STS`, …); they retry like every client of the package, and an unreachable or
 * invalid endpoint fails within seconds naming the endpoint and what set it (as the EC2 and S3 clients).
 */
function failingFast<C extends { middlewareStack: unknown; config: unknown }>(
  Client: new (config: {
    region: string;
    maxAttempts: number;
    retryStrategy: BudgetRetryStrategy;
    requestHandler: object;
  }) => C,
  service: string,
  region: string,
): C {
  const client = new Client({
    region,
    maxAttempts: 10_000,
    retryStrategy: new BudgetRetryStrategy({ budgetMs: 60_000 }),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true },
  });
  failFast(client, service, region);
  return client;
}

/** The audit's STS client in `region`. */
export function stsClient(region: string): STSClient {
  return failingFast(STSClient, "STS", region);
}

/** The audit's Organizations client (its endpoint is in us-east-1). */
export function organizationsClient(): OrganizationsClient {
  return failingFast(OrganizationsClient, "Organizations", "us-east-1");
}

/** The caller's own account (STS GetCallerIdentity). */
export async function callerAccount(sts: STSClient): Promise<string> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  if (!out.Account) throw new Error("sts:GetCallerIdentity returned no Account");
  return out.Account;
}

/** Every ACTIVE account of the organization (all pages of ListAccounts; SUSPENDED and closing ones are skipped). */
export async function organizationAccounts(
  org: OrganizationsClient,
): Promise<{ active: string[]; skipped: Array<{ accountId: string; status: string }> }> {
  const active: string[] = [];
  const skipped: Array<{ accountId: string; status: string }> = [];
  const pages = paginateListAccounts({ client: org, pageSize: 20 }, {});
  for await (const page of pages as AsyncIterable<ListAccountsCommandOutput>) {
    for (const a of page.Accounts ?? []) {
      if (!a.Id) continue;
      const state = (a as { State?: string }).State ?? a.Status ?? "";
      if (state === "ACTIVE") active.push(a.Id);
      else skipped.push({ accountId: a.Id, status: state });
    }
  }
  return { active, skipped };
}

/** Temporary credentials for `roleArn`, assumed on first use and again 5 minutes before they expire. */
export function assumedRoleCredentials(
  sts: STSClient,
  roleArn: string,
  sessionName: string,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (): boolean =>
    current !== undefined &&
    (current.expiration === undefined || current.expiration.getTime() - now() > REFRESH_BEFORE_MS);
  return async () => {
    if (fresh()) return current as AwsCredentialIdentity;
    pending ??= (async () => {
      try {
        const out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: SESSION_SECONDS,
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new Error(`sts:AssumeRole on ${roleArn} returned no credentials`);
        current = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        };
        return current;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

/** The role ARN for `accountId` (partition from the caller's). */
export function roleArnFor(accountId: string, roleName: string, partition = "aws"): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** Why an account could not be entered, naming the role and the permission. */
export function enterError(accountId: string, roleArn: string, err: unknown): string {
  const cause = `${errorCode(err) || "error"}: ${errorMessage(err)}`;
  if (isAccessDenied(err)) {
    return (
      `cannot assume ${roleArn} (${cause}). Grant sts:AssumeRole on it to the identity running the audit, ` +
      `and make the role in account ${accountId} trust that identity.`
    );
  }
  return `cannot assume ${roleArn} (${cause}).`;
}
