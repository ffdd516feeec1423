/**
 * read (refresh): first refuses credentials of another account than the recorded owner. The image
 * present → its current state, tags and owned storage (recorded snapshots AWS says are gone are
 * dropped from the record); the image gone but some owned storage left → kept as
 * `state: "deregistered"` so a later destroy cleans up; everything gone → no id.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Image } from "@aws-sdk/client-ec2";
import { readBundle } from "./aws/bundles";
import { describeImage, isGone, snapshotIdsOf } from "./aws/images";
import { resolveRegion } from "./aws/region";
import { fromSdkTags } from "./aws/tags";
import { existingSnapshots, snapshotExists } from "./aws/snapshots";
import { assertCallerIsOwner } from "./account";
import { ProviderDeps, awsFailure, defaultDeps, dropUndefined, label, withoutProvider } from "./create";
import { storageStillExists } from "./teardown";
import { ManagedAmiOutputs } from "./types";

/** Reads the live image `id` and returns the refreshed outputs, or `{}` when nothing is left. */
export async function readManagedAmi(
  id: string,
  rawProps: ManagedAmiOutputs,
  deps: ProviderDeps = defaultDeps(),
): Promise<pulumi.dynamic.ReadResult<ManagedAmiOutputs>> {
  const olds = withoutProvider(rawProps);
  const region = olds.region || (await resolveRegion(undefined));
  await assertCallerIsOwner(label(olds.name, id), "refresh", region, olds.ownerId, deps);
  const ec2 = deps.ec2(region);
  const image = await describeImage(ec2, id).catch((err: unknown) => {
    throw new Error(`${label(olds.name, id)}: refresh: ${awsFailure("DescribeImages", err)}`, { cause: err });
  });
  const recorded: ManagedAmiOutputs = { ...olds, imageId: id, region, snapshotIds: olds.snapshotIds ?? [] };
  if (!isGone(image)) return { id, props: await refreshed(recorded, image as Image, deps) };

  const left = await storageStillExists(recorded, { ec2, s3: deps.s3(region) }).catch((err: unknown) => {
    const action = "checking the recorded storage (DescribeSnapshots, S3 HeadObject / ListObjectsV2)";
    throw new Error(`${label(olds.name, id)}: refresh: ${awsFailure(action, err)}`, { cause: err });
  });
  if (left.snapshotIds.length === 0 && left.bundleKeys.length === 0) return {};
  return { id, props: { ...recorded, state: "deregistered" } };
}

/**
 * The recorded snapshots that still exist, in recorded order. A snapshot is dropped only when AWS
 * answers `InvalidSnapshot.NotFound` for it by id (ids are never reused), never on a list that
 * merely lacks it, so a lagging answer cannot lose a record.
 */
async function stillExisting(
  ec2: ReturnType<ProviderDeps["ec2"]>,
  ids: string[],
  what: string,
): Promise<string[]> {
  try {
    const listed = new Set(await existingSnapshots(ec2, ids));
    const kept: string[] = [];
    for (const id of ids) if (listed.has(id) || (await snapshotExists(ec2, id))) kept.push(id);
    return kept;
  } catch (err) {
    throw new Error(`${what}: refresh: ${awsFailure("DescribeSnapshots", err)}`, { cause: err });
  }
}

/**
 * The outputs for a live image. The owned storage is the record made at create/adopt time; it is
 * only filled in from the image when nothing was recorded (a create that stopped while pending).
 * Tags and description are refreshed only when the program manages them (set in the inputs).
 */
async function refreshed(
  olds: ManagedAmiOutputs,
  image: Image,
  deps: ProviderDeps,
): Promise<ManagedAmiOutputs> {
  let snapshotIds = olds.snapshotIds;
  if (snapshotIds.length === 0) snapshotIds = snapshotIdsOf(image);
  else snapshotIds = await stillExisting(deps.ec2(olds.region), snapshotIds, label(olds.name, olds.imageId));
  let bundle = olds.bundle;
  if (
    !bundle &&
    image.RootDeviceType === "instance-store" &&
    image.State === "available" &&
    image.ImageLocation
  ) {
    bundle = await readBundle(deps.s3(olds.region), image.ImageLocation);
  }
  return dropUndefined({
    ...olds,
    state: image.State ?? olds.state,
    ownerId: image.OwnerId ?? olds.ownerId,
    rootDeviceType: image.RootDeviceType === "instance-store" ? "instance-store" : "ebs",
    creationDate: image.CreationDate ?? olds.creationDate,
    architecture: image.Architecture ?? olds.architecture,
    tags: olds.tags !== undefined ? (fromSdkTags(image.Tags) ?? {}) : undefined,
    description: olds.description !== undefined ? (image.Description ?? "") : undefined,
    snapshotIds,
    bundle,
  });
}
