/**
 * EBS snapshot locks, read with DescribeLockedSnapshots before anything is deleted (AWS documents no
 * error code for deleting a locked snapshot, so teardown decides from this state first).
 */
import { DescribeLockedSnapshotsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { isUnknownAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

/** An active lock: `governance`, `compliance` or `compliance-cooloff`, and when it expires. */
export interface SnapshotLock {
  snapshotId: string;
  mode: string;
  expiresOn?: Date;
  /** End of the compliance cooling-off period, during which the lock can still be removed. */
  coolOffExpiresOn?: Date;
}

/** At most this many ids per DescribeLockedSnapshots call. */
const CHUNK = 200;

/**
 * The active locks on `snapshotIds` (expired locks and unlocked snapshots are absent). Returns
 * `undefined` when the endpoint does not know DescribeLockedSnapshots: the caller then relies on
 * the DeleteSnapshot error alone.
 */
export async function activeLocks(
  ec2: Ec2,
  snapshotIds: readonly string[],
): Promise<Map<string, SnapshotLock> | undefined> {
  const locks = new Map<string, SnapshotLock>();
  const ids = [...new Set(snapshotIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    let out;
    try {
      out = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: ids.slice(i, i + CHUNK) }));
    } catch (err) {
      if (isUnknownAction(err)) return undefined;
      throw err;
    }
    for (const s of out.Snapshots ?? []) {
      if (!s.SnapshotId || !s.LockState || s.LockState === "expired") continue;
      locks.set(s.SnapshotId, {
        snapshotId: s.SnapshotId,
        mode: s.LockState,
        expiresOn: s.LockExpiresOn,
        coolOffExpiresOn: s.CoolOffPeriodExpiresOn,
      });
    }
  }
  return locks;
}

/** "governance lock until 2027-01-01T00:00:00.000Z" plus what can be done about it. */
export function describeLock(lock: SnapshotLock): { cause: string; fix: string } {
  const until = lock.expiresOn ? ` until ${lock.expiresOn.toISOString()}` : "";
  if (lock.mode === "compliance") {
    return {
      cause: `it is locked in compliance mode${until}, which nobody can remove early`,
      fix: "Wait for the lock to expire and run destroy again, or set deleteSnapshots: false to keep the snapshot (then it is yours to delete later)",
    };
  }
  const cooloff =
    lock.mode === "compliance-cooloff" && lock.coolOffExpiresOn
      ? ` (compliance cooling-off until ${lock.coolOffExpiresOn.toISOString()}: it can still be unlocked until then)`
      : "";
  return {
    cause: `it is locked in ${lock.mode === "compliance-cooloff" ? "compliance" : lock.mode} mode${until}${cooloff}`,
    fix: "Unlock it (aws ec2 unlock-snapshot) or wait for the lock to expire, then run destroy again; or set deleteSnapshots: false to keep it",
  };
}
