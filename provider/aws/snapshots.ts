/**
 * EBS snapshot existence and deletion. Deciding whether a snapshot may be deleted is
 * `provider/safety.ts`'s job; this module only asks AWS.
 */
import {
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  EC2Client,
  paginateDescribeSnapshots,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { errorCode, isAccessDenied, isSnapshotNotFound, isUnknownAction } from "./errors";

export type Ec2 = Pick<EC2Client, "send">;

/** At most this many values per `snapshot-id` filter (AWS's limit on filter values is 200). */
const FILTER_CHUNK = 200;

/**
 * Which of `snapshotIds` still exist, in one DescribeSnapshots per 200 ids. Uses the `snapshot-id`
 * filter, which (unlike `SnapshotIds`) does not fail the whole call when one id is gone; falls back
 * to one call per id if the endpoint rejects the filter.
 */
export async function existingSnapshots(ec2: Ec2, snapshotIds: readonly string[]): Promise<string[]> {
  return (await existingSnapshotRecords(ec2, snapshotIds)).map((s) => s.SnapshotId as string);
}

/** The DescribeSnapshots records of those of `snapshotIds` that still exist, in the given order. */
export async function existingSnapshotRecords(ec2: Ec2, snapshotIds: readonly string[]): Promise<Snapshot[]> {
  const wanted = [...new Set(snapshotIds)];
  if (wanted.length === 0) return [];
  const found = new Map<string, Snapshot>();
  for (let i = 0; i < wanted.length; i += FILTER_CHUNK) {
    const chunk = wanted.slice(i, i + FILTER_CHUNK);
    try {
      const pages = paginateDescribeSnapshots(
        { client: forPaginator(EC2Client, ec2) },
        { Filters: [{ Name: "snapshot-id", Values: chunk }] },
      );
      for await (const page of pages) {
        for (const snapshot of page.Snapshots ?? []) {
          if (snapshot.SnapshotId && chunk.includes(snapshot.SnapshotId))
            found.set(snapshot.SnapshotId, snapshot);
        }
      }
    } catch (err) {
      if (
        !["InvalidFilter", "InvalidParameterValue", "InvalidParameter"].includes(errorCode(err)) &&
        !isSnapshotNotFound(err)
      )
        throw err;
      for (const id of chunk) {
        const one = await describeOneSnapshot(ec2, id);
        if (one) found.set(id, one);
      }
    }
  }
  return wanted.filter((id) => found.has(id)).map((id) => found.get(id) as Snapshot);
}

async function describeOneSnapshot(ec2: Ec2, snapshotId: string): Promise<Snapshot | undefined> {
  try {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    return (out.Snapshots ?? []).find((s) => s.SnapshotId === snapshotId);
  } catch (err) {
    if (isSnapshotNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * When each archived snapshot of `snapshotIds` started its move to the archive tier
 * (DescribeSnapshotTierStatus `LastTieringStartTime`); empty when the endpoint cannot tell.
 */
export async function archivedSince(ec2: Ec2, snapshotIds: readonly string[]): Promise<Map<string, Date>> {
  const since = new Map<string, Date>();
  if (snapshotIds.length === 0) return since;
  try {
    let NextToken: string | undefined;
    do {
      const out = await ec2.send(
        new DescribeSnapshotTierStatusCommand({
          Filters: [{ Name: "snapshot-id", Values: [...snapshotIds] }],
          NextToken,
        }),
      );
      for (const s of out.SnapshotTierStatuses ?? []) {
        if (s.SnapshotId && s.LastTieringStartTime && s.StorageTier === "archive")
          since.set(s.SnapshotId, s.LastTieringStartTime);
      }
      NextToken = out.NextToken;
    } while (NextToken);
  } catch (err) {
    if (!isUnknownAction(err) && !isAccessDenied(err)) throw err;
  }
  return since;
}

/** Does one snapshot exist? `InvalidSnapshot.NotFound` means no. */
export async function snapshotExists(ec2: Ec2, snapshotId: string): Promise<boolean> {
  try {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    return (out.Snapshots ?? []).some((s) => s.SnapshotId === snapshotId);
  } catch (err) {
    if (isSnapshotNotFound(err)) return false;
    throw err;
  }
}

/** DeleteSnapshot; returns false when it was already gone. Other errors (in use, locked, denied) propagate. */
export async function deleteSnapshot(ec2: Ec2, snapshotId: string): Promise<boolean> {
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    return true;
  } catch (err) {
    if (isSnapshotNotFound(err)) return false;
    throw err;
  }
}
