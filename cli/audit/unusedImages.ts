/**
 * `--unused-images AGE`: own images with no blocking reference and not launched for AGE, i.e.
 * retirement candidates, with the storage they hold. Listed only; the audit never deregisters.
 * "Blocking" follows the provider's in-use guard (spec v2): a launch template whose `$Default` or
 * `$Latest` version uses the image, an SSM parameter, an Image Builder recipe; instances are not.
 */
import { EC2Client, Image } from "@aws-sdk/client-ec2";
import { errorCode, errorMessage } from "../../provider/aws/errors";
import { inUseVerdict } from "../../provider/inUse";

/** One retirement candidate (the JSON's `unusedImages[]`). */
export interface UnusedImage {
  imageId: string;
  name: string;
  region: string;
  accountId: string;
  /** ISO time of the last launch AWS reports, or null when never launched (since April 2017). */
  lastLaunched: string | null;
  snapshotGiB: number;
  estimatedMonthlyUsd: number;
}

/** An image idle for at least `ageMs` (last launch, or creation when never launched), else undefined. */
export function idleImage(
  img: Image,
  region: string,
  accountId: string,
  now: Date,
  ageMs: number,
): Omit<UnusedImage, "estimatedMonthlyUsd"> | undefined {
  if (!img.ImageId || img.State !== "available") return undefined;
  const last = img.LastLaunchedTime ?? img.CreationDate;
  if (!last || now.getTime() - Date.parse(last) < ageMs) return undefined;
  const snapshotGiB = (img.BlockDeviceMappings ?? []).reduce(
    (n, b) => n + (b.Ebs?.SnapshotId ? (b.Ebs.VolumeSize ?? 0) : 0),
    0,
  );
  return {
    imageId: img.ImageId,
    name: img.Name ?? "",
    region,
    accountId,
    lastLaunched: img.LastLaunchedTime ?? null,
    snapshotGiB,
  };
}

/**
 * The ids among `imageIds` that something would launch from: the provider's in-use guard
 * (`inUseVerdict`: DescribeImageReferences, launch templates confirmed on `$Default`/`$Latest`), so the
 * audit and destroy share one meaning of "in use". Concurrent verdicts share DescribeImageReferences calls
 * (10 ids a call) through the client. Throws when AWS cannot answer.
 */
export async function blockedImages(ec2: EC2Client, imageIds: readonly string[]): Promise<Set<string>> {
  const blocked = new Set<string>();
  for (let i = 0; i < imageIds.length; i += 50) {
    const chunk = imageIds.slice(i, i + 50);
    const verdicts = await Promise.all(chunk.map(async (id) => [id, await inUseVerdict(ec2, id)] as const));
    for (const [id, verdict] of verdicts) {
      if (verdict.unavailable) {
        const [code, ...rest] = verdict.unavailable.split(": ");
        const err = new Error(rest.join(": ") || verdict.unavailable);
        err.name = code;
        throw err;
      }
      if (verdict.blocking.length > 0) blocked.add(id);
    }
  }
  return blocked;
}

/** Why the references could not be checked, naming the permission and AWS's managed policy. */
export function referencesUnavailable(region: string, err: unknown): string {
  return (
    `${region}: ec2:DescribeImageReferences failed (${errorCode(err) || "error"}: ${errorMessage(err)}); idle images are not listed ` +
    "because their launch templates, SSM parameters and recipes could not be checked. Grant ec2:DescribeImageReferences " +
    "(AWS managed policy AmazonEC2ImageReferencesAccessPolicy)."
  );
}
