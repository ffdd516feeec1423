/**
 * EBS snapshot existence and deletion. Deciding whether a snapshot may be deleted is
 * `provider/safety.ts`'s job; this module only asks AWS.
 */
import {
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  paginateDescribeSnapshotTierStatus,
  paginateDescribeSnapshots,
  type SnapshotTierStatus,
  type Tag,
} from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { errorCode, isSnapshotNotFound } from "./errors";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG, finishedToken } from "./tags";

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
      if (
        !["InvalidFilter", "InvalidParameterValue", "InvalidParameter"].includes(errorCode(err)) &&
        !isSnapshotNotFound(err)
      )
        throw err;
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

/** What teardown reads of a recorded snapshot before deleting it: size, tier and claim tags. */
export interface SnapshotFacts {
  snapshotId: string;
  sizeGiB: number;
  storageTier: string;
  /** Tag key → value. */
  tags: Record<string, string>;
}

/**
 * The recorded snapshots that still exist, with their facts, in one DescribeSnapshots per 200 ids
 * (`snapshot-id` filter: a gone id does not fail the call). Falls back to one call per id.
 */
export async function describeSnapshots(
  ec2: Ec2,
  snapshotIds: readonly string[],
): Promise<Map<string, SnapshotFacts>> {
  const wanted = [...new Set(snapshotIds)];
  const facts = new Map<string, SnapshotFacts>();
  const add = (s: {
    SnapshotId?: string;
    VolumeSize?: number;
    StorageTier?: string;
    Tags?: { Key?: string; Value?: string }[];
  }) => {
    if (!s.SnapshotId || !wanted.includes(s.SnapshotId)) return;
    const tags: Record<string, string> = {};
    for (const t of s.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? "";
    facts.set(s.SnapshotId, {
      snapshotId: s.SnapshotId,
      sizeGiB: s.VolumeSize ?? 0,
      storageTier: s.StorageTier ?? "standard",
      tags,
    });
  };
  for (let i = 0; i < wanted.length; i += FILTER_CHUNK) {
    const chunk = wanted.slice(i, i + FILTER_CHUNK);
    try {
      const pages = paginateDescribeSnapshots(
        { client: forPaginator(EC2Client, ec2) },
        { Filters: [{ Name: "snapshot-id", Values: chunk }] },
      );
      for await (const page of pages) for (const s of page.Snapshots ?? []) add(s);
    } catch (err) {
      if (
        !["InvalidFilter", "InvalidParameterValue", "InvalidParameter"].includes(errorCode(err)) &&
        !isSnapshotNotFound(err)
      )
        throw err;
      for (const id of chunk) {
        try {
          const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
          for (const s of out.Snapshots ?? []) add(s);
        } catch (e) {
          if (!isSnapshotNotFound(e)) throw e;
        }
      }
    }
  }
  return facts;
}

/**
 * When an archived snapshot entered the archive tier: `ArchivalCompleteTime`. `LastTieringStartTime` is
 * the start of the last archive *or restore*, so it stands in only while the last operation is an archival.
 * Undefined for a snapshot not in the archive tier, or when AWS does not say.
 */
export function archivedSince(status: SnapshotTierStatus): Date | undefined {
  if (status.StorageTier !== "archive") return undefined;
  if (status.ArchivalCompleteTime) return status.ArchivalCompleteTime;
  const op = status.LastTieringOperationStatus;
  return op === undefined || op.startsWith("archival-") ? status.LastTieringStartTime : undefined;
}

/**
 * Days of the 90-day archive minimum still to run for each archived snapshot in `snapshotIds`:
 * DescribeSnapshotTierStatus by `snapshot-id` filter, 200 values a call, every page read.
 */
export async function archiveDaysRemaining(
  ec2: Ec2,
  snapshotIds: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  const days = new Map<string, number>();
  const wanted = [...new Set(snapshotIds)];
  for (let i = 0; i < wanted.length; i += FILTER_CHUNK) {
    const chunk = wanted.slice(i, i + FILTER_CHUNK);
    const pages = paginateDescribeSnapshotTierStatus(
      { client: forPaginator(EC2Client, ec2) },
      { Filters: [{ Name: "snapshot-id", Values: chunk }] },
    );
    for await (const page of pages) {
      for (const s of page.SnapshotTierStatuses ?? []) {
        const since = archivedSince(s);
        if (!s.SnapshotId || !chunk.includes(s.SnapshotId) || !since) continue;
        const left = Math.ceil(90 - (now - since.getTime()) / 86_400_000);
        if (left > 0) days.set(s.SnapshotId, left);
      }
    }
  }
  return days;
}

/**
 * Remove this resource's claim from snapshots it leaves in place: the ownership tag when its value is
 * `imageId`, and the create-token tag when it is `token` (or its finished form). Another owner's
 * claim is left alone. Returns the snapshots whose claim was removed.
 */
export async function releaseClaims(
  ec2: Ec2,
  snapshots: readonly SnapshotFacts[],
  imageId: string,
  token: string | undefined,
): Promise<string[]> {
  const released: string[] = [];
  for (const s of snapshots) {
    const keys: Tag[] = [];
    if (s.tags[MANAGED_AMI_IMAGE_TAG] === imageId) keys.push({ Key: MANAGED_AMI_IMAGE_TAG, Value: imageId });
    const t = s.tags[CREATE_TOKEN_TAG];
    if (t !== undefined && token && (t === token || t === finishedToken(token)))
      keys.push({ Key: CREATE_TOKEN_TAG, Value: t });
    if (keys.length === 0) continue;
    await ec2.send(new DeleteTagsCommand({ Resources: [s.snapshotId], Tags: keys }));
    released.push(s.snapshotId);
  }
  return released;
}
