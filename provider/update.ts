/**
 * update in place: `description` (ModifyImageAttribute), `tags` (on the AMI and on the owned
 * snapshots that still exist), the three delete flags and `whenInUse` (state; flipping
 * `deleteSnapshots` adds or removes the snapshots' ownership tag) and the lifecycle inputs
 * (`deregistrationProtection`, `deprecationTime`, `disabled`: aws/lifecycle.ts). A resource a failed
 * create left `pending` is finished here: wait for `available`, then record its caller-owned storage and tag it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { readBundle } from "./aws/bundles";
import { errorMessage } from "./aws/errors";
import { setImageDescription, waitForImageAvailable } from "./aws/imageSources";
import { snapshotIdsOf } from "./aws/images";
import {
  CREATE_TOKEN_TAG,
  MANAGED_AMI_IMAGE_TAG,
  diffTags,
  ownedSnapshotTags,
  tagResources,
  untagResources,
} from "./aws/tags";
import { partitionOwnSnapshots, snapshotOwners } from "./aws/snapshotOwnership";
import { withLifecycle } from "./aws/lifecycle";
import { keepLifecycle, lifecycleChanges } from "./diff";
import { ProviderDeps, defaultDeps, dropUndefined, label, markFinished, withoutProvider } from "./create";
import { COMPUTED_OUTPUT_KEYS, ManagedAmiInputs, ManagedAmiOutputs } from "./types";

/** The fields AWS or create computed; an update keeps them and takes every input from `news`. */
const COMPUTED = [...COMPUTED_OUTPUT_KEYS, "region"] as const;

/** Applies the in-place changes from `olds` (state) to `news` (inputs) and returns the new outputs. */
export async function updateManagedAmi(
  id: string,
  rawOlds: ManagedAmiOutputs,
  rawNews: ManagedAmiInputs,
  deps: ProviderDeps = defaultDeps(),
): Promise<pulumi.dynamic.UpdateResult<ManagedAmiOutputs>> {
  const olds = withoutProvider(rawOlds);
  const news = withoutProvider(rawNews);
  let outs = nextOutputs(id, olds, news);
  // The image is gone and only its storage is left for destroy: nothing on AWS to update.
  if (olds.state === "deregistered") return { outs };

  const ec2 = deps.ec2(outs.region);
  try {
    const pendingFinished = olds.state === "pending" || olds.state === undefined;
    if (pendingFinished) {
      outs = await finishPending(outs, deps);
      await markFinished(ec2, id, outs.createToken, olds.tags);
    }
    if (news.description !== undefined && news.description !== olds.description) {
      await setImageDescription(ec2, id, news.description);
    }
    const changes = diffTags(olds.tags, news.tags);
    const tagsChanged = Object.keys(changes.set).length > 0 || changes.remove.length > 0;
    if (pendingFinished || tagsChanged) {
      // The full set, so an AMI whose tags drifted ends up equal to the inputs.
      await tagResources(ec2, [id], news.tags);
      await untagResources(ec2, [id], changes.remove);
    }
    const claimed = !pendingFinished && olds.deleteSnapshots !== false;
    const claim = news.deleteSnapshots !== false;
    if (outs.snapshotIds.length > 0 && (pendingFinished || tagsChanged || claimed !== claim)) {
      // Only the account's own snapshots that still exist: one deleted out of band must not fail
      // every later update, and another account's snapshot is never tagged.
      const owners = await snapshotOwners(ec2, outs.snapshotIds);
      const live = outs.snapshotIds.filter(
        (s) => owners.has(s) && (!outs.ownerId || !owners.get(s) || owners.get(s) === outs.ownerId),
      );
      if (claim) {
        await tagResources(ec2, live, ownedSnapshotTags(news.tags, id));
        await untagResources(ec2, live, changes.remove);
      } else if (claimed || pendingFinished) {
        // Destroy will keep these snapshots: no tag may claim them for this resource any more.
        await untagResources(ec2, live, [MANAGED_AMI_IMAGE_TAG, CREATE_TOKEN_TAG]);
      }
    }
    // Lifecycle inputs: read the image, change what differs, record what AWS reports (aws/lifecycle.ts).
    if (pendingFinished || lifecycleChanges(olds as never, news as never).length > 0)
      outs = await withLifecycle(ec2, outs);
    else outs = keepLifecycle(outs, olds);
  } catch (err) {
    // A plain error: the engine keeps the previous state, so the next `up` retries every change.
    throw new Error(
      `${label(outs.name, id)}: update failed: ${errorMessage(err)}. Fix the cause and run \`pulumi up\` again.`,
      {
        cause: err,
      },
    );
  }
  return { outs };
}

/** Every input from `news`, every computed field from `olds`; an adopted image keeps its recorded name. */
function nextOutputs(id: string, olds: ManagedAmiOutputs, news: ManagedAmiInputs): ManagedAmiOutputs {
  const outs = { ...news } as ManagedAmiOutputs & Record<string, unknown>;
  for (const key of COMPUTED) outs[key] = olds[key] as never;
  outs.imageId = id;
  outs.snapshotIds = olds.snapshotIds ?? [];
  if (news.adopt && news.name === undefined) outs.name = olds.name;
  return dropUndefined(outs);
}

/** Waits for an image a failed create left pending, then records its storage like create would. */
async function finishPending(outs: ManagedAmiOutputs, deps: ProviderDeps): Promise<ManagedAmiOutputs> {
  const ec2 = deps.ec2(outs.region);
  const image = await waitForImageAvailable(ec2, outs.imageId, deps.wait);
  const mapped = snapshotIdsOf(image).filter((s) => !outs.snapshotIds.includes(s));
  // Only the caller's own snapshots join the record (a partner's shared snapshot never does).
  const { owned, notOwned } =
    mapped.length > 0 ? await partitionOwnSnapshots(ec2, mapped) : { owned: [], notOwned: [] };
  const snapshotIds = [...outs.snapshotIds, ...owned];
  const unowned = [...new Set([...(outs.unownedSnapshotIds ?? []), ...notOwned])];
  let bundle = outs.bundle;
  if (!bundle && image.RootDeviceType === "instance-store" && image.ImageLocation) {
    bundle = await readBundle(deps.s3(outs.region), image.ImageLocation);
  }
  return dropUndefined({
    ...outs,
    state: image.State ?? "available",
    ownerId: image.OwnerId ?? outs.ownerId,
    creationDate: image.CreationDate ?? outs.creationDate,
    architecture: image.Architecture ?? outs.architecture,
    snapshotIds,
    unownedSnapshotIds: unowned.length > 0 ? unowned : undefined,
    bundle,
  });
}
