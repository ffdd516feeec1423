/**
 * The EC2 side of the Recycle Bin: what a retention rule kept after teardown deleted or deregistered it.
 * Read-only; an endpoint without the actions answers "nothing in the bin".
 */
import {
  ListImagesInRecycleBinCommand,
  ListSnapshotsInRecycleBinCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { isUnsupportedAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

export interface BinnedItem {
  id: string;
  /** When it leaves the bin for good. */
  exitTime?: Date;
}

/** Which of `snapshotIds` a retention rule keeps in the Recycle Bin (ListSnapshotsInRecycleBin by id list). */
export async function snapshotsInRecycleBin(ec2: Ec2, snapshotIds: readonly string[]): Promise<BinnedItem[]> {
  const wanted = [...new Set(snapshotIds)];
  const found: BinnedItem[] = [];
  for (let i = 0; i < wanted.length; i += 1000) {
    const chunk = wanted.slice(i, i + 1000);
    let token: string | undefined;
    do {
      try {
        const out = await ec2.send(
          new ListSnapshotsInRecycleBinCommand({ SnapshotIds: chunk, NextToken: token }),
        );
        for (const s of out.Snapshots ?? []) {
          if (s.SnapshotId && chunk.includes(s.SnapshotId))
            found.push({ id: s.SnapshotId, exitTime: s.RecycleBinExitTime });
        }
        token = out.NextToken;
      } catch (err) {
        if (isUnsupportedAction(err)) return found;
        throw err;
      }
    } while (token);
  }
  return found;
}

/** The image, when an image retention rule moved it into the Recycle Bin on deregistration. */
export async function imageInRecycleBin(ec2: Ec2, imageId: string): Promise<BinnedItem | undefined> {
  try {
    const out = await ec2.send(new ListImagesInRecycleBinCommand({ ImageIds: [imageId] }));
    const image = out.Images?.find((i) => i.ImageId === imageId);
    return image ? { id: imageId, exitTime: image.RecycleBinExitTime } : undefined;
  } catch (err) {
    if (isUnsupportedAction(err)) return undefined;
    throw err;
  }
}
