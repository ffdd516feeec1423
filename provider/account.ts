/**
 * The wrong-credentials guard of refresh and destroy: with another account's credentials AWS answers
 * "not found" for everything, which would look like "already gone". Compare the caller's account
 * (STS) with the recorded `ownerId` first and refuse on a mismatch; skip when STS is not available.
 */
import { callerAccount, type CallerAccount } from "./aws/identity";
import { errorMessage } from "./aws/errors";
import type { ProviderLog } from "./create";

/** What the guard needs: the account lookup (default STS in `region`) and a log for the skip note. */
export interface AccountCheckDeps {
  callerAccount?(region: string): Promise<CallerAccount>;
  log?: ProviderLog;
}

/**
 * Throws when the credentials in use belong to another account than `ownerId` (named, with the fix).
 * No recorded owner, or no STS on the endpoint: nothing to compare (a debug note says so).
 */
export async function assertCallerIsOwner(
  what: string,
  action: "refresh" | "destroy",
  region: string,
  ownerId: string | undefined,
  deps: AccountCheckDeps,
): Promise<void> {
  if (!ownerId) return;
  let caller: CallerAccount;
  try {
    caller = await (deps.callerAccount ?? ((r: string) => callerAccount(r)))(region);
  } catch (err) {
    throw new Error(
      `${what}: ${action}: could not tell which AWS account the credentials belong to (STS GetCallerIdentity: ` +
        `${errorMessage(err)}). Fix the credentials (profile, AWS_PROFILE, AWS_ACCESS_KEY_ID) and run it again; nothing was changed.`,
      { cause: err },
    );
  }
  if (caller.accountId === undefined) {
    deps.log?.debug?.(`${what}: ${action}: account check skipped: ${caller.skipped}.`);
    return;
  }
  if (caller.accountId !== ownerId) {
    throw new Error(
      `${what}: ${action} refused: the image belongs to account ${ownerId}, but the credentials in use are for account ` +
        `${caller.accountId}. With these credentials the image would look already gone. Select the credentials of account ` +
        `${ownerId} (profile / AWS_PROFILE / AWS_ACCESS_KEY_ID, or the stack's aws:profile) and run it again; nothing was changed.`,
    );
  }
}
