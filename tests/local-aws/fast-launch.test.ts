import assert from "node:assert/strict";
import {
  DescribeFastLaunchImagesCommand,
  DescribeSnapshotsCommand,
  DisableFastLaunchCommand,
  EnableFastLaunchCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

async function fastLaunchSnapshots(ec2: EC2Client): Promise<{ id: string; description?: string }[]> {
  const out = await ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ["self"],
      Filters: [{ Name: "tag:CreatedBy", Values: ["EC2 Fast Launch"] }],
    }),
  );
  return (out.Snapshots ?? []).map((s) => ({ id: s.SnapshotId as string, description: s.Description }));
}

describe("local-aws EC2 fast launch", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 0, fastLaunchTransitionMs: 10000 });

  it("enabling -> enabled on the clock, with TargetResourceCount pre-provisioned snapshots", async () => {
    const ec2 = ec2For(ctx.aws);
    const account = ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE");
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "windows");
    const out = await ec2.send(
      new EnableFastLaunchCommand({
        ImageId: imageId,
        ResourceType: "snapshot",
        SnapshotConfiguration: { TargetResourceCount: 3 },
        MaxParallelLaunches: 6,
        LaunchTemplate: { LaunchTemplateName: "fl-template", Version: "2" },
      }),
    );
    assert.deepEqual(out.LaunchTemplate, { LaunchTemplateName: "fl-template", Version: "2" });
    assert.equal(out.State, "enabling");
    assert.equal(out.ImageId, imageId);
    assert.equal(out.OwnerId, account);
    assert.equal(out.SnapshotConfiguration?.TargetResourceCount, 3);
    assert.deepEqual(await fastLaunchSnapshots(ec2), []);
    ctx.aws.advance(10000);
    const described = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }));
    assert.equal(described.FastLaunchImages?.length, 1);
    assert.equal(described.FastLaunchImages?.[0].State, "enabled");
    assert.equal(described.FastLaunchImages?.[0].MaxParallelLaunches, 6);
    const snaps = await fastLaunchSnapshots(ec2);
    assert.equal(snaps.length, 3);
    for (const s of snaps) assert.equal(s.description, `This is Fast Launch snapshot for image ${imageId}`);
  });

  it("disabling -> gone on the clock, and the pre-provisioned snapshots are cleaned up", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "windows-off");
    await ec2.send(new EnableFastLaunchCommand({ ImageId: imageId }));
    ctx.aws.advance(10000);
    assert.equal((await fastLaunchSnapshots(ec2)).length, 5, "default TargetResourceCount is 5");
    const off = await ec2.send(new DisableFastLaunchCommand({ ImageId: imageId }));
    assert.equal(off.State, "disabling");
    const during = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }));
    assert.equal(during.FastLaunchImages?.[0].State, "disabling");
    await expectAwsError(ec2.send(new EnableFastLaunchCommand({ ImageId: imageId })), "IncorrectState");
    ctx.aws.advance(10000);
    const after = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }));
    assert.deepEqual(after.FastLaunchImages ?? [], []);
    assert.deepEqual(await fastLaunchSnapshots(ec2), []);
    await expectAwsError(
      ec2.send(new DisableFastLaunchCommand({ ImageId: imageId })),
      "InvalidParameterValue",
    );
  });

  it("filters by state and validates its inputs", async () => {
    const ec2 = ec2For(ctx.aws);
    const a = await seedEbsImage(ctx.aws, ec2, "fl-a");
    const b = await seedEbsImage(ctx.aws, ec2, "fl-b");
    await ec2.send(new EnableFastLaunchCommand({ ImageId: a.imageId }));
    ctx.aws.advance(10000);
    await ec2.send(new EnableFastLaunchCommand({ ImageId: b.imageId }));
    const enabling = await ec2.send(
      new DescribeFastLaunchImagesCommand({ Filters: [{ Name: "state", Values: ["enabling"] }] }),
    );
    assert.deepEqual(
      enabling.FastLaunchImages?.map((f) => f.ImageId),
      [b.imageId],
    );
    await expectAwsError(
      ec2.send(new EnableFastLaunchCommand({ ImageId: a.imageId, MaxParallelLaunches: 2 })),
      "InvalidParameterValue",
    );
    await expectAwsError(
      ec2.send(new EnableFastLaunchCommand({ ImageId: "ami-0123456789abcdef0" })),
      "InvalidAMIID.NotFound",
    );
  });
});
