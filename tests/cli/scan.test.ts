import assert from "node:assert/strict";
import { CreateTagsCommand } from "@aws-sdk/client-ec2";
import { TEST_CREDENTIALS, TEST_REGION, ec2For, s3For, withLocalAws } from "../support/localAws";
import { defaultClients } from "../../cli/audit/run";
import { scan } from "../../cli/audit/scan";
import {
  copyImageOrphan,
  createBucket,
  createImageOrphan,
  liveImage,
  managedAmiOrphan,
  manualSnapshot,
  putBundle,
  registerBundle,
  registerOver,
} from "./seed";
import { PutObjectCommand } from "@aws-sdk/client-s3";

const DAY = 86_400_000;

describe("audit scan (local endpoint, real SDK)", () => {
  const ctx = withLocalAws();
  const run = (extra: Partial<Parameters<typeof scan>[0]> = {}) =>
    scan({ regions: [TEST_REGION], clients: defaultClients(), ...extra });

  it("lists a snapshot whose CreateImage AMI was deregistered, with its AMI, size and reason", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await createImageOrphan(ctx.aws, ec2, "web");
    const r = await run();
    assert.deepEqual(
      r.orphanedSnapshots.map(({ snapshotId, region, reason, imageId }) => ({
        snapshotId,
        region,
        reason,
        imageId,
      })),
      [
        {
          snapshotId: orphan.snapshotId,
          region: TEST_REGION,
          reason: "create-image-ami-gone",
          imageId: orphan.imageId,
        },
      ],
    );
    assert.equal(r.orphanedSnapshots[0].sizeGiB, ctx.aws.state.snapshots.get(orphan.snapshotId)?.volumeSize);
  });

  it("lists a CopyImage copy's snapshot once the copy is gone, but not the live source's", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await copyImageOrphan(ctx.aws, ec2, "copied");
    const r = await run();
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => [s.snapshotId, s.reason, s.imageId]),
      [[orphan.snapshotId, "copy-image-ami-gone", orphan.imageId]],
    );
  });

  it("lists a snapshot tagged as owned by a ManagedAmi whose image is gone, whatever its description", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await managedAmiOrphan(ctx.aws, ec2, "managed");
    const r = await run();
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => [s.snapshotId, s.reason, s.imageId]),
      [[orphan.snapshotId, "managed-ami-image-gone", orphan.imageId]],
    );
  });

  it("does not list the snapshots of a live image", async () => {
    const ec2 = ec2For(ctx.aws);
    await liveImage(ctx.aws, ec2, "live");
    const r = await run();
    assert.deepEqual(r.orphanedSnapshots, []);
    assert.equal(r.skipped.referenced, 1);
  });

  it("does not list a snapshot whose own AMI is gone but which a live image still uses", async () => {
    const ec2 = ec2For(ctx.aws);
    const first = await liveImage(ctx.aws, ec2, "first");
    await registerOver(ctx.aws, ec2, first.snapshotId, "second");
    const { DeregisterImageCommand } = await import("@aws-sdk/client-ec2");
    await ec2.send(new DeregisterImageCommand({ ImageId: first.imageId }));
    const r = await run();
    assert.deepEqual(r.orphanedSnapshots, []);
  });

  it("does not list a user's manual snapshots, even ones that quote an AMI in their description", async () => {
    const ec2 = ec2For(ctx.aws);
    await manualSnapshot(ctx.aws, ec2, "before the postgres 16 upgrade - keep");
    await manualSnapshot(
      ctx.aws,
      ec2,
      "note: Created by CreateImage(i-0123456789abcdef0) for ami-0123456789abcdef0",
    );
    const r = await run();
    assert.deepEqual(r.orphanedSnapshots, []);
    assert.equal(r.skipped["not-ami-storage"], 2);
  });

  it("leaves out snapshots with an --exclude-tag (exact value, or key=* for any value)", async () => {
    const ec2 = ec2For(ctx.aws);
    const kept = await createImageOrphan(ctx.aws, ec2, "kept");
    const anyValue = await createImageOrphan(ctx.aws, ec2, "any-value");
    const listed = await createImageOrphan(ctx.aws, ec2, "listed");
    await ec2.send(
      new CreateTagsCommand({ Resources: [kept.snapshotId], Tags: [{ Key: "keep", Value: "true" }] }),
    );
    await ec2.send(
      new CreateTagsCommand({
        Resources: [anyValue.snapshotId],
        Tags: [{ Key: "legal-hold", Value: "case-17" }],
      }),
    );
    await ec2.send(
      new CreateTagsCommand({ Resources: [listed.snapshotId], Tags: [{ Key: "keep", Value: "false" }] }),
    );
    const r = await run({ excludeTags: [{ key: "keep", value: "true" }, { key: "legal-hold" }] });
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => s.snapshotId),
      [listed.snapshotId],
    );
    assert.equal(r.skipped.excluded, 2);
  });

  it("with --older-than lists only orphans at least that old, and reports their age in days", async () => {
    const ec2 = ec2For(ctx.aws);
    const old = await createImageOrphan(ctx.aws, ec2, "old");
    await createImageOrphan(ctx.aws, ec2, "recent");
    const rec = ctx.aws.state.snapshots.get(old.snapshotId);
    assert.ok(rec);
    rec.startTime = Date.now() - 45 * DAY;
    const r = await run({ olderThanMs: 30 * DAY });
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => [s.snapshotId, s.ageDays]),
      [[old.snapshotId, 45]],
    );
  });

  it("dates an archived orphan by ArchivalCompleteTime, not by a later restore's LastTieringStartTime", async () => {
    const ec2 = ec2For(ctx.aws);
    const restored = await createImageOrphan(ctx.aws, ec2, "restored");
    const archived = await createImageOrphan(ctx.aws, ec2, "archived");
    const now = ctx.aws.clock.now();
    Object.assign(ctx.aws.state.snapshots.get(restored.snapshotId) ?? {}, {
      storageTier: "archive",
      archivalCompleteTime: now - 100 * DAY,
      lastTieringStartTime: now - 10 * DAY,
      lastTieringOperationStatus: "temporary-restore-completed",
    });
    Object.assign(ctx.aws.state.snapshots.get(archived.snapshotId) ?? {}, {
      storageTier: "archive",
      lastTieringStartTime: now - 30 * DAY,
    });
    const r = await run();
    const at = (id: string) => r.orphanedSnapshots.find((s) => s.snapshotId === id)?.archivedAt?.getTime();
    assert.equal(at(restored.snapshotId), now - 100 * DAY);
    assert.equal(at(archived.snapshotId), now - 30 * DAY);
  });

  it("pages DescribeImages and DescribeSnapshots with MaxResults 1000 (owner self), one call per page", async () => {
    const store = ctx.aws.state.ec2;
    const owner = ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId);
    for (let i = 0; i < 2500; i++) {
      const s = store.addSnapshot({
        region: TEST_REGION,
        ownerId: owner,
        volumeId: "vol-ffffffff",
        volumeSize: 1,
        description: "",
        encrypted: false,
      });
      s.state = "completed";
    }
    ctx.aws.log.length = 0;
    const r = await run();
    assert.equal(r.snapshotsScanned, 2500);
    const snaps = ctx.aws.log.filter((l) => l.action === "DescribeSnapshots");
    assert.equal(snaps.length, 3);
    for (const call of snaps) {
      assert.equal(call.params.MaxResults, "1000");
      assert.equal(call.params["Owner.1"], "self");
    }
    const images = ctx.aws.log.filter((l) => l.action === "DescribeImages");
    assert.equal(images.length, 1, "no orphan candidates: no confirming image pass");
    assert.equal(images[0].params.MaxResults, "1000");
    assert.equal(images[0].params["Owner.1"], "self");
  });

  it("drops a candidate whose AMI got registered while the snapshots were being read", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await createImageOrphan(ctx.aws, ec2, "raced");
    const clients = defaultClients();
    const real = clients.ec2(TEST_REGION);
    let registered = false;
    real.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === "DescribeSnapshotsCommand" && !registered) {
          registered = true;
          await registerOver(ctx.aws, ec2, orphan.snapshotId, "registered-meanwhile");
        }
        return out;
      },
      { step: "initialize", name: "registerDuringScan" },
    );
    const r = await scan({ regions: [TEST_REGION], clients: { ec2: () => real, s3: clients.s3 } });
    assert.ok(registered);
    assert.deepEqual(r.orphanedSnapshots, []);
    assert.equal(r.skipped["registered-during-scan"], 1);
  });

  it("scans every region asked for and records each orphan's region", async () => {
    const east = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "east");
    const west = await createImageOrphan(ctx.aws, ec2For(ctx.aws, "us-west-2"), "west");
    const r = await run({ regions: ["us-east-1", "us-west-2"] });
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => [s.region, s.snapshotId]),
      [
        ["us-east-1", east.snapshotId],
        ["us-west-2", west.snapshotId],
      ],
    );
  });

  describe("with --bucket", () => {
    it("lists a bundle no registered image uses (manifest, parts, total bytes) and not a registered one", async () => {
      const ec2 = ec2For(ctx.aws);
      const s3 = s3For(ctx.aws);
      await createBucket(s3, "bundles");
      const used = await putBundle(s3, "bundles", "live/", "web", 2);
      await registerBundle(ctx.aws, ec2, `bundles/${used.manifestKey}`, "web-is");
      const orphan = await putBundle(s3, "bundles", "old/", "web", 3, 2048);
      await s3.send(
        new PutObjectCommand({ Bucket: "bundles", Key: "old/unrelated.txt", Body: "x".repeat(5000) }),
      );
      const r = await run({ buckets: ["bundles"] });
      assert.equal(r.orphanedBundles.length, 1);
      const b = r.orphanedBundles[0];
      assert.equal(b.bucket, "bundles");
      assert.equal(b.region, TEST_REGION);
      assert.equal(b.manifestKey, orphan.manifestKey);
      assert.deepEqual(b.partKeys, orphan.partKeys);
      assert.deepEqual(b.missingPartKeys, []);
      assert.equal(b.totalBytes, orphan.manifestBytes + 3 * 2048);
      assert.deepEqual(r.orphanedSnapshots, []);
    });

    it("leaves out a *.manifest.xml that is not a bundle manifest, and reports it", async () => {
      const s3 = s3For(ctx.aws);
      await createBucket(s3, "misc");
      await s3.send(
        new PutObjectCommand({ Bucket: "misc", Key: "app/site.manifest.xml", Body: "<site><page/></site>" }),
      );
      const r = await run({ buckets: ["misc"] });
      assert.deepEqual(r.orphanedBundles, []);
      assert.deepEqual(r.unreadableManifests, ["misc/app/site.manifest.xml"]);
    });

    it("reports parts a manifest lists but the bucket lacks, without counting their bytes", async () => {
      const s3 = s3For(ctx.aws);
      await createBucket(s3, "partial");
      const b = await putBundle(s3, "partial", "", "img", 2, 100);
      const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
      await s3.send(new DeleteObjectCommand({ Bucket: "partial", Key: b.partKeys[1] }));
      const r = await run({ buckets: ["partial"] });
      assert.deepEqual(r.orphanedBundles[0].missingPartKeys, [b.partKeys[1]]);
      assert.equal(r.orphanedBundles[0].totalBytes, b.manifestBytes + 100);
    });
  });
});

