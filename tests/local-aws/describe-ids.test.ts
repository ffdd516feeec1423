import assert from "node:assert/strict";
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RegisterImageCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

const UNKNOWN_A = "ami-0123456789abcdef0";
const UNKNOWN_B = "ami-0fedcba9876543210";

describe("local-aws EC2 explicit ids, id filters and creation tags", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 0 });

  it("DescribeImages with several ImageIds fails the whole call when one does not exist, naming it", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "exists");
    const one = await expectAwsError(
      ec2.send(new DescribeImagesCommand({ ImageIds: [imageId, UNKNOWN_A] })),
      "InvalidAMIID.NotFound",
    );
    assert.match(one.message, new RegExp(UNKNOWN_A));
    assert.doesNotMatch(one.message, new RegExp(imageId));
    const two = await expectAwsError(
      ec2.send(new DescribeImagesCommand({ ImageIds: [UNKNOWN_A, imageId, UNKNOWN_B] })),
      "InvalidAMIID.NotFound",
    );
    assert.match(two.message, new RegExp(`${UNKNOWN_A}.*${UNKNOWN_B}`));
    const dup = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId, imageId] }));
    assert.equal(dup.Images?.length, 1);
  });

  it("the image-id filter never fails on unknown ids", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "filtered");
    const out = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: "image-id", Values: [UNKNOWN_A, imageId, UNKNOWN_B] }] }),
    );
    assert.deepEqual(
      out.Images?.map((i) => i.ImageId),
      [imageId],
    );
    const none = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: "image-id", Values: [UNKNOWN_A] }] }),
    );
    assert.deepEqual(none.Images ?? [], []);
  });

  it("CreateImage tags image and snapshots; snapshots are described 'Created by CreateImage(i-…) for ami-…'", async () => {
    const ec2 = ec2For(ctx.aws);
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: ctx.aws.state.baseImageId("us-east-1"), MinCount: 1, MaxCount: 1 }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId as string;
    const out = await ec2.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: "tagged",
        TagSpecifications: [
          { ResourceType: "image", Tags: [{ Key: "owner", Value: "img" }] },
          { ResourceType: "snapshot", Tags: [{ Key: "owner", Value: "snap" }] },
        ],
      }),
    );
    const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId as string] })))
      .Images?.[0];
    assert.deepEqual(img?.Tags, [{ Key: "owner", Value: "img" }]);
    const snapId = img?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    const snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapId] }))).Snapshots?.[0];
    assert.deepEqual(snap?.Tags, [{ Key: "owner", Value: "snap" }]);
    assert.equal(snap?.Description, `Created by CreateImage(${instanceId}) for ${out.ImageId}`);
  });

  it("CopyImage snapshots: 'Copied for DestinationAmi … Task created on <ms with separators>.' and snapshot tags", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "copy-src");
    const out = await ec2.send(
      new CopyImageCommand({
        SourceImageId: imageId,
        SourceRegion: "us-east-1",
        Name: "copy-dst",
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "k", Value: "v" }] }],
      }),
    );
    const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId as string] })))
      .Images?.[0];
    assert.equal(img?.Tags, undefined);
    const snapId = img?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    const snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapId] }))).Snapshots?.[0];
    assert.match(
      snap?.Description ?? "",
      new RegExp(
        `^Copied for DestinationAmi ${out.ImageId} from SourceAmi ${imageId} for SourceSnapshot ${snapshotIds[0]}\\. Task created on \\d{1,3}(,\\d{3})+\\.$`,
      ),
    );
    assert.deepEqual(snap?.Tags, [{ Key: "k", Value: "v" }]);
  });

  it("RegisterImage tags the image only: a snapshot TagSpecification is refused and the snapshot is untouched", async () => {
    const ec2 = ec2For(ctx.aws);
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }));
    const snapId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId })))
      .SnapshotId as string;
    const mapping = [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snapId } }];
    await expectAwsError(
      ec2.send(
        new RegisterImageCommand({
          Name: "reg-bad",
          RootDeviceName: "/dev/xvda",
          BlockDeviceMappings: mapping,
          TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "x", Value: "y" }] }],
        }),
      ),
      "InvalidParameterValue",
    );
    const out = await ec2.send(
      new RegisterImageCommand({
        Name: "reg-ok",
        RootDeviceName: "/dev/xvda",
        BlockDeviceMappings: mapping,
        TagSpecifications: [{ ResourceType: "image", Tags: [{ Key: "x", Value: "y" }] }],
      }),
    );
    const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId as string] })))
      .Images?.[0];
    assert.deepEqual(img?.Tags, [{ Key: "x", Value: "y" }]);
    const snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapId] }))).Snapshots?.[0];
    assert.equal(snap?.Tags, undefined);
  });
});
