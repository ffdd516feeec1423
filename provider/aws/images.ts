/**
 * AMI lookup and removal. Creation lives in `imageSources.ts`.
 * Reference queries (`imagesUsingSnapshot` / `imagesUsingManifest`) see only the images the caller
 * can see: its own, public ones and ones shared with it — which is every image that can reference
 * the caller's own snapshots or manifests, since registering an image needs access to its storage.
 */
import {
  DeregisterImageCommand,
  DescribeImagesCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  paginateDescribeImages,
  type DeleteSnapshotReturnCode,
  type Filter,
  type Image,
} from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { isNotFoundImage } from "./errors";

export type Ec2 = Pick<EC2Client, "send">;

/** The image as DescribeImages shows it (state may be `deregistered`), or undefined when AWS no longer knows it. */
export async function describeImage(ec2: Ec2, imageId: string): Promise<Image | undefined> {
  try {
    const out = await ec2.send(
      new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }),
    );
    return (out.Images ?? []).find((image) => image.ImageId === imageId);
  } catch (err) {
    if (isNotFoundImage(err)) return undefined;
    throw err;
  }
}

/**
 * The image as DescribeImages shows it, telling AWS's "gone" (`InvalidAMIID.NotFound` /
 * `.Unavailable`) apart from an answer that merely lists nothing (which may lag).
 */
export async function lookupImage(ec2: Ec2, imageId: string): Promise<{ image?: Image; notFound: boolean }> {
  try {
    const out = await ec2.send(
      new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }),
    );
    return { image: (out.Images ?? []).find((image) => image.ImageId === imageId), notFound: false };
  } catch (err) {
    if (isNotFoundImage(err)) return { notFound: true };
    throw err;
  }
}

/** True when the image no longer exists for teardown purposes: unknown, or state `deregistered`. */
export function isGone(image: Image | undefined): boolean {
  return image === undefined || image.State === "deregistered";
}

/** The EBS snapshot ids in an image's block device mappings, in mapping order. */
export function snapshotIdsOf(image: Image): string[] {
  const ids = (image.BlockDeviceMappings ?? [])
    .map((m) => m.Ebs?.SnapshotId)
    .filter((id): id is string => !!id);
  return [...new Set(ids)];
}

export interface DeregisterResult {
  /** False when the image was already gone (`InvalidAMIID.NotFound` / `.Unavailable`). */
  deregistered: boolean;
  /** Per-snapshot results when `DeleteAssociatedSnapshots` was asked for and the endpoint supports it. */
  deleteSnapshotResults?: DeleteSnapshotReturnCode[];
}

/** DeregisterImage; with `deleteAssociatedSnapshots`, AWS also deletes snapshots no other AMI uses. */
export async function deregisterImage(
  ec2: Ec2,
  imageId: string,
  options: { deleteAssociatedSnapshots?: boolean } = {},
): Promise<DeregisterResult> {
  try {
    const out = await ec2.send(
      new DeregisterImageCommand({
        ImageId: imageId,
        ...(options.deleteAssociatedSnapshots ? { DeleteAssociatedSnapshots: true } : {}),
      }),
    );
    return { deregistered: true, deleteSnapshotResults: out.DeleteSnapshotResults };
  } catch (err) {
    if (isNotFoundImage(err)) return { deregistered: false };
    throw err;
  }
}

/** How an image's `DeregistrationProtection` text reads: off, on, or off from a future time (cooldown). */
export type ProtectionState =
  | { kind: "off" }
  | { kind: "on"; withCooldown: boolean; text: string }
  | { kind: "cooldown"; liftsAt?: Date; text: string };

/**
 * Parse `DeregistrationProtection`: `disabled`, `enabled-with-cooldown`, `enabled-without-cooldown`,
 * or a cooldown text such as `disabled after <time>` / `disabled-until <time>`. A cooldown whose time
 * has passed (per `now`) reads as off.
 */
export function protectionState(text: string | undefined, now: number = Date.now()): ProtectionState {
  const value = (text ?? "").trim();
  if (value === "" || value.toLowerCase() === "disabled") return { kind: "off" };
  if (/^enabled/i.test(value)) return { kind: "on", withCooldown: /with-cooldown/i.test(value), text: value };
  const match = /^disabled[\s-]*(?:after|until)?[\s:]*(.+)$/i.exec(value);
  if (match) {
    const time = Date.parse(match[1].trim());
    if (Number.isNaN(time)) return { kind: "cooldown", text: value };
    if (time <= now) return { kind: "off" };
    return { kind: "cooldown", liftsAt: new Date(time), text: value };
  }
  return { kind: "on", withCooldown: false, text: value };
}

/** Turn deregistration protection off, then read it back: with a cooldown it stays effectively on until the returned time. */
export async function disableDeregistrationProtection(
  ec2: Ec2,
  imageId: string,
  now: () => number = Date.now,
): Promise<ProtectionState> {
  await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
  const image = await describeImage(ec2, imageId);
  return protectionState(image?.DeregistrationProtection, now());
}

