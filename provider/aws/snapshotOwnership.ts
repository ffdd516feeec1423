/**
 * Which snapshots belong to the caller's account, and which ones an image provably made. Read-only:
 * nothing here tags or deletes. "Provably the image's own" = owned by the caller AND either tagged
 * with this create's token (written through TagSpecifications) or described by AWS as made for it.
 */
import {
  DescribeSnapshotsCommand,
  EC2Client,
  paginateDescribeSnapshots,
  type Filter,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { isSnapshotNotFound } from "./errors";
import { CREATE_TOKEN_TAG } from "./tags";

type Ec2 = Pick<EC2Client, "send">;

const CHUNK = 200;

async function ownSnapshots(ec2: Ec2, filters: Filter[]): Promise<Snapshot[]> {
  const found: Snapshot[] = [];
  const pages = paginateDescribeSnapshots(
    { client: forPaginator(EC2Client, ec2) },
    { OwnerIds: ["self"], Filters: filters },
  );
  for await (const page of pages) found.push(...(page.Snapshots ?? []));
  return found;
}

/**
 * Splits `snapshotIds` into those the caller's account owns (DescribeSnapshots `OwnerIds: ["self"]`)
 * and the rest (another account's, or gone), keeping the given order.
 */
export async function partitionOwnSnapshots(
  ec2: Ec2,
  snapshotIds: readonly string[],
): Promise<{ owned: string[]; notOwned: string[] }> {
  const wanted = [...new Set(snapshotIds)];
  const owned = new Set<string>();
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK);
    for (const s of await ownSnapshots(ec2, [{ Name: "snapshot-id", Values: chunk }])) {
      if (s.SnapshotId && chunk.includes(s.SnapshotId)) owned.add(s.SnapshotId);
    }
  }
  return { owned: wanted.filter((id) => owned.has(id)), notOwned: wanted.filter((id) => !owned.has(id)) };
}

/** AWS's own descriptions of the snapshots CreateImage / CopyImage make for `imageId`. */
export function describedAsMadeFor(description: string | undefined, imageId: string): boolean {
  const d = description ?? "";
  const id = imageId.replace(/[^\w-]/g, "");
  return (
    new RegExp(`^Created by CreateImage\\([^)]*\\) for ${id}(\\s|$)`).test(d) ||
    new RegExp(`^Copied for DestinationAmi ${id}(\\s|$)`).test(d)
  );
}

/**
 * The caller-owned snapshots provably made for `imageId`: tagged `managed-ami:create-token` = `token`
 * (when given), or described by AWS as created/copied for it. For a create that stopped before its
 * image could be described (teardown of a pending, empty record). Sorted ids.
 */
export async function provablyOwnedSnapshots(ec2: Ec2, imageId: string, token?: string): Promise<string[]> {
  const ids = new Set<string>();
  const described = await ownSnapshots(ec2, [
    {
      Name: "description",
      Values: [`Created by CreateImage(*) for ${imageId}*`, `Copied for DestinationAmi ${imageId}*`],
    },
  ]);
  for (const s of described)
    if (s.SnapshotId && describedAsMadeFor(s.Description, imageId)) ids.add(s.SnapshotId);
  if (token) {
    for (const s of await ownSnapshots(ec2, [{ Name: `tag:${CREATE_TOKEN_TAG}`, Values: [token] }])) {
      if (s.SnapshotId && s.Tags?.some((t) => t.Key === CREATE_TOKEN_TAG && t.Value === token))
        ids.add(s.SnapshotId);
    }
  }
  return [...ids].sort();
}

/**
 * The owner account of each of `snapshotIds` the caller can see (one DescribeSnapshots per 200 ids,
 * `snapshot-id` filter). An id missing from that answer is confirmed by id: absent from the result
 * only on `InvalidSnapshot.NotFound`, so a lagging list never makes a snapshot look gone.
 */
export async function snapshotOwners(ec2: Ec2, snapshotIds: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(snapshotIds)];
  const owners = new Map<string, string>();
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK);
    const pages = paginateDescribeSnapshots(
      { client: forPaginator(EC2Client, ec2) },
      { Filters: [{ Name: "snapshot-id", Values: chunk }] },
    );
    for await (const page of pages) {
      for (const s of page.Snapshots ?? []) {
        if (s.SnapshotId && chunk.includes(s.SnapshotId)) owners.set(s.SnapshotId, s.OwnerId ?? "");
      }
    }
  }
  for (const id of wanted) {
    if (owners.has(id)) continue;
    try {
      const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
      const s = (out.Snapshots ?? []).find((x) => x.SnapshotId === id);
      if (s) owners.set(id, s.OwnerId ?? "");
    } catch (err) {
      if (!isSnapshotNotFound(err)) throw err;
    }
  }
  return owners;
}
