import assert from "node:assert/strict";
import {
  CreateImageCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

describe("local-aws EC2 instances and tags", () => {
  const ctx = withLocalAws();

  it("RunInstances from the public base image: pending, then running, with an attached root volume", async () => {
    const ec2 = ec2For(ctx.aws);
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: ctx.aws.state.baseImageId("us-east-1"),
        MinCount: 2,
        MaxCount: 2,
        InstanceType: "t3.micro",
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "web" }] }],
      }),
    );
    assert.equal(run.Instances?.length, 2);
    assert.deepEqual(run.Instances?.[0].State, { Code: 0, Name: "pending" });
    const ids = run.Instances!.map((i) => i.InstanceId!);
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const insts = d.Reservations!.flatMap((r) => r.Instances ?? []);
    assert.deepEqual(
      insts.map((i) => i.State?.Name),
      ["running", "running"],
    );
    assert.equal(insts[0].InstanceType, "t3.micro");
    assert.deepEqual(insts[0].Tags, [{ Key: "Name", Value: "web" }]);
    const volId = insts[0].BlockDeviceMappings?.[0].Ebs?.VolumeId as string;
    const vols = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volId] }));
    assert.equal(vols.Volumes?.[0].Attachments?.[0].InstanceId, ids[0]);
  });

  it("TerminateInstances: shutting-down, then terminated; deletes delete-on-termination volumes", async () => {
    const ec2 = ec2For(ctx.aws);
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: ctx.aws.state.baseImageId("us-east-1"), MinCount: 1, MaxCount: 1 }),
    );
    const id = run.Instances![0].InstanceId!;
    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(out.TerminatingInstances?.[0].CurrentState, { Code: 32, Name: "shutting-down" });
    const d = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["terminated"] }] }),
    );
    assert.deepEqual(
      d.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)),
      [id],
    );
    assert.deepEqual((await ec2.send(new DescribeVolumesCommand({}))).Volumes, []);
  });

  it("answers InvalidInstanceID.NotFound / .Malformed and InvalidAMIID.NotFound for RunInstances", async () => {
    const ec2 = ec2For(ctx.aws);
    await expectAwsError(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
      "InvalidInstanceID.NotFound",
    );
    await expectAwsError(
      ec2.send(new TerminateInstancesCommand({ InstanceIds: ["i-12"] })),
      "InvalidInstanceID.Malformed",
    );
    await expectAwsError(
      ec2.send(new RunInstancesCommand({ ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1 })),
      "InvalidAMIID.NotFound",
    );
  });

  it("another account's instances are invisible", async () => {
    const run = await ec2For(ctx.aws).send(
      new RunInstancesCommand({ ImageId: ctx.aws.state.baseImageId("us-east-1"), MinCount: 1, MaxCount: 1 }),
    );
    const other = ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId);
    await expectAwsError(
      other.send(new DescribeInstancesCommand({ InstanceIds: [run.Instances![0].InstanceId!] })),
      "InvalidInstanceID.NotFound",
    );
  });

  describe("CreateTags / DeleteTags", () => {
    it("tags and untags images, snapshots, instances and volumes in one call", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds, instanceId } = await seedEbsImage(ctx.aws, ec2, "tag-me");
      const volumeId = ctx.aws.state.instances.get(instanceId)!.volumes[0].volumeId;
      const ids = [imageId, snapshotIds[0], instanceId, volumeId];
      await ec2.send(
        new CreateTagsCommand({
          Resources: ids,
          Tags: [
            { Key: "env", Value: "prod" },
            { Key: "x", Value: "1" },
          ],
        }),
      );
      const img = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      assert.deepEqual(img.Images?.[0].Tags, [
        { Key: "env", Value: "prod" },
        { Key: "x", Value: "1" },
      ]);
      await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: "env", Value: "dev" }] }));
      await ec2.send(new DeleteTagsCommand({ Resources: ids, Tags: [{ Key: "x" }] }));
      await ec2.send(
        new DeleteTagsCommand({ Resources: [imageId], Tags: [{ Key: "env", Value: "not-the-value" }] }),
      );
      assert.deepEqual(
        (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0].Tags,
        [{ Key: "env", Value: "dev" }],
      );
      const snap = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotIds[0]] }));
      assert.deepEqual(snap.Snapshots?.[0].Tags, [{ Key: "env", Value: "prod" }]);
      const inst = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: "tag:env", Values: ["prod"] }] }),
      );
      assert.equal(inst.Reservations?.[0].Instances?.[0].InstanceId, instanceId);
      const vol = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      assert.deepEqual(vol.Volumes?.[0].Tags, [{ Key: "env", Value: "prod" }]);
    });

    it("rejects unknown resources, aws: keys, over-long keys and more than 50 tags", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "tag-errors");
      await expectAwsError(
        ec2.send(
          new CreateTagsCommand({ Resources: ["ami-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] }),
        ),
        "InvalidAMIID.NotFound",
      );
      await expectAwsError(
        ec2.send(
          new CreateTagsCommand({ Resources: ["snap-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] }),
        ),
        "InvalidSnapshot.NotFound",
      );
      await expectAwsError(
        ec2.send(new CreateTagsCommand({ Resources: ["bogus-1"], Tags: [{ Key: "a", Value: "b" }] })),
        "InvalidID",
      );
      await expectAwsError(
        ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: "aws:x", Value: "b" }] })),
        "InvalidParameterValue",
      );
      await expectAwsError(
        ec2.send(
          new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: "k".repeat(129), Value: "b" }] }),
        ),
        "InvalidParameterValue",
      );
      const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
      await expectAwsError(
        ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: many })),
        "TagLimitExceeded",
      );
      await expectAwsError(
        ec2.send(
          new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: "a", Value: "b" }], DryRun: true }),
        ),
        "DryRunOperation",
        412,
      );
      assert.equal(
        (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0].Tags,
        undefined,
      );
    });

    it("rejects a TagSpecification resource type the action does not create", async () => {
      const ec2 = ec2For(ctx.aws);
      const { instanceId } = await seedEbsImage(ctx.aws, ec2, "spec");
      await expectAwsError(
        ec2.send(
          new CreateImageCommand({
            InstanceId: instanceId,
            Name: "bad-spec",
            TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "a", Value: "b" }] }],
          }),
        ),
        "InvalidParameterValue",
      );
    });
  });
});