describe("audit scan under throttling (local endpoint's token buckets)", () => {
  const ctx = withLocalAws({
    throttling: { DescribeSnapshots: { burst: 1, perSecond: 4 }, DescribeImages: { burst: 1, perSecond: 4 } },
  });

  it("finishes with the right answer, retrying RequestLimitExceeded instead of failing", async () => {
    const ec2 = ec2For(ctx.aws, TEST_REGION, TEST_CREDENTIALS.accessKeyId, 10);
    const orphan = await createImageOrphan(ctx.aws, ec2, "throttled");
    const store = ctx.aws.state.ec2;
    const owner = ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId);
    for (let i = 0; i < 3500; i++) {
      store.addSnapshot({
        region: TEST_REGION,
        ownerId: owner,
        volumeId: "vol-ffffffff",
        volumeSize: 1,
        description: "",
        encrypted: false,
      }).state = "completed";
    }
    ctx.aws.log.length = 0;
    const r = await scan({ regions: [TEST_REGION], clients: defaultClients() });
    assert.deepEqual(
      r.orphanedSnapshots.map((s) => s.snapshotId),
      [orphan.snapshotId],
    );
    assert.equal(r.snapshotsScanned, 3501);
    const throttled = ctx.aws.log.filter((l) => l.code === "RequestLimitExceeded");
    assert.ok(throttled.length > 0, "the run went through throttling");
  });
});
