/**
 * `--unused-images AGE`: own images with no blocking reference and not launched for AGE, i.e.
 * retirement candidates, with the storage they hold. Listed only; the audit never deregisters.
 * "Blocking" follows the provider's in-use guard (spec v2): a launch template whose `$Default` or
 * `$Latest` version uses the image, an SSM parameter, an Image Builder recipe; instances are not.
 */
import {
  DescribeImageReferencesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  Image,
} from "@aws-sdk/client-ec2";
import { errorCode, errorMessage } from "../../provider/aws/errors";

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

const BLOCKING_TYPES = [
  "ec2:LaunchTemplate",
  "ssm:Parameter",
  "imagebuilder:ImageRecipe",
  "imagebuilder:ContainerRecipe",
] as const;

/**
 * The ids among `imageIds` that something would launch from (DescribeImageReferences, 10 ids a call;
 * launch templates confirmed on `$Default`/`$Latest`). Throws when AWS cannot answer.
 */
export async function blockedImages(ec2: EC2Client, imageIds: readonly string[]): Promise<Set<string>> {
  const blocked = new Set<string>();
  const templates = new Map<string, Set<string>>();
  for (let i = 0; i < imageIds.length; i += 10) {
    let token: string | undefined;
    do {
      const out = await ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: imageIds.slice(i, i + 10),
          ResourceTypes: BLOCKING_TYPES.map((t) => ({ ResourceType: t })),
          NextToken: token,
        }),
      );
      for (const r of out.ImageReferences ?? []) {
        if (!r.ImageId || !r.Arn) continue;
        if (r.ResourceType === "ec2:LaunchTemplate") {
          const id = r.Arn.split("/").pop() as string;
          templates.set(id, (templates.get(id) ?? new Set()).add(r.ImageId));
        } else if (r.ResourceType !== "ec2:Instance") blocked.add(r.ImageId);
      }
      token = out.NextToken;
    } while (token);
  }
  for (const [templateId, images] of templates) {
    const out = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: templateId,
        Versions: ["$Default", "$Latest"],
      }),
    );
    for (const v of out.LaunchTemplateVersions ?? []) {
      const used = v.LaunchTemplateData?.ImageId;
      if (used && images.has(used)) blocked.add(used);
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
