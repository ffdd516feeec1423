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
import { readLifecycle } from "./aws/lifecycle";
import { resolveRegion } from "./aws/region";
import { fromSdkTags } from "./aws/tags";
import { snapshotOwners } from "./aws/snapshotOwnership";
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
 * The recorded snapshots that still exist and belong to the image's account, in recorded order, and
 * those another account owns (an older record may hold a partner's shared snapshot). A snapshot is
 * dropped only when AWS answers `InvalidSnapshot.NotFound` for it by id (ids are never reused).
 */
async function stillOwned(
  ec2: ReturnType<ProviderDeps["ec2"]>,
  ids: string[],
  ownerId: string | undefined,
  what: string,
): Promise<{ owned: string[]; foreign: string[] }> {
  try {
    const owners = await snapshotOwners(ec2, ids);
    const mine = (id: string) => !ownerId || !owners.get(id) || owners.get(id) === ownerId;
    return {
      owned: ids.filter((id) => owners.has(id) && mine(id)),
      foreign: ids.filter((id) => owners.has(id) && !mine(id)),
    };
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
  let unowned = olds.unownedSnapshotIds;
  if (snapshotIds.length === 0) snapshotIds = snapshotIdsOf(image);
  else {
    const what = label(olds.name, olds.imageId);
    const checked = await stillOwned(deps.ec2(olds.region), snapshotIds, image.OwnerId ?? olds.ownerId, what);
    snapshotIds = checked.owned;
    if (checked.foreign.length > 0) unowned = [...new Set([...(unowned ?? []), ...checked.foreign])];
  }
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
    unownedSnapshotIds: unowned,
    bundle,
    ...readLifecycle(image), // deregistrationProtection, deprecationTime, disabled as AWS reports them
  });
}