/** Ids of registered images (any owner the caller can see, incl. disabled/deprecated) matching `filter`. */
async function registeredImagesMatching(
  ec2: Ec2,
  filter: Filter,
  ignoreImageIds: readonly string[],
): Promise<string[]> {
  const ids = new Set<string>();
  const pages = paginateDescribeImages(
    { client: forPaginator(EC2Client, ec2) },
    { Filters: [filter], IncludeDeprecated: true, IncludeDisabled: true },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      if (!image.ImageId || image.State === "deregistered" || ignoreImageIds.includes(image.ImageId))
        continue;
      ids.add(image.ImageId);
    }
  }
  return [...ids].sort();
}

/** Registered images whose block device mappings reference `snapshotId`, except `ignoreImageIds`. */
export function imagesUsingSnapshot(
  ec2: Ec2,
  snapshotId: string,
  ignoreImageIds: readonly string[] = [],
): Promise<string[]> {
  return registeredImagesMatching(
    ec2,
    { Name: "block-device-mapping.snapshot-id", Values: [snapshotId] },
    ignoreImageIds,
  );
}

/** Registered images whose manifest is `imageLocation` (`bucket/path/x.manifest.xml`), except `ignoreImageIds`. */
export function imagesUsingManifest(
  ec2: Ec2,
  imageLocation: string,
  ignoreImageIds: readonly string[] = [],
): Promise<string[]> {
  return registeredImagesMatching(
    ec2,
    { Name: "manifest-location", Values: [imageLocation] },
    ignoreImageIds,
  );
}

/** A registered image that references a piece of storage. */
export interface ImageUse {
  imageId: string;
  ownerId: string;
  state: string;
}

/** Values per `block-device-mapping.snapshot-id` filter (AWS caps filter values at 200). */
const REFERENCE_CHUNK = 200;

/**
 * For each of `snapshotIds`, the registered images (not `deregistered`) whose mappings reference it,
 * in one paged DescribeImages per 200 snapshots, for the whole teardown (not one paging per snapshot).
 *
 * Why the query is not narrowed to `Owners: ["self"]`: an image can reference the caller's snapshot
 * only if its owner can read that snapshot — the caller itself, or an account the snapshot is shared
 * with (createVolumePermission), whose image may be public or shared back with the caller. Those are
 * exactly the images DescribeImages without an owner filter adds (public + shared-with-me); dropping
 * them would need a per-snapshot DescribeSnapshotAttribute to prove the snapshot unshared, which costs
 * more than the one batched, server-side-filtered query. Images of other accounts not shared with the
 * caller are invisible either way; AWS's own InvalidSnapshot.InUse is the second line for them.
 */
export async function imagesUsingSnapshots(
  ec2: Ec2,
  snapshotIds: readonly string[],
): Promise<Map<string, ImageUse[]>> {
  const wanted = [...new Set(snapshotIds)];
  const uses = new Map<string, ImageUse[]>(wanted.map((id) => [id, []]));
  for (let i = 0; i < wanted.length; i += REFERENCE_CHUNK) {
    const chunk = wanted.slice(i, i + REFERENCE_CHUNK);
    const pages = paginateDescribeImages(
      { client: forPaginator(EC2Client, ec2) },
      {
        Filters: [{ Name: "block-device-mapping.snapshot-id", Values: chunk }],
        IncludeDeprecated: true,
        IncludeDisabled: true,
      },
    );
    for await (const page of pages) {
      for (const image of page.Images ?? []) {
        if (!image.ImageId || image.State === "deregistered") continue;
        for (const snapshotId of snapshotIdsOf(image)) {
          const list = uses.get(snapshotId);
          if (list && !list.some((u) => u.imageId === image.ImageId)) {
            list.push({ imageId: image.ImageId, ownerId: image.OwnerId ?? "", state: image.State ?? "" });
          }
        }
      }
    }
  }
  for (const list of uses.values()) list.sort((a, b) => a.imageId.localeCompare(b.imageId));
  return uses;
}

/** The given images as DescribeImages shows them now (one call by id list); unknown ones are left out. */
export async function describeImagesById(ec2: Ec2, imageIds: readonly string[]): Promise<Image[]> {
  const found: Image[] = [];
  for (const id of new Set(imageIds)) {
    const image = await describeImage(ec2, id);
    if (image) found.push(image);
  }
  return found;
}

/**
 * Registered instance-store images whose manifest lives in `bucket` (filter `manifest-location`
 * `bucket/*`): the only images that can list a part key of that bucket, because part keys are
 * relative to their manifest's folder.
 */
export async function instanceStoreImagesInBucket(
  ec2: Ec2,
  bucket: string,
): Promise<{ imageId: string; location: string }[]> {
  const found: { imageId: string; location: string }[] = [];
  const pages = paginateDescribeImages(
    { client: forPaginator(EC2Client, ec2) },
    {
      Filters: [
        { Name: "manifest-location", Values: [`${bucket}/*`] },
        { Name: "root-device-type", Values: ["instance-store"] },
      ],
      IncludeDeprecated: true,
      IncludeDisabled: true,
    },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      if (!image.ImageId || image.State === "deregistered" || !image.ImageLocation) continue;
      if (image.ImageLocation.startsWith(`${bucket}/`))
        found.push({ imageId: image.ImageId, location: image.ImageLocation });
    }
  }
  return found;
}
