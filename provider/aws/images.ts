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

/**
 * The image as DescribeImages shows it (state may be `deregistered`), or undefined when AWS no longer
 * knows it. `onNotFound` is called when AWS said so explicitly (InvalidAMIID.NotFound/Unavailable),
 * as opposed to an empty answer, which may only lag.
 */
export async function describeImage(
  ec2: Ec2,
  imageId: string,
  opts: { onNotFound?: () => void } = {},
): Promise<Image | undefined> {
  try {
    const out = await ec2.send(
      new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }),
    );
    return (out.Images ?? []).find((image) => image.ImageId === imageId);
  } catch (err) {
    if (isNotFoundImage(err)) {
      opts.onNotFound?.();
      return undefined;
    }
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

/** At most this many values in one DescribeImages filter. */
const FILTER_VALUES = 200;

/**
 * For each of `snapshotIds`, the registered images (any owner the caller can see, disabled and
 * deprecated included) whose block device mappings reference it, except `ignoreImageIds`: one paged
 * DescribeImages per 200 snapshots instead of one per snapshot. Images of other accounts can only
 * reference a snapshot of ours that we shared, and we only see those that are shared with us or
 * public, so the query cannot be narrowed to `Owners: ["self"]` without losing that case.
 */
export async function imagesUsingSnapshots(
  ec2: Ec2,
  snapshotIds: readonly string[],
  ignoreImageIds: readonly string[] = [],
): Promise<Map<string, string[]>> {
  const wanted = [...new Set(snapshotIds)];
  const users = new Map<string, Set<string>>(wanted.map((id) => [id, new Set()]));
  for (let i = 0; i < wanted.length; i += FILTER_VALUES) {
    const chunk = wanted.slice(i, i + FILTER_VALUES);
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
        if (!image.ImageId || image.State === "deregistered" || ignoreImageIds.includes(image.ImageId))
          continue;
        for (const id of snapshotIdsOf(image)) users.get(id)?.add(image.ImageId);
      }
    }
  }
  return new Map([...users].map(([id, set]) => [id, [...set].sort()]));
}

/**
 * Which of `imageIds` are still registered, asked by id (a reference query by filter may lag behind
 * a deregistration that just happened; AWS answers by-id lookups from the image itself).
 */
export async function stillRegistered(ec2: Ec2, imageIds: readonly string[]): Promise<string[]> {
  const registered: string[] = [];
  for (const id of imageIds) {
    const image = await describeImage(ec2, id);
    if (!isGone(image)) registered.push(id);
  }
  return registered;
}

/** Registered instance-store images the caller can see whose manifest lives in `bucket`, with their manifest key. */
export async function instanceStoreImagesIn(
  ec2: Ec2,
  bucket: string,
  ignoreImageIds: readonly string[] = [],
): Promise<{ imageId: string; manifestKey: string }[]> {
  const found: { imageId: string; manifestKey: string }[] = [];
  const pages = paginateDescribeImages(
    { client: forPaginator(EC2Client, ec2) },
    {
      Filters: [
        { Name: "root-device-type", Values: ["instance-store"] },
        { Name: "manifest-location", Values: [`${bucket}/*`] },
      ],
      IncludeDeprecated: true,
      IncludeDisabled: true,
    },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      const location = image.ImageLocation ?? "";
      if (!image.ImageId || image.State === "deregistered" || ignoreImageIds.includes(image.ImageId))
        continue;
      if (!location.startsWith(`${bucket}/`)) continue;
      found.push({ imageId: image.ImageId, manifestKey: location.slice(bucket.length + 1) });
    }
  }
  return found;
}
