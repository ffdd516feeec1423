import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  ListImagesInRecycleBinCommand,
  ListSnapshotsInRecycleBinCommand,
  RestoreImageFromRecycleBinCommand,
  RestoreSnapshotFromRecycleBinCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

const DAY = 86400000;

async function newSnapshot(ec2: EC2Client): Promise<string> {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 }));
  return (await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId, Description: "mine" })))
    .SnapshotId as string;
}

describe("local-aws EC2 Recycle Bin", () => {
  describe("without rules", () => {
    const ctx = withLocalAws({ imageAvailableAfterMs: 0 });
    it("a deleted snapshot is gone and the bin is empty", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      assert.deepEqual((await ec2.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots ?? [], []);
    });

    it("a rule set at runtime on the state applies to later deletes; reset() removes it", async () => {
      const ec2 = ec2For(ctx.aws);
      ctx.aws.state.ec2.settings.recycleBin = { snapshots: { retentionDays: 2 } };
      const id = await newSnapshot(ec2);
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      assert.equal((await ec2.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots?.length, 1);
      ctx.aws.reset();
      const again = await newSnapshot(ec2);
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: again }));
      assert.deepEqual((await ec2.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots ?? [], []);
    });
  });

  describe("with snapshot and image rules", () => {
    const ctx = withLocalAws({
      imageAvailableAfterMs: 0,
      recycleBin: {
        snapshots: [{ retentionDays: 7 }, { retentionDays: 30, tags: { keep: "long" } }],
        images: { retentionDays: 3 },
      },
    });

    it("a deleted snapshot moves to the bin with enter/exit times and leaves it at exit time", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const deletedAt = ctx.aws.clock.now();
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      await expectAwsError(
        ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })),
        "InvalidSnapshot.NotFound",
      );
      const bin = await ec2.send(new ListSnapshotsInRecycleBinCommand({ SnapshotIds: [id] }));
      const item = bin.Snapshots?.[0];
      assert.equal(item?.SnapshotId, id);
      assert.equal(item?.Description, "mine");
      const enter = item?.RecycleBinEnterTime?.getTime() as number;
      const exit = item?.RecycleBinExitTime?.getTime() as number;
      assert.ok(Math.abs(enter - deletedAt) < 2000);
      assert.ok(Math.abs(exit - enter - 7 * DAY) < 2000, "7-day rule");
      // Another account sees nothing of it.
      const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
      assert.deepEqual((await other.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots ?? [], []);
      ctx.aws.advance(7 * DAY + 1000);
      assert.deepEqual((await ec2.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots ?? [], []);
    });

    it("the longest matching rule wins (tag-level 30 days)", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "keep", Value: "long" }] }));
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      const item = (await ec2.send(new ListSnapshotsInRecycleBinCommand({}))).Snapshots?.[0];
      const days =
        ((item?.RecycleBinExitTime?.getTime() ?? 0) - (item?.RecycleBinEnterTime?.getTime() ?? 0)) / DAY;
      assert.equal(Math.round(days), 30);
    });

    it("a deregistered image and its DeleteAssociatedSnapshots go to the bin; restore snapshots, then the image", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "binned");
      const out = await ec2.send(
        new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }),
      );
      assert.deepEqual(
        out.DeleteSnapshotResults?.map((r) => r.ReturnCode),
        snapshotIds.map(() => "success"),
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
        "InvalidAMIID.NotFound",
      );
      const images = await ec2.send(new ListImagesInRecycleBinCommand({ ImageIds: [imageId] }));
      assert.equal(images.Images?.[0]?.ImageId, imageId);
      assert.equal(images.Images?.[0]?.Name, "binned");
      const snaps = await ec2.send(new ListSnapshotsInRecycleBinCommand({ SnapshotIds: snapshotIds }));
      assert.deepEqual(snaps.Snapshots?.map((s) => s.SnapshotId).sort(), [...snapshotIds].sort());
      await expectAwsError(
        ec2.send(new RestoreImageFromRecycleBinCommand({ ImageId: imageId })),
        "IncorrectState",
      );
      for (const id of snapshotIds) {
        const r = await ec2.send(new RestoreSnapshotFromRecycleBinCommand({ SnapshotId: id }));
        assert.equal(r.State, "recovering");
      }
      assert.equal(
        (await ec2.send(new RestoreImageFromRecycleBinCommand({ ImageId: imageId }))).Return,
        true,
      );
      const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      assert.equal(img?.State, "available");
      await expectAwsError(
        ec2.send(new RestoreSnapshotFromRecycleBinCommand({ SnapshotId: snapshotIds[0] })),
        "InvalidSnapshot.NotFound",
      );
    });

    it("ListImagesInRecycleBin takes at most 20 ids", async () => {
      const ec2 = ec2For(ctx.aws);
      const ids = Array.from({ length: 21 }, (_, i) => `ami-${String(i).padStart(17, "0")}`);
      await expectAwsError(
        ec2.send(new ListImagesInRecycleBinCommand({ ImageIds: ids })),
        "InvalidParameterValue",
      );
    });
  });

  it("refuses a retention outside 1-365 days at start", async () => {
    const { startLocalAws } = await import("../../local-aws");
    await assert.rejects(
      startLocalAws({ recycleBin: { snapshots: { retentionDays: 0 } } }),
      /recycleBin\.snapshots\.retentionDays/,
    );
  });
});
