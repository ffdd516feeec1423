/**
 * What the account holds, read with the AWS SDK the way an operator would (DescribeImages /
 * DescribeSnapshots owned by `self`, paginated): images, snapshots and their provisioned GiB.
 */
import { EC2Client, paginateDescribeImages, paginateDescribeSnapshots } from "@aws-sdk/client-ec2";

/** One region's own images (deregistered ones excluded) and snapshots. */
export interface Inventory {
  images: string[];
  snapshots: { id: string; gib: number }[];
  gib: number;
}

/** Reads the inventory of `regions` with clients from the SDK's default chain. */
export async function readInventory(regions: string[]): Promise<Inventory> {
  const inv: Inventory = { images: [], snapshots: [], gib: 0 };
  for (const region of regions) {
    const client = new EC2Client({ region });
    for await (const page of paginateDescribeImages({ client }, { Owners: ["self"] })) {
      for (const image of page.Images ?? [])
        if (image.State !== "deregistered") inv.images.push(image.ImageId!);
    }
    for await (const page of paginateDescribeSnapshots({ client }, { OwnerIds: ["self"] })) {
      for (const snap of page.Snapshots ?? [])
        inv.snapshots.push({ id: snap.SnapshotId!, gib: snap.VolumeSize ?? 0 });
    }
  }
  inv.gib = inv.snapshots.reduce((sum, s) => sum + s.gib, 0);
  return inv;
}

/** Prints an inventory under a heading. */
export function printInventory(title: string, inv: Inventory): void {
  console.log(`\n${title}`);
  console.log(`  images:    ${inv.images.length}${inv.images.length ? `  (${inv.images.join(", ")})` : ""}`);
  console.log(
    `  snapshots: ${inv.snapshots.length}${inv.snapshots.length ? `  (${inv.snapshots.map((s) => s.id).join(", ")})` : ""}`,
  );
  console.log(`  storage:   ${inv.gib} GiB`);
}
