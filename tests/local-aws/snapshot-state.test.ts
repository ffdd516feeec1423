import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  DescribeSnapshotsCommand,
  DisableImageCommand,
  EnableImageCommand,
  EnableImageDeregistrationProtectionCommand,
  LockSnapshotCommand,
  ModifySnapshotTierCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

const HOUR = 3600000;
const DAY = 24 * HOUR;

async function newSnapshot(ec2: EC2Client): Promise<string> {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4 }));
  return (await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }))).SnapshotId as string;
}

describe("local-aws EC2 snapshot state: locks, archive tier, sizes, error-code switch", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 0 });

  describe("DescribeLockedSnapshots", () => {
    it("reports every lock state with duration, expiry and cooling-off times, filterable by lock-state", async () => {
      const ec2 = ec2For(ctx.aws);
      const [gov, comp, cool, exp] = [
        await newSnapshot(ec2),
        await newSnapshot(ec2),
        await newSnapshot(ec2),
        await newSnapshot(ec2),
      ];
      const start = ctx.aws.clock.now();
      await ec2.send(new LockSnapshotCommand({ SnapshotId: gov, LockMode: "governance", LockDuration: 30 }));
      await ec2.send(new LockSnapshotCommand({ SnapshotId: exp, LockMode: "governance", LockDuration: 1 }));
      await ec2.send(
        new LockSnapshotCommand({
          SnapshotId: comp,
          LockMode: "compliance",
          LockDuration: 30,
          CoolOffPeriod: 1,
        }),
      );
      ctx.aws.advance(2 * HOUR);
      await ec2.send(
        new LockSnapshotCommand({
          SnapshotId: cool,
          LockMode: "compliance",
          LockDuration: 30,
          CoolOffPeriod: 24,
        }),
      );
      ctx.aws.advance(DAY);
      const all = await ec2.send(new DescribeLockedSnapshotsCommand({}));
      const byId = new Map((all.Snapshots ?? []).map((s) => [s.SnapshotId, s]));
      assert.equal(byId.get(gov)?.LockState, "governance");
      assert.equal(byId.get(comp)?.LockState, "compliance");
      assert.equal(byId.get(cool)?.LockState, "compliance", "cooling-off of 24h passed");
      assert.equal(byId.get(exp)?.LockState, "expired");
      assert.equal(byId.get(gov)?.LockDuration, 30);
      assert.ok(Math.abs((byId.get(gov)?.LockExpiresOn?.getTime() ?? 0) - (start + 30 * DAY)) < 5000);
      assert.ok(byId.get(comp)?.CoolOffPeriodExpiresOn instanceof Date);
      const compliance = await ec2.send(
        new DescribeLockedSnapshotsCommand({ Filters: [{ Name: "lock-state", Values: ["compliance"] }] }),
      );
      assert.deepEqual(compliance.Snapshots?.map((s) => s.SnapshotId).sort(), [comp, cool].sort());
    });

    it("compliance-cooloff while the cooling-off period runs", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await ec2.send(
        new LockSnapshotCommand({
          SnapshotId: id,
          LockMode: "compliance",
          LockDuration: 3,
          CoolOffPeriod: 2,
        }),
      );
      const out = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }));
      assert.equal(out.Snapshots?.[0].LockState, "compliance-cooloff");
      assert.equal(out.Snapshots?.[0].CoolOffPeriod, 2);
    });
  });

  describe("storage tier", () => {
    it("archives only when every image using the snapshot is disabled; records the tiering start", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "to-archive");
      const snap = snapshotIds[0];
      await expectAwsError(
        ec2.send(new ModifySnapshotTierCommand({ SnapshotId: snap, StorageTier: "archive" })),
        "IncorrectState",
      );
      await ec2.send(new DisableImageCommand({ ImageId: imageId }));
      const at = ctx.aws.clock.now();
      const out = await ec2.send(new ModifySnapshotTierCommand({ SnapshotId: snap, StorageTier: "archive" }));
      assert.equal(out.SnapshotId, snap);
      assert.ok(Math.abs((out.TieringStartTime?.getTime() ?? 0) - at) < 2000);
      const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap] }));
      assert.equal(described.Snapshots?.[0].StorageTier, "archive");
      const archived = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: [{ Name: "storage-tier", Values: ["archive"] }],
        }),
      );
      assert.deepEqual(
        archived.Snapshots?.map((s) => s.SnapshotId),
        [snap],
      );
      const status = await ec2.send(
        new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: "snapshot-id", Values: [snap] }] }),
      );
      assert.equal(status.SnapshotTierStatuses?.[0].StorageTier, "archive");
      assert.equal(
        status.SnapshotTierStatuses?.[0].LastTieringStartTime?.getTime(),
        out.TieringStartTime?.getTime(),
      );
      await expectAwsError(ec2.send(new EnableImageCommand({ ImageId: imageId })), "IncorrectState");
      await expectAwsError(
        ec2.send(new ModifySnapshotTierCommand({ SnapshotId: snap, StorageTier: "archive" })),
        "IncorrectState",
      );
    });

    it("StorageTier, LastTieringStartTime and FullSnapshotSizeInBytes are seedable on the state", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const plain = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0];
      assert.equal(plain?.StorageTier, "standard");
      assert.equal(plain?.FullSnapshotSizeInBytes, undefined);
      const rec = ctx.aws.state.snapshots.get(id);
      assert.ok(rec);
      rec.storageTier = "archive";
      rec.lastTieringStartTime = ctx.aws.clock.now() - 10 * DAY;
      rec.fullSnapshotSizeInBytes = 1234567890;
      const seeded = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0];
      assert.equal(seeded?.StorageTier, "archive");
      assert.equal(seeded?.FullSnapshotSizeInBytes, 1234567890);
    });

    it("ArchivalCompleteTime and LastTieringOperationStatus are seedable, for an archive followed by a restore", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const rec = ctx.aws.state.snapshots.get(id);
      assert.ok(rec);
      const now = ctx.aws.clock.now();
      Object.assign(rec, {
        storageTier: "archive",
        archivalCompleteTime: now - 100 * DAY,
        lastTieringStartTime: now - 10 * DAY,
        lastTieringOperationStatus: "temporary-restore-completed",
      });
      const tier = async (Name: string, Values: string[]) =>
        (await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name, Values }] })))
          .SnapshotTierStatuses ?? [];
      const [status] = await tier("snapshot-id", [id]);
      assert.equal(status.ArchivalCompleteTime?.getTime(), now - 100 * DAY);
      assert.equal(status.LastTieringStartTime?.getTime(), now - 10 * DAY);
      assert.equal(status.LastTieringOperationStatus, "temporary-restore-completed");
      assert.deepEqual(
        (await tier("last-tiering-operation", ["temporary-restore-completed"])).map((s) => s.SnapshotId),
        [id],
      );
    });
  });

  describe("DescribeSnapshots parameters", () => {
    it("refuses MaxResults together with SnapshotIds (InvalidParameterCombination)", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      await expectAwsError(
        ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id], MaxResults: 5 })),
        "InvalidParameterCombination",
      );
    });

    it("the snapshot-id filter never fails on unknown ids", async () => {
      const ec2 = ec2For(ctx.aws);
      const id = await newSnapshot(ec2);
      const out = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: [{ Name: "snapshot-id", Values: [id, "snap-0123456789abcdef0"] }],
        }),
      );
      assert.deepEqual(
        out.Snapshots?.map((s) => s.SnapshotId),
        [id],
      );
    });
  });

  describe("errorCodes switch", () => {
    it("aws-documented (default): OperationNotPermitted and SnapshotLocked", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "codes-default");
      await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "OperationNotPermitted",
      );
      const id = await newSnapshot(ec2);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }));
      await expectAwsError(ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), "SnapshotLocked");
    });

    it("alternate: different codes with neutral messages, and nothing is deleted", async () => {
      const ec2 = ec2For(ctx.aws);
      ctx.aws.state.ec2.settings.errorCodes = "alternate";
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "codes-alternate");
      await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      const e1 = await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "UnauthorizedOperation",
        403,
      );
      assert.doesNotMatch(e1.message, /protect/i);
      const id = await newSnapshot(ec2);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }));
      const e2 = await expectAwsError(
        ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })),
        "InvalidParameterValue",
      );
      assert.doesNotMatch(e2.message, /lock/i);
      assert.equal(ctx.aws.state.images.get(imageId)?.state, "available");
      assert.ok(ctx.aws.state.snapshots.has(id));
    });
  });
});
