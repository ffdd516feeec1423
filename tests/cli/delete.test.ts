import assert from "node:assert/strict";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { LockSnapshotCommand } from "@aws-sdk/client-ec2";
import { TEST_REGION, ec2For, s3For, withLocalAws } from "../support/localAws";
import { defaultClients } from "../../cli/audit/run";
import { scan } from "../../cli/audit/scan";
import { deleteListed, dryRunDelete } from "../../cli/audit/delete";
import { createBucket, createImageOrphan, liveImage, manualSnapshot, putBundle, registerOver } from "./seed";

describe("audit --delete (local endpoint, through provider/safety.ts)", () => {
  const ctx = withLocalAws();
  const listAll = () => scan({ regions: [TEST_REGION], buckets: [], clients: defaultClients() });
  const exists = (id: string) => ctx.aws.state.snapshots.has(id);

  it("deletes exactly the listed snapshots and nothing else", async () => {
    const ec2 = ec2For(ctx.aws);
    const a = await createImageOrphan(ctx.aws, ec2, "img-a");
    const b = await createImageOrphan(ctx.aws, ec2, "img-b");
    const notListed = await createImageOrphan(ctx.aws, ec2, "img-c");
    const live = await liveImage(ctx.aws, ec2, "live");
    const manual = await manualSnapshot(ctx.aws, ec2, "mine");
    const listed = (await listAll()).orphanedSnapshots.filter((s) => s.snapshotId !== notListed.snapshotId);
    assert.equal(listed.length, 2);
    const done = await deleteListed(listed, [], defaultClients());
    assert.deepEqual(
      done.deletedSnapshots.map((s) => s.snapshotId).sort(),
      [a.snapshotId, b.snapshotId].sort(),
    );
    assert.equal(done.freedGiB, listed[0].sizeGiB + listed[1].sizeGiB);
    assert.ok(!exists(a.snapshotId) && !exists(b.snapshotId));
    assert.ok(exists(notListed.snapshotId) && exists(live.snapshotId) && exists(manual));
  });

  it("keeps a listed snapshot that an image started using between listing and deleting", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await createImageOrphan(ctx.aws, ec2, "then-used");
    const listed = (await listAll()).orphanedSnapshots;
    const user = await registerOver(ctx.aws, ec2, orphan.snapshotId, "new-user");
    const done = await deleteListed(listed, [], defaultClients());
    assert.deepEqual(done.deletedSnapshots, []);
    assert.deepEqual(
      done.keptSnapshots.map((k) => [k.snapshot.snapshotId, k.usedBy]),
      [[orphan.snapshotId, [user]]],
    );
    assert.ok(exists(orphan.snapshotId));
  });

  it("counts a listed snapshot deleted by someone else meanwhile as already gone", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "gone");
    const listed = (await listAll()).orphanedSnapshots;
    ctx.aws.state.snapshots.delete(orphan.snapshotId);
    const done = await deleteListed(listed, [], defaultClients());
    assert.deepEqual(
      done.alreadyGoneSnapshots.map((s) => s.snapshotId),
      [orphan.snapshotId],
    );
    assert.deepEqual(done.failedSnapshots, []);
  });

  it("reports a locked snapshot with its id, the cause and the fix, and still deletes the others", async () => {
    const ec2 = ec2For(ctx.aws);
    const locked = await createImageOrphan(ctx.aws, ec2, "locked");
    const free = await createImageOrphan(ctx.aws, ec2, "free");
    await ec2.send(
      new LockSnapshotCommand({ SnapshotId: locked.snapshotId, LockMode: "governance", LockDuration: 7 }),
    );
    const listed = (await listAll()).orphanedSnapshots;
    const done = await deleteListed(listed, [], defaultClients());
    assert.deepEqual(
      done.deletedSnapshots.map((s) => s.snapshotId),
      [free.snapshotId],
    );
    assert.equal(done.failedSnapshots.length, 1);
    const msg = done.failedSnapshots[0].message;
    assert.match(msg, new RegExp(locked.snapshotId));
    assert.match(msg, /lock/i);
    assert.match(msg, /unlock-snapshot/);
    assert.ok(exists(locked.snapshotId));
  });

  it("reports access denied on DeleteSnapshot with the permission to grant", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "denied");
    const listed = (await listAll()).orphanedSnapshots;
    ctx.aws.faults.inject({
      action: "DeleteSnapshot",
      code: "UnauthorizedOperation",
      status: 403,
      message: "You are not authorized to perform this operation.",
    });
    const done = await deleteListed(listed, [], defaultClients());
    assert.equal(done.failedSnapshots.length, 1);
    assert.match(done.failedSnapshots[0].message, new RegExp(`${orphan.snapshotId}.*ec2:DeleteSnapshot`));
    assert.ok(exists(orphan.snapshotId));
  });

  it("deletes exactly a listed bundle's manifest and parts, not other objects beside them", async () => {
    const s3 = s3For(ctx.aws);
    await createBucket(s3, "bundles");
    const b = await putBundle(s3, "bundles", "img/", "web", 2, 64);
    await s3.send(new PutObjectCommand({ Bucket: "bundles", Key: "img/README.txt", Body: "keep me" }));
    const found = await scan({ regions: [TEST_REGION], buckets: ["bundles"], clients: defaultClients() });
    assert.equal(found.orphanedBundles.length, 1);
    const done = await deleteListed([], found.orphanedBundles, defaultClients());
    assert.equal(done.deletedBundles.length, 1);
    assert.equal(done.freedBytes, found.orphanedBundles[0].totalBytes);
    for (const key of [b.manifestKey, ...b.partKeys]) {
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "bundles", Key: key })));
    }
    await s3.send(new HeadObjectCommand({ Bucket: "bundles", Key: "img/README.txt" }));
  });

  it("--dry-run asks DeleteSnapshot with DryRun and deletes nothing", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "dry");
    const listed = (await listAll()).orphanedSnapshots;
    ctx.aws.log.length = 0;
    const dry = await dryRunDelete(listed, [], defaultClients());
    assert.deepEqual(
      dry.permitted.map((s) => s.snapshotId),
      [orphan.snapshotId],
    );
    assert.deepEqual(dry.denied, []);
    assert.ok(exists(orphan.snapshotId));
    const calls = ctx.aws.log.filter((l) => l.action === "DeleteSnapshot");
    assert.equal(calls.length, 1);
    assert.equal(calls[0].params.DryRun, "true");
    assert.equal(calls[0].code, "DryRunOperation");
  });

  it("--dry-run reports a snapshot the caller may not delete", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "dry-denied");
    const listed = (await listAll()).orphanedSnapshots;
    ctx.aws.faults.inject({
      action: "DeleteSnapshot",
      code: "UnauthorizedOperation",
      status: 403,
      message: "not authorized",
    });
    const dry = await dryRunDelete(listed, [], defaultClients());
    assert.deepEqual(dry.permitted, []);
    assert.equal(dry.denied.length, 1);
    assert.match(dry.denied[0].message, new RegExp(orphan.snapshotId));
    assert.ok(exists(orphan.snapshotId));
  });
});
