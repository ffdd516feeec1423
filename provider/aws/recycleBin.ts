/**
 * The Recycle Bin, seen from EC2: which images and snapshots a retention rule is keeping (and still
 * billing, for snapshots) after they were deregistered or deleted.
 */
import {
  ListImagesInRecycleBinCommand,
  ListSnapshotsInRecycleBinCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { isAccessDenied, isUnknownAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

export interface Binned {
  id: string;
  exitTime?: Date;
}

/** Whether `imageId` sits in the Recycle Bin; undefined when the endpoint cannot tell (unknown action, no permission). */
export async function imageInRecycleBin(ec2: Ec2, imageId: string): Promise<Binned | null | undefined> {
  try {
    const out = await ec2.send(new ListImagesInRecycleBinCommand({ ImageIds: [imageId] }));
    const found = out.Images?.find((i) => i.ImageId === imageId);
    return found ? { id: imageId, exitTime: found.RecycleBinExitTime } : null;
  } catch (err) {
    if (isUnknownAction(err) || isAccessDenied(err)) return undefined;
    throw err;
  }
}

/** Which of `snapshotIds` sit in the Recycle Bin (empty when the endpoint cannot tell). */
export async function snapshotsInRecycleBin(ec2: Ec2, snapshotIds: readonly string[]): Promise<Binned[]> {
  if (snapshotIds.length === 0) return [];
  try {
    const found: Binned[] = [];
    let NextToken: string | undefined;
    do {
      const out = await ec2.send(
        new ListSnapshotsInRecycleBinCommand({ SnapshotIds: [...snapshotIds], NextToken }),
      );
      for (const s of out.Snapshots ?? []) {
        if (s.SnapshotId && snapshotIds.includes(s.SnapshotId))
          found.push({ id: s.SnapshotId, exitTime: s.RecycleBinExitTime });
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return found;
  } catch (err) {
    if (isUnknownAction(err) || isAccessDenied(err)) return [];
    throw err;
  }
}
