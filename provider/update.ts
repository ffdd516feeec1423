/**
 * update in place: `description` (ModifyImageAttribute), `tags` (on the AMI and its owned
 * snapshots) and the three delete flags (state only). A resource a failed create left `pending`
 * is finished here: wait for `available`, then record its storage and tag it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { readBundle } from "./aws/bundles";
import { errorMessage } from "./aws/errors";
import { setImageDescription, waitForImageAvailable } from "./aws/imageSources";
import { snapshotIdsOf } from "./aws/images";
import { diffTags, tagResources, untagResources } from "./aws/tags";
import { ProviderDeps, defaultDeps, dropUndefined, label, withoutProvider } from "./create";
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
    if (pendingFinished) outs = await finishPending(outs, deps);
    if (news.description !== undefined && news.description !== olds.description) {
      await setImageDescription(ec2, id, news.description);
    }
    const resources = [id, ...outs.snapshotIds];
    const changes = diffTags(olds.tags, news.tags);
    if (pendingFinished || Object.keys(changes.set).length > 0 || changes.remove.length > 0) {
      // The full set, so snapshots whose tags drifted (or were never tagged) end up equal to the AMI.
      await tagResources(ec2, resources, news.tags);
      await untagResources(ec2, resources, changes.remove);
    }
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
  const image = await waitForImageAvailable(deps.ec2(outs.region), outs.imageId, deps.wait);
  const snapshotIds = [...new Set([...outs.snapshotIds, ...snapshotIdsOf(image)])];
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
    bundle,
  });
}
