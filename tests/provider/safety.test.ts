// "Safe to delete" (shared with `managed-ami audit --delete`) against local-aws with the real SDK.
import assert from "node:assert/strict";
import { DeregisterImageCommand, LockSnapshotCommand } from "@aws-sdk/client-ec2";
import {
  deleteBundleSafely,
  deleteSnapshotSafely,
  imagesUsingManifest,
  imagesUsingSnapshot,
  StorageDeleteError,
} from "../../provider/safety";
import {
  listKeys,
  makeSnapshot,
  putBundle,
  registerBundle,
  registerEbs,
  startEnv,
  type Env,
} from "./teardownFixtures";

async function rejectsWith(
  p: Promise<unknown>,
  reason: StorageDeleteError["reason"],
  ...needles: string[]
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StorageDeleteError, String(err));
    assert.equal(err.reason, reason);
    for (const n of needles) assert.ok(err.message.includes(n), `message lacks ${n}: ${err.message}`);
    return true;
  });
}

describe("safety", () => {
  let env: Env;
  afterEach(async () => env && (await env.stop()));

  describe("deleteSnapshotSafely", () => {
    it("deletes an unreferenced snapshot", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      assert.deepEqual(await deleteSnapshotSafely(env.ec2, snap), { snapshotId: snap, outcome: "deleted" });
      assert.equal(env.aws.state.snapshots.has(snap), false);
    });

    it("reports a snapshot that is already gone as success", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      await deleteSnapshotSafely(env.ec2, snap);
      assert.deepEqual(await deleteSnapshotSafely(env.ec2, snap), {
        snapshotId: snap,
        outcome: "already-gone",
      });
    });

    it("never deletes a snapshot a registered image references, and names the image", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      const image = await registerEbs(env.ec2, [snap]);
      const from = env.aws.log.length;
      assert.deepEqual(await deleteSnapshotSafely(env.ec2, snap), {
        snapshotId: snap,
        outcome: "in-use",
        usedBy: [image],
      });
      assert.equal(env.aws.state.snapshots.has(snap), true);
      assert.equal(
        env.aws.log.slice(from).some((e) => e.action === "DeleteSnapshot"),
        false,
        "no DeleteSnapshot may be sent",
      );
    });

    it("ignores only the listed images (our own, just deregistered)", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      const ours = await registerEbs(env.ec2, [snap]);
      const theirs = await registerEbs(env.ec2, [snap]);
      const out = await deleteSnapshotSafely(env.ec2, snap, { ignoreImageIds: [ours] });
      assert.deepEqual(out, { snapshotId: snap, outcome: "in-use", usedBy: [theirs] });
    });

    it("does not count deregistered images as users", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      const image = await registerEbs(env.ec2, [snap]);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: image }));
      assert.deepEqual(await imagesUsingSnapshot(env.ec2, snap), []);
      assert.equal((await deleteSnapshotSafely(env.ec2, snap)).outcome, "deleted");
    });

    it("retries InvalidSnapshot.InUse while deregistration settles, without real waiting", async () => {
      env = await startEnv({ snapshotInUseAfterDeregisterMs: 30_000 });
      const snap = await makeSnapshot(env.ec2);
      const image = await registerEbs(env.ec2, [snap]);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: image }));
      const started = Date.now();
      const out = await deleteSnapshotSafely(env.ec2, snap, { ignoreImageIds: [image], clock: env.clock });
      assert.equal(out.outcome, "deleted");
      assert.ok(env.clock.slept >= 30_000, `slept ${env.clock.slept}`);
      assert.ok(Date.now() - started < 5_000);
    });

    it("gives up on a lingering InUse after the bound with a timeout error naming the snapshot", async () => {
      env = await startEnv({ snapshotInUseAfterDeregisterMs: 3_600_000 });
      const snap = await makeSnapshot(env.ec2);
      const image = await registerEbs(env.ec2, [snap]);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: image }));
      await rejectsWith(
        deleteSnapshotSafely(env.ec2, snap, {
          ignoreImageIds: [image],
          clock: env.clock,
          inUseTimeoutMs: 60_000,
        }),
        "timeout",
        `snapshot ${snap}`,
        "InvalidSnapshot.InUse",
      );
      assert.ok(env.clock.slept <= 60_000);
      assert.equal(env.aws.state.snapshots.has(snap), true);
    });

    it("InUse with no registered user (AWS lagging) is never read from the message: it fails so a re-run resumes", async () => {
      env = await startEnv({ snapshotInUseAfterDeregisterMs: 3_600_000 });
      const snap = await makeSnapshot(env.ec2);
      const image = await registerEbs(env.ec2, [snap]);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: image }));
      await rejectsWith(
        deleteSnapshotSafely(env.ec2, snap, { clock: env.clock, inUseTimeoutMs: 0 }),
        "timeout",
        "InvalidSnapshot.InUse",
        "run destroy again",
      );
      assert.equal(env.aws.state.snapshots.has(snap), true);
    });

    it("a locked snapshot throws a lock error with the fix", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      await env.ec2.send(
        new LockSnapshotCommand({ SnapshotId: snap, LockMode: "governance", LockDuration: 1 }),
      );
      const from = env.aws.log.length;
      await rejectsWith(
        deleteSnapshotSafely(env.ec2, snap),
        "locked",
        `snapshot ${snap}`,
        "governance mode until",
        "unlock-snapshot",
      );
      assert.equal(env.aws.state.snapshots.has(snap), true);
      assert.equal(
        env.aws.log.slice(from).filter((e) => e.action === "DeleteSnapshot").length,
        0,
        "a locked snapshot is not attempted",
      );
    });

    it("a denied DeleteSnapshot throws naming the permission", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      env.aws.faults.inject({
        action: "DeleteSnapshot",
        code: "UnauthorizedOperation",
        status: 403,
        times: 1,
      });
      await rejectsWith(deleteSnapshotSafely(env.ec2, snap), "access-denied", "ec2:DeleteSnapshot");
    });

    it("a denied reference check throws and deletes nothing", async () => {
      env = await startEnv();
      const snap = await makeSnapshot(env.ec2);
      env.aws.faults.inject({
        action: "DescribeImages",
        code: "UnauthorizedOperation",
        status: 403,
        times: 1,
      });
      await rejectsWith(deleteSnapshotSafely(env.ec2, snap), "access-denied", "ec2:DescribeImages");
      assert.equal(env.aws.state.snapshots.has(snap), true);
    });
  });

  describe("deleteBundleSafely", () => {
    it("deletes exactly the recorded keys; other objects under the same prefix survive", async () => {
      env = await startEnv();
      const bundle = await putBundle(env.s3, "bkt-1", "img/", "a", 3);
      const other = await putBundle(env.s3, "bkt-1", "img/", "a-other", 1);
      const out = await deleteBundleSafely(env.ec2, env.s3, bundle);
      assert.equal(out.outcome, "deleted");
      assert.deepEqual(out.deletedKeys.sort(), [bundle.manifestKey, ...bundle.partKeys].sort());
      assert.deepEqual(await listKeys(env.s3, "bkt-1"), [other.manifestKey, ...other.partKeys].sort());
    });

    it("leaves a bundle a registered image uses, naming it", async () => {
      env = await startEnv();
      const bundle = await putBundle(env.s3, "bkt-2", "", "root", 2);
      const image = await registerBundle(env.ec2, bundle);
      assert.deepEqual(await imagesUsingManifest(env.ec2, "bkt-2/root.manifest.xml"), [image]);
      const out = await deleteBundleSafely(env.ec2, env.s3, bundle);
      assert.deepEqual(out.usedBy, [image]);
      assert.equal(out.outcome, "in-use");
      assert.equal((await listKeys(env.s3, "bkt-2")).length, 3);
    });

    it("keys already gone count as deleted", async () => {
      env = await startEnv();
      const bundle = await putBundle(env.s3, "bkt-3", "x/", "x", 2);
      await deleteBundleSafely(env.ec2, env.s3, bundle);
      assert.equal((await deleteBundleSafely(env.ec2, env.s3, bundle)).outcome, "deleted");
    });

    it("a denied DeleteObjects throws naming the key and the permission", async () => {
      env = await startEnv();
      const bundle = await putBundle(env.s3, "bkt-4", "y/", "y", 1);
      env.aws.faults.inject({ action: "DeleteObjects", code: "AccessDenied", status: 403, times: 1 });
      await assert.rejects(deleteBundleSafely(env.ec2, env.s3, bundle), (err: unknown) => {
        assert.ok(err instanceof AggregateError);
        assert.equal(err.errors.length, 2);
        assert.match(err.message, /s3:\/\/bkt-4\/y\/y\.manifest\.xml: access denied/);
        assert.match(err.message, /s3:DeleteObject/);
        return true;
      });
      assert.equal((await listKeys(env.s3, "bkt-4")).length, 2);
    });
  });
});
