/**
 * EBS snapshot existence and deletion. Deciding whether a snapshot may be deleted is
 * `provider/safety.ts`'s job; this module only asks AWS.
 */
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, EC2Client, paginateDescribeSnapshots } from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { errorCode, isSnapshotNotFound } from "./errors";

export type Ec2 = Pick<EC2Client, "send">;

/** At most this many values per `snapshot-id` filter (AWS's limit on filter values is 200). */
const FILTER_CHUNK = 200;

/**
 * Which of `snapshotIds` still exist, in one DescribeSnapshots per 200 ids. Uses the `snapshot-id`
 * filter, which (unlike `SnapshotIds`) does not fail the whole call when one id is gone; falls back
 * to one call per id if the endpoint rejects the filter.
 */
export async function existingSnapshots(ec2: Ec2, snapshotIds: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(snapshotIds)];
  if (wanted.length === 0) return [];
  const found = new Set<string>();
  for (let i = 0; i < wanted.length; i += FILTER_CHUNK) {
    const chunk = wanted.slice(i, i + FILTER_CHUNK);
    try {
      const pages = paginateDescribeSnapshots(
        { client: forPaginator(EC2Client, ec2) },
        { Filters: [{ Name: "snapshot-id", Values: chunk }] },
      );
      for await (const page of pages) {
        for (const snapshot of page.Snapshots ?? []) {
          if (snapshot.SnapshotId && chunk.includes(snapshot.SnapshotId)) found.add(snapshot.SnapshotId);
        }
      }
    } catch (err) {
      if (!["InvalidFilter", "InvalidParameterValue", "InvalidParameter"].includes(errorCode(err)) && !isSnapshotNotFound(err)) throw err;
      for (const id of chunk) if (await snapshotExists(ec2, id)) found.add(id);
    }
  }
  return wanted.filter((id) => found.has(id));
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
