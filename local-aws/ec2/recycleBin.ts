import { Ec2Error, invalidValue } from "../protocol/errors";
import { checkDryRun, iso, type Ec2Context, type Ec2Handler } from "./context";
import { checkId } from "./ids";
import { notFoundImage } from "./images";
import { paginate } from "./pagination";
import { notFoundSnapshot } from "./snapshots";
import type { BinnedImage, BinnedSnapshot } from "./state";

/**
 * The EC2 side of the Recycle Bin (aws-facts §4): ListSnapshotsInRecycleBin, ListImagesInRecycleBin,
 * RestoreSnapshotFromRecycleBin, RestoreImageFromRecycleBin. Rules come from the `recycleBin` option
 * (`aws.state.ec2.settings.recycleBin`); items leave the bin for good at their exit time.
 */

const mine = (ctx: Ec2Context, r: { ownerId: string; region: string }): boolean =>
  r.ownerId === ctx.accountId && r.region === ctx.region;

export const listSnapshotsInRecycleBin: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("SnapshotId");
  for (const id of ids) checkId("snap", id);
  let items: BinnedSnapshot[] = [...ctx.store.binnedSnapshots.values()].filter((b) => mine(ctx, b.record));
  if (ids.length) items = items.filter((b) => ids.includes(b.record.snapshotId));
  const { page, nextToken } = paginate(items, p, "ListSnapshotsInRecycleBin", {
    range: [5, 1000],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return {
    snapshotSet: page.map((b) => ({
      snapshotId: b.record.snapshotId,
      recycleBinEnterTime: iso(b.enterTime),
      recycleBinExitTime: iso(b.exitTime),
      description: b.record.description,
      volumeId: b.record.volumeId,
    })),
    nextToken,
  };
};

export const listImagesInRecycleBin: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("ImageId");
  if (ids.length > 20)
    throw invalidValue(`ListImagesInRecycleBin accepts at most 20 image IDs, got ${ids.length}.`);
  for (const id of ids) checkId("ami", id);
  let items: BinnedImage[] = [...ctx.store.binnedImages.values()].filter((b) => mine(ctx, b.record));
  if (ids.length) items = items.filter((b) => ids.includes(b.record.imageId));
  const { page, nextToken } = paginate(items, p, "ListImagesInRecycleBin", {
    range: [1, 1000],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return {
    imageSet: page.map((b) => ({
      imageId: b.record.imageId,
      name: b.record.name,
      description: b.record.description,
      recycleBinEnterTime: iso(b.enterTime),
      recycleBinExitTime: iso(b.exitTime),
    })),
    nextToken,
  };
};

/** The snapshot returns with its id, tags and description; the answer reads State `recovering`. */
export const restoreSnapshotFromRecycleBin: Ec2Handler = (ctx) => {
  const id = checkId("snap", ctx.params.required("SnapshotId"));
  const b = ctx.store.binnedSnapshots.get(id);
  if (!b || !mine(ctx, b.record)) throw notFoundSnapshot(id);
  checkDryRun(ctx);
  ctx.store.binnedSnapshots.delete(id);
  ctx.store.snapshots.set(id, b.record);
  const s = b.record;
  return {
    snapshotId: s.snapshotId,
    description: s.description,
    encrypted: s.encrypted,
    ownerId: s.ownerId,
    progress: "100%",
    startTime: iso(s.startTime),
    status: "recovering",
    volumeId: s.volumeId,
    volumeSize: s.volumeSize,
  };
};

/** Every snapshot of the image must be restored first (AWS: "you must first restore all its snapshots"). */
export const restoreImageFromRecycleBin: Ec2Handler = (ctx) => {
  const id = checkId("ami", ctx.params.required("ImageId"));
  const b = ctx.store.binnedImages.get(id);
  if (!b || !mine(ctx, b.record)) throw notFoundImage(id);
  const missingSnap = b.record.blockDeviceMappings.find(
    (m) => m.snapshotId !== undefined && !ctx.store.snapshots.has(m.snapshotId),
  );
  if (missingSnap) {
    throw new Ec2Error(
      "IncorrectState",
      `The image ${id} cannot be restored: its snapshot ${missingSnap.snapshotId} is not available. ` +
        "Restore the image's snapshots from the Recycle Bin first.",
    );
  }
  checkDryRun(ctx);
  ctx.store.binnedImages.delete(id);
  b.record.state = "available";
  b.record.deregisteredAt = undefined;
  ctx.store.images.set(id, b.record);
  return { return: true };
};
