import assert from "node:assert/strict";
import {
  CopyImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

async function ownImageIds(ec2: EC2Client, extra: { IncludeDisabled?: boolean } = {}): Promise<string[]> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ["self"], ...extra }));
  return (out.Images ?? []).map((i) => i.ImageId as string);
}

describe("local-aws EC2 image lifecycle: disable, deprecate, last launched", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 1000 });

  describe("DisableImage / EnableImage", () => {
    it("disabled images are hidden unless IncludeDisabled, and read State=disabled by explicit id", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "to-disable");
      const out = await ec2.send(new DisableImageCommand({ ImageId: imageId }));
      assert.equal(out.Return, true);
      assert.deepEqual(await ownImageIds(ec2), []);
      assert.deepEqual(await ownImageIds(ec2, { IncludeDisabled: true }), [imageId]);
      const byId = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      assert.equal(byId.Images?.[0]?.State, "disabled");
      await ec2.send(new EnableImageCommand({ ImageId: imageId }));
      assert.deepEqual(await ownImageIds(ec2), [imageId]);
      assert.equal(
        (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.State,
        "available",
      );
    });

    it("a disabled image's snapshots are still in use; it can still be deregistered", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "disabled-snaps");
      await ec2.send(new DisableImageCommand({ ImageId: imageId }));
      const err = await expectAwsError(
        ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotIds[0] })),
        "InvalidSnapshot.InUse",
        400,
      );
      assert.match(err.message, new RegExp(imageId));
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotIds[0] }));
    });

    it("disabling makes the image private; enabling does not restore the sharing", async () => {
      const ec2 = ec2For(ctx.aws);
      const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
      const otherAccount = ctx.aws.state.accountIdFor(OTHER_CREDENTIALS.accessKeyId);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "shared-then-disabled");
      await ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ UserId: otherAccount }, { Group: "all" }] },
        }),
      );
      assert.equal((await other.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.length, 1);
      await ec2.send(new DisableImageCommand({ ImageId: imageId }));
      await ec2.send(new EnableImageCommand({ ImageId: imageId }));
      await expectAwsError(
        other.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
        "InvalidAMIID.NotFound",
      );
      const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      assert.equal(img?.Public, false);
    });

    it("RunInstances and CopyImage refuse a disabled image", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "no-launch");
      await ec2.send(new DisableImageCommand({ ImageId: imageId }));
      await expectAwsError(
        ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })),
        "InvalidAMIID.Unavailable",
      );
      await expectAwsError(
        ec2.send(new CopyImageCommand({ SourceImageId: imageId, SourceRegion: "us-east-1", Name: "copy" })),
        "IncorrectState",
      );
    });

    it("only the owner can disable or enable; a pending image cannot be disabled", async () => {
      const ec2 = ec2For(ctx.aws);
      const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
      const base = ctx.aws.state.baseImageId("us-east-1");
      await expectAwsError(other.send(new DisableImageCommand({ ImageId: base })), "AuthFailure");
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "owned");
      await expectAwsError(
        other.send(new DisableImageCommand({ ImageId: imageId })),
        "InvalidAMIID.NotFound",
      );
      const run = await ec2.send(new RunInstancesCommand({ ImageId: base, MinCount: 1, MaxCount: 1 }));
      const { CreateImageCommand } = await import("@aws-sdk/client-ec2");
      const pending = await ec2.send(
        new CreateImageCommand({ InstanceId: run.Instances?.[0]?.InstanceId, Name: "pending-one" }),
      );
      await expectAwsError(ec2.send(new DisableImageCommand({ ImageId: pending.ImageId })), "IncorrectState");
      await expectAwsError(
        ec2.send(new DisableImageCommand({ ImageId: imageId, DryRun: true })),
        "DryRunOperation",
        412,
      );
      assert.equal(ctx.aws.state.images.get(imageId)?.state, "available");
    });
  });

  describe("EnableImageDeprecation / DisableImageDeprecation", () => {
    it("sets DeprecationTime rounded to the minute and clears it", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "deprecating");
      const at = new Date(Math.floor(ctx.aws.clock.now() / 60000) * 60000 + 2 * 86400000 + 40000);
      const out = await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: at }));
      assert.equal(out.Return, true);
      const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      const expected = new Date(Math.round(at.getTime() / 60000) * 60000).toISOString();
      assert.equal(img?.DeprecationTime, expected);
      assert.notEqual(expected, at.toISOString());
      await ec2.send(new DisableImageDeprecationCommand({ ImageId: imageId }));
      const after = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      assert.equal(after?.DeprecationTime, undefined);
    });

    it("refuses a past date and a missing one, before changing anything", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "past");
      const err = await expectAwsError(
        ec2.send(
          new EnableImageDeprecationCommand({
            ImageId: imageId,
            DeprecateAt: new Date(ctx.aws.clock.now() - 3600000),
          }),
        ),
        "InvalidParameterValue",
      );
      assert.match(err.message, /past/);
      assert.equal(ctx.aws.state.images.get(imageId)?.deprecationTime, undefined);
    });

    it("a deprecated image of another account is hidden unless IncludeDeprecated; the owner always sees it", async () => {
      const ec2 = ec2For(ctx.aws);
      const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "public-deprecated");
      await ec2.send(
        new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: "all" }] } }),
      );
      await ec2.send(
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date(ctx.aws.clock.now() + 3600000),
        }),
      );
      const list = async (c: EC2Client, inc?: boolean) =>
        (
          (
            await c.send(
              new DescribeImagesCommand({
                Owners: [ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE")],
                IncludeDeprecated: inc,
              }),
            )
          ).Images ?? []
        ).map((i) => i.ImageId);
      assert.deepEqual(await list(other), [imageId], "not deprecated yet");
      ctx.aws.advance(2 * 3600000);
      assert.deepEqual(await list(other), []);
      assert.deepEqual(await list(other, true), [imageId]);
      assert.deepEqual(await list(ec2), [imageId]);
    });
  });

  describe("lastLaunchedTime", () => {
    it("DescribeImageAttribute lastLaunchedTime is empty until RunInstances, then the launch time", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "launched");
      const before = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "lastLaunchedTime" }),
      );
      assert.equal(before.LastLaunchedTime?.Value, undefined);
      ctx.aws.advance(5000);
      const launchAt = ctx.aws.clock.now();
      await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
      const after = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "lastLaunchedTime" }),
      );
      const t = Date.parse(after.LastLaunchedTime?.Value as string);
      assert.ok(Math.abs(t - launchAt) < 2000, `lastLaunchedTime ${after.LastLaunchedTime?.Value}`);
      const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      assert.equal(img?.LastLaunchedTime, after.LastLaunchedTime?.Value);
    });

    it("is seedable on the state", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "seeded-launch");
      const img = ctx.aws.state.images.get(imageId);
      assert.ok(img);
      img.lastLaunchedTime = Date.parse("2024-01-02T03:04:05.000Z");
      const out = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "lastLaunchedTime" }),
      );
      assert.equal(out.LastLaunchedTime?.Value, "2024-01-02T03:04:05.000Z");
    });
  });
});
