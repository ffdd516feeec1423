/**
 * EBS snapshot locks, read before deleting (spec v2 "Decide by reading state"): a locked snapshot is
 * never attempted. AWS does not document DeleteSnapshot's code for a lock, so this read decides.
 */
import { DescribeLockedSnapshotsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { isSnapshotNotFound, isUnsupportedAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

export interface SnapshotLock {
  snapshotId: string;
  /** `governance`, `compliance` or `compliance-cooloff` (expired locks are not returned). */
  mode: string;
  /** When the lock expires (undefined when AWS does not say). */
  expiresOn?: Date;
  /** End of a compliance lock's cooling-off period, during which it can still be unlocked. */
  coolOffEndsOn?: Date;
}

/** At most this many ids per call (DescribeLockedSnapshots takes id lists; the pacer shares calls). */
const CHUNK = 200;

/**
 * The locks that still block deleting `snapshotIds` (state `expired` is no block). An endpoint that
 * does not implement the action answers "no locks": DeleteSnapshot's own refusal is the second line.
 */
export async function activeLocks(
  ec2: Ec2,
  snapshotIds: readonly string[],
): Promise<Map<string, SnapshotLock>> {
  const locks = new Map<string, SnapshotLock>();
  const wanted = [...new Set(snapshotIds)];
  for (let i = 0; i < wanted.length; i += CHUNK) {
    try {
      await readLocks(ec2, wanted.slice(i, i + CHUNK), locks);
    } catch (err) {
      if (isUnsupportedAction(err)) return locks;
      if (!isSnapshotNotFound(err)) throw err;
      // An endpoint that fails the whole list for one gone id: ask id by id, skipping the gone ones.
      for (const id of wanted.slice(i, i + CHUNK)) {
        await readLocks(ec2, [id], locks).catch((e: unknown) => {
          if (!isSnapshotNotFound(e)) throw e;
        });
      }
    }
  }
  return locks;
}

async function readLocks(ec2: Ec2, chunk: string[], locks: Map<string, SnapshotLock>): Promise<void> {
  let token: string | undefined;
  do {
    const out = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: chunk, NextToken: token }));
    for (const s of out.Snapshots ?? []) {
      if (!s.SnapshotId || !chunk.includes(s.SnapshotId) || !s.LockState || s.LockState === "expired")
        continue;
      locks.set(s.SnapshotId, {
        snapshotId: s.SnapshotId,
        mode: s.LockState,
        expiresOn: s.LockExpiresOn,
        coolOffEndsOn: s.CoolOffPeriodExpiresOn,
      });
    }
    token = out.NextToken;
  } while (token);
}

/** "compliance mode until 2027-01-01T00:00:00.000Z" and what can be done about it. */
export function describeLock(lock: SnapshotLock): { cause: string; fix: string } {
  const until = lock.expiresOn ? ` until ${lock.expiresOn.toISOString()}` : "";
  if (lock.mode === "compliance") {
    return {
      cause: `it is locked in compliance mode${until}; a compliance lock cannot be removed or shortened before it expires`,
      fix: `Wait until the lock expires${lock.expiresOn ? ` (${lock.expiresOn.toISOString()})` : ""}, then run destroy again; or set deleteSnapshots: false and run pulumi up, then destroy leaves it in place`,
    };
  }
  if (lock.mode === "compliance-cooloff") {
    const cool = lock.coolOffEndsOn
      ? ` (its cooling-off period ends ${lock.coolOffEndsOn.toISOString()})`
      : "";
    return {
      cause: `it is locked in compliance mode, still in its cooling-off period${cool}${until}`,
      fix: `Unlock it before the cooling-off period ends (aws ec2 unlock-snapshot --snapshot-id ${lock.snapshotId}) and run destroy again; or set deleteSnapshots: false`,
    };
  }
  return {
    cause: `it is locked in ${lock.mode} mode${until}`,
    fix: `Unlock it (aws ec2 unlock-snapshot --snapshot-id ${lock.snapshotId}, needs ec2:UnlockSnapshot) or wait until it expires, then run destroy again; or set deleteSnapshots: false`,
  };
}
