/**
 * What an account holds, read with the AWS SDK the way an operator would (DescribeImages /
 * DescribeSnapshots owned by `self`, paginated, disabled images included): images, snapshots, GiB.
 */
import { EC2Client, paginateDescribeImages, paginateDescribeSnapshots } from "@aws-sdk/client-ec2";

/** One account's own images (deregistered ones excluded) and snapshots in one region. */
export interface Inventory {
  images: string[];
  snapshots: { id: string; gib: number }[];
  gib: number;
}

/** Reads the inventory with `client`. */
export async function readInventory(client: EC2Client): Promise<Inventory> {
  const inv: Inventory = { images: [], snapshots: [], gib: 0 };
  for await (const page of paginateDescribeImages({ client }, { Owners: ["self"], IncludeDisabled: true })) {
    for (const image of page.Images ?? [])
      if (image.State !== "deregistered") inv.images.push(image.ImageId!);
  }
  for await (const page of paginateDescribeSnapshots({ client }, { OwnerIds: ["self"] })) {
    for (const snap of page.Snapshots ?? [])
      inv.snapshots.push({ id: snap.SnapshotId!, gib: snap.VolumeSize ?? 0 });
  }
  inv.gib = inv.snapshots.reduce((sum, s) => sum + s.gib, 0);
  return inv;
}

/** "3 images, 4 snapshots, 32 GiB". */
export function summarizeInventory(inv: Inventory): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return `${n(inv.images.length, "image")}, ${n(inv.snapshots.length, "snapshot")}, ${inv.gib} GiB`;
}
