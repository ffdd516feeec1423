import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  LockSnapshotCommand,
  RegisterImageCommand,
  UnlockSnapshotCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, withLocalAws } from "../support/localAws";

async function newSnapshot(ec2: EC2Client, description = ""): Promise<string> {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", Size: 4 }));
  return (await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId, Description: description })))
    .SnapshotId as string;
}

async function registerOn(ec2: EC2Client, name: string, snapshotId: string): Promise<string> {
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: "/dev/sda1",
      BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: snapshotId } }],
    }),
  );
  return out.ImageId as string;
}

describe("local-aws EC2 snapshots and volumes", () => {
  const ctx = withLocalAws({ snapshotInUseAfterDeregisterMs: 5000 });

  it("CreateVolume -> CreateSnapshot: pending, then completed; described with the volume's size", async () => {
    const ec2 = ec2For(ctx.aws);
    const vol = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 20,
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "k", Value: "v" }] }],
      }),
    );
    assert.equal(vol.State, "creating");
    assert.equal(vol.Size, 20);
    const vols = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }));
    assert.equal(vols.Volumes?.[0].State, "available");
    assert.deepEqual(vols.Volumes?.[0].Tags, [{ Key: "k", Value: "v" }]);
    const snap = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: vol.VolumeId,
        Description: "nightly",
        TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "a", Value: "b" }] }],
      }),
    );
    assert.equal(snap.State, "pending");
    assert.equal(snap.VolumeSize, 20);
    assert.equal(snap.Description, "nightly");
    assert.deepEqual(snap.Tags, [{ Key: "a", Value: "b" }]);
    ctx.aws.advance(3000);
    const d = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }));
    assert.equal(d.Snapshots?.[0].State, "completed");
    assert.equal(d.Snapshots?.[0].Progress, "100%");
    await ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId }));
    await expectAwsError(
      ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] })),
      "InvalidVolume.NotFound",
    );
  });

  it("CreateSnapshot / CreateVolume errors: unknown and malformed volume, bad zone, no size", async () => {
    const ec2 = ec2For(ctx.aws);
    await expectAwsError(
      ec2.send(new CreateSnapshotCommand({ VolumeId: "vol-0123456789abcdef0" })),
      "InvalidVolume.NotFound",
    );
    await expectAwsError(
      ec2.send(new CreateSnapshotCommand({ VolumeId: "vol-zz" })),
      "InvalidVolumeID.Malformed",
    );
    await expectAwsError(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "eu-west-1a", Size: 1 })),
      "InvalidParameterValue",
    );
    await expectAwsError(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a" })),
      "MissingParameter",
    );
  });

  it("DeleteSnapshot: success, then InvalidSnapshot.NotFound; malformed id", async () => {
    const ec2 = ec2For(ctx.aws);
    const id = await newSnapshot(ec2);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })),
      "InvalidSnapshot.NotFound",
      400,
    );
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-1" })),
      "InvalidSnapshotID.Malformed",
      400,
    );
  });

  it("DeleteSnapshot of a snapshot a registered image uses: InvalidSnapshot.InUse naming the image", async () => {
    const ec2 = ec2For(ctx.aws);
    const id = await newSnapshot(ec2);
    const imageId = await registerOn(ec2, "uses-it", id);
    const err = await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })),
      "InvalidSnapshot.InUse",
      400,
    );
    assert.match(err.message, new RegExp(imageId));
  });

  it("InvalidSnapshot.InUse lingers snapshotInUseAfterDeregisterMs after deregistration", async () => {
    const ec2 = ec2For(ctx.aws);
    const id = await newSnapshot(ec2);
    const imageId = await registerOn(ec2, "lingers", id);
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
    await expectAwsError(ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), "InvalidSnapshot.InUse");
    ctx.aws.advance(5000);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
  });

  it("another account cannot see, describe or delete my snapshot", async () => {
    const id = await newSnapshot(ec2For(ctx.aws));
    const other = ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId);
    await expectAwsError(
      other.send(new DeleteSnapshotCommand({ SnapshotId: id })),
      "InvalidSnapshot.NotFound",
    );
    await expectAwsError(
      other.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })),
      "InvalidSnapshot.NotFound",
    );
    assert.deepEqual((await other.send(new DescribeSnapshotsCommand({}))).Snapshots, []);
  });

  describe("snapshot locks", () => {
    it("a governance lock blocks DeleteSnapshot until unlocked", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const lock = await ec2.send(
        new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }),
      );
      assert.equal(lock.LockState, "governance");
      await expectAwsError(ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), "SnapshotLocked", 400);
      const listed = await ec2.send(new DescribeLockedSnapshotsCommand({}));
      assert.deepEqual(
        listed.Snapshots?.map((s) => [s.SnapshotId, s.LockState]),
        [[id, "governance"]],
      );
      await ec2.send(new UnlockSnapshotCommand({ SnapshotId: id }));
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    });

    it("a lock expires after its duration", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }));
      ctx.aws.advance(86400000);
      const listed = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }));
      assert.equal(listed.Snapshots?.[0].LockState, "expired");
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    });

    it("compliance: unlockable during the cooling-off period, not after", async () => {
      const ec2 = ec2For(ctx.aws);
      const a = await newSnapshot(ec2);
      const lock = await ec2.send(
        new LockSnapshotCommand({ SnapshotId: a, LockMode: "compliance", LockDuration: 2, CoolOffPeriod: 1 }),
      );
      assert.equal(lock.LockState, "compliance-cooloff");
      await ec2.send(new UnlockSnapshotCommand({ SnapshotId: a }));
      await ec2.send(
        new LockSnapshotCommand({ SnapshotId: a, LockMode: "compliance", LockDuration: 2, CoolOffPeriod: 1 }),
      );
      ctx.aws.advance(3600000);
      await expectAwsError(ec2.send(new UnlockSnapshotCommand({ SnapshotId: a })), "SnapshotLocked");
      await expectAwsError(ec2.send(new DeleteSnapshotCommand({ SnapshotId: a })), "SnapshotLocked");
    });

    it("DeregisterImage with DeleteAssociatedSnapshots reports a locked snapshot as client-error and keeps it", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const imageId = await registerOn(ec2, "locked-root", id);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }));
      const out = await ec2.send(
        new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }),
      );
      assert.deepEqual(out.DeleteSnapshotResults, [{ SnapshotId: id, ReturnCode: "client-error" }]);
      assert.equal(
        (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.length,
        1,
      );
    });

    it("rejects a bad lock mode and a missing duration", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await expectAwsError(
        ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "forever" as never, LockDuration: 1 })),
        "InvalidParameterValue",
      );
      await expectAwsError(
        ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance" })),
        "MissingParameter",
      );
    });
  });
});

describe("local-aws without DeleteAssociatedSnapshots support", () => {
  const ctx = withLocalAws({ supportsDeleteAssociatedSnapshots: false });

  it("ignores DeleteAssociatedSnapshots and omits the result set", async () => {
    const ec2 = ec2For(ctx.aws);
    const id = await newSnapshot(ec2);
    const imageId = await registerOn(ec2, "old-endpoint", id);
    const out = await ec2.send(
      new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }),
    );
    assert.equal(out.DeleteSnapshotResults, undefined);
    assert.equal((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.length, 1);
  });
});
