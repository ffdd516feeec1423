// The delete plan (spec "delete — the heart") against local-aws with the real SDK: each step,
// each safety invariant, and resumption after an interruption at every call.
import assert from "node:assert/strict";
import {
  DeregisterImageCommand,
  DescribeImagesCommand,
  EnableImageDeregistrationProtectionCommand,
  LockSnapshotCommand,
  UnlockSnapshotCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { storageStillExists, teardown, TeardownError } from "../../provider/teardown";
import type { ManagedAmiOutputs } from "../../provider/types";
import {
  callsSince,
  ebsAmi,
  listKeys,
  makeSnapshot,
  outputsFor,
  putBundle,
  registerBundle,
  registerEbs,
  startEnv,
  type Env,
  teardownDeps,
} from "./teardownFixtures";

type Send = EC2Client["send"];

/** A client whose `send` passes through to `real` but lets a test intercept calls by number. */
function interposed(
  real: EC2Client,
  intercept: (n: number, command: unknown, next: () => Promise<unknown>) => Promise<unknown>,
): Pick<EC2Client, "send"> {
  let n = 0;
  return {
    send: ((command: unknown) =>
      intercept(++n, command, () => (real.send as (c: unknown) => Promise<unknown>)(command))) as Send,
  };
}

const deps = teardownDeps;

function snapshotsLeft(env: Env, ids: string[]): string[] {
  return ids.filter((id) => env.aws.state.snapshots.has(id));
}

function imageState(env: Env, imageId: string): string | undefined {
  return env.aws.state.images.get(imageId)?.state;
}

async function expectTeardownError(
  p: Promise<unknown>,
  ...needles: (string | RegExp)[]
): Promise<TeardownError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TeardownError, `expected a TeardownError, got ${String(err)}`);
    for (const n of needles) {
      if (typeof n === "string")
        assert.ok(err.message.includes(n), `message lacks ${JSON.stringify(n)}:\n${err.message}`);
      else assert.match(err.message, n);
    }
    return err;
  }
  assert.fail("teardown should have failed");
}

describe("teardown", function () {
  let env: Env;
  afterEach(async () => env && (await env.stop()));

  describe("EBS-backed", () => {
    beforeEach(async () => (env = await startEnv()));

    it("reads state, deregisters the image and deletes its snapshots in 7 calls by id list (the in-use guard included), leaving foreign snapshots alone", async () => {
      const foreign = await makeSnapshot(env.ec2);
      const out = await ebsAmi(env, 3);
      const from = env.aws.log.length;
      const result = await teardown(out, deps(env));
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
      assert.ok(env.aws.state.snapshots.has(foreign), "a snapshot not recorded must survive");
      const calls = callsSince(env, from);
      assert.deepEqual(calls, [
        "DescribeImages",
        "DescribeImageReferences",
        "DescribeFastLaunchImages",
        "DescribeSnapshots",
        "DescribeLockedSnapshots",
        "DeregisterImage",
        "ListSnapshotsInRecycleBin",
      ]);
      assert.equal(
        env.aws.log.slice(from).find((e) => e.action === "DeregisterImage")?.params.DeleteAssociatedSnapshots,
        "true",
      );
      assert.equal(result.image, "deregistered");
      assert.deepEqual(
        result.snapshots.map((s) => s.outcome),
        ["deleted", "deleted", "deleted"],
      );
      assert.equal(result.deleteSnapshotResults?.length, 3);
    });

    it("keeps a snapshot another registered AMI uses and warns naming that AMI (invariant 1)", async () => {
      const out = await ebsAmi(env, 2);
      const other = await registerEbs(env.ec2, [out.snapshotIds[0]]);
      const d = deps(env);
      const result = await teardown(out, d);
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), [out.snapshotIds[0]]);
      assert.equal(imageState(env, other), "available");
      assert.deepEqual(d.warnings, [
        `ManagedAmi "web" (${out.imageId}): snapshot ${out.snapshotIds[0]} is still used by ${other}; left in place. ` +
          `Deregister ${other} or set deleteSnapshots: false.`,
      ]);
      assert.deepEqual(
        result.snapshots.find((s) => s.snapshotId === out.snapshotIds[0]),
        {
          snapshotId: out.snapshotIds[0],
          outcome: "in-use",
          usedBy: [other],
        },
      );
    });

    it("uses the Pulumi resource name in messages when given", async () => {
      const out = await ebsAmi(env, 1);
      const other = await registerEbs(env.ec2, [out.snapshotIds[0]]);
      const d = deps(env, { resourceName: "base-image" });
      await teardown(out, d);
      assert.match(
        d.warnings[0],
        new RegExp(`^ManagedAmi "base-image" \\(${out.imageId}\\): snapshot .* still used by ${other}`),
      );
    });

    it("never deletes a snapshot of the image that was not recorded, nor any other (invariant 2)", async () => {
      const recorded = await makeSnapshot(env.ec2);
      const unrecorded = await makeSnapshot(env.ec2);
      const foreign = await makeSnapshot(env.ec2);
      const imageId = await registerEbs(env.ec2, [recorded, unrecorded]);
      const from = env.aws.log.length;
      await teardown(outputsFor(env, imageId, { snapshotIds: [recorded] }), deps(env));
      assert.equal(env.aws.state.snapshots.has(recorded), false);
      assert.equal(env.aws.state.snapshots.has(unrecorded), true);
      assert.equal(env.aws.state.snapshots.has(foreign), true);
      const dereg = env.aws.log.slice(from).find((e) => e.action === "DeregisterImage");
      assert.equal(
        dereg?.params.DeleteAssociatedSnapshots,
        undefined,
        "AWS-side deletion must not be asked for",
      );
    });

    it("deleteSnapshots: false deletes no snapshot and does not ask AWS to (invariant 3)", async () => {
      const out = await ebsAmi(env, 2, { deleteSnapshots: false });
      const from = env.aws.log.length;
      const result = await teardown(out, deps(env));
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
      assert.deepEqual(callsSince(env, from), [
        "DescribeImages",
        "DescribeImageReferences",
        "DescribeFastLaunchImages",
        "DescribeSnapshots",
        "DeregisterImage",
      ]);
      assert.equal(
        env.aws.log.slice(from).find((e) => e.action === "DeregisterImage")?.params.DeleteAssociatedSnapshots,
        undefined,
      );
      assert.deepEqual(result.snapshots, []);
    });

    it("leaves no recorded, unshared storage after success (invariant 4)", async () => {
      const out = await ebsAmi(env, 4);
      await teardown(out, deps(env));
      assert.deepEqual(await storageStillExists(out, { ec2: env.ec2 }), { snapshotIds: [], bundleKeys: [] });
    });

    it("reports which recorded snapshots still exist (storageStillExists)", async () => {
      const out = await ebsAmi(env, 3, { deleteSnapshots: false });
      await teardown(out, deps(env));
      assert.deepEqual((await storageStillExists(out, { ec2: env.ec2 })).snapshotIds, out.snapshotIds);
    });

    it("uses the SDK's default chain (AWS_ENDPOINT_URL_EC2, AWS_REGION) when no clients are given", async () => {
      const out = await ebsAmi(env, 1);
      await teardown(out, { log: { warn: () => undefined } });
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("an empty snapshot record with deleteSnapshots deletes nothing of the image's snapshots", async () => {
      const snap = await makeSnapshot(env.ec2);
      const imageId = await registerEbs(env.ec2, [snap]);
      await teardown(outputsFor(env, imageId, { snapshotIds: [] }), deps(env));
      assert.equal(env.aws.state.snapshots.has(snap), true);
    });
  });

  describe("already deregistered (step 1)", () => {
    it("InvalidAMIID.NotFound: goes straight to reconciling the recorded storage", async () => {
      env = await startEnv({ deregisteredVisibleForMs: 0 });
      const out = await ebsAmi(env, 2, { deleteSnapshots: true });
      await env.ec2.send(new DeregisterImageCommand({ ImageId: out.imageId }));
      assert.equal(env.aws.state.images.has(out.imageId), false);
      const from = env.aws.log.length;
      const result = await teardown(out, deps(env));
      assert.equal(result.image, "already-gone");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
      assert.equal(callsSince(env, from).includes("DeregisterImage"), false);
      assert.equal(env.aws.log[from].code, "InvalidAMIID.NotFound");
    });

    it("state deregistered: no DeregisterImage, storage still deleted", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 2);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: out.imageId }));
      const from = env.aws.log.length;
      const result = await teardown(out, deps(env));
      assert.equal(result.image, "already-gone");
      assert.equal(callsSince(env, from).includes("DeregisterImage"), false);
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("InvalidAMIID.Unavailable: treated as gone", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 1);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: out.imageId }));
      env.aws.faults.inject({
        action: "DescribeImages",
        code: "InvalidAMIID.Unavailable",
        status: 400,
        times: 1,
      });
      const result = await teardown(out, deps(env));
      assert.equal(result.image, "already-gone");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("an empty DescribeImages answer: treated as gone", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 1);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: out.imageId }));
      const ec2 = interposed(env.ec2, async (_n, command, next) =>
        command instanceof DescribeImagesCommand && command.input.ImageIds
          ? { Images: [], $metadata: {} }
          : next(),
      );
      const result = await teardown(out, deps(env, { ec2 }));
      assert.equal(result.image, "already-gone");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });
  });

  describe("endpoint behaviours (step 3/4)", () => {
    it("an endpoint without DeleteAssociatedSnapshots: snapshots deleted by reconciliation", async () => {
      env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
      const out = await ebsAmi(env, 3);
      const result = await teardown(out, deps(env));
      assert.equal(result.deleteSnapshotResults, undefined);
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
      assert.deepEqual(
        result.snapshots.map((s) => s.outcome),
        ["deleted", "deleted", "deleted"],
      );
    });

    it("a lingering InvalidSnapshot.InUse after deregistration is retried until it clears", async () => {
      env = await startEnv({
        supportsDeleteAssociatedSnapshots: false,
        snapshotInUseAfterDeregisterMs: 20_000,
      });
      const out = await ebsAmi(env, 2);
      const from = env.aws.log.length;
      await teardown(out, deps(env));
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
      assert.ok(
        env.aws.log.slice(from).some((e) => e.code === "InvalidSnapshot.InUse"),
        "the endpoint did answer InUse",
      );
      assert.ok(env.clock.slept >= 20_000 && env.clock.slept < 200_000, `slept ${env.clock.slept}`);
    });

    it("an InUse that outlasts the bound fails the delete with cause and fix; a re-run later completes", async () => {
      env = await startEnv({
        supportsDeleteAssociatedSnapshots: false,
        snapshotInUseAfterDeregisterMs: 10 * 60_000,
      });
      const out = await ebsAmi(env, 1);
      await expectTeardownError(
        teardown(out, deps(env, { inUseTimeoutMs: 60_000 })),
        out.snapshotIds[0],
        "InvalidSnapshot.InUse",
        "run destroy again",
      );
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
      env.aws.advance(10 * 60_000);
      await teardown(out, deps(env));
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });
  });

  describe("deregistration protection (step 2)", () => {
    beforeEach(async () => (env = await startEnv({ protectionCooldownMs: 24 * 3600_000 })));

    async function protectedAmi(
      withCooldown: boolean,
      extra: Partial<ManagedAmiOutputs> = {},
    ): Promise<ManagedAmiOutputs> {
      const out = await ebsAmi(env, 2, extra);
      await env.ec2.send(
        new EnableImageDeregistrationProtectionCommand({ ImageId: out.imageId, WithCooldown: withCooldown }),
      );
      return out;
    }

    it("without disableDeregistrationProtection: fails before anything is deleted, saying how to fix it", async () => {
      const out = await protectedAmi(false);
      const from = env.aws.log.length;
      await expectTeardownError(
        teardown(out, deps(env)),
        out.imageId,
        "deregistration protection is on",
        "nothing was deleted",
        "disableDeregistrationProtection: true",
      );
      assert.deepEqual(callsSince(env, from), ["DescribeImages"]);
      assert.equal(imageState(env, out.imageId), "available");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
    });

    it("with disableDeregistrationProtection: turns it off and completes", async () => {
      const out = await protectedAmi(false, { disableDeregistrationProtection: true });
      await teardown(out, deps(env));
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("with a cooldown: fails naming the time it lifts, deletes nothing, and completes after it", async () => {
      const out = await protectedAmi(true, { disableDeregistrationProtection: true });
      const err = await expectTeardownError(
        teardown(out, deps(env)),
        "cooldown",
        "nothing was deleted",
        /until \d{4}-\d\d-\d\dT/,
      );
      const lifts = /until (\S+);/.exec(err.message)?.[1] as string;
      const expected = env.aws.clock.now() + 24 * 3600_000;
      assert.ok(Math.abs(Date.parse(lifts) - expected) < 60_000, `lifts at ${lifts}`);
      assert.equal(imageState(env, out.imageId), "available");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
      // A re-run during the cooldown still fails without deleting anything.
      await expectTeardownError(teardown(out, deps(env)), "cooldown");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
      env.aws.advance(24 * 3600_000 + 1000);
      await teardown(out, deps(env, { clock: { now: () => env.aws.clock.now(), sleep: env.clock.sleep } }));
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });
  });

  describe("failures (step 5)", () => {
    it("a locked snapshot fails the delete with a clear message; a re-run after UnlockSnapshot completes", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 2);
      await env.ec2.send(
        new LockSnapshotCommand({ SnapshotId: out.snapshotIds[0], LockMode: "governance", LockDuration: 1 }),
      );
      const err = await expectTeardownError(
        teardown(out, deps(env)),
        `ManagedAmi "web" (${out.imageId})`,
        `snapshot ${out.snapshotIds[0]}`,
        "locked",
        "unlock-snapshot",
        "running destroy again resumes",
      );
      assert.equal(err.failures.length, 1);
      assert.equal(err.failures[0].reason, "locked");
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), [out.snapshotIds[0]]);
      await env.ec2.send(new UnlockSnapshotCommand({ SnapshotId: out.snapshotIds[0] }));
      const result = await teardown(out, deps(env));
      assert.equal(result.image, "already-gone");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("names every failed snapshot in one error", async () => {
      env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
      const out = await ebsAmi(env, 3);
      for (const id of out.snapshotIds.slice(0, 2)) {
        await env.ec2.send(
          new LockSnapshotCommand({ SnapshotId: id, LockMode: "governance", LockDuration: 1 }),
        );
      }
      const err = await expectTeardownError(
        teardown(out, deps(env)),
        out.snapshotIds[0],
        out.snapshotIds[1],
        "2 items",
      );
      assert.equal(err.failures.length, 2);
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds.slice(0, 2));
    });

    it("missing permission on DeleteSnapshot fails naming the permission; a re-run completes", async () => {
      env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
      const out = await ebsAmi(env, 1);
      env.aws.faults.inject({
        action: "DeleteSnapshot",
        code: "UnauthorizedOperation",
        status: 403,
        times: Infinity,
      });
      await expectTeardownError(
        teardown(out, deps(env)),
        out.snapshotIds[0],
        "ec2:DeleteSnapshot",
        "UnauthorizedOperation",
      );
      env.aws.faults.clear();
      await teardown(out, deps(env));
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("a failed DeregisterImage deletes nothing", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 2);
      env.aws.faults.inject({
        action: "DeregisterImage",
        code: "UnauthorizedOperation",
        status: 403,
        times: 1,
      });
      await expectTeardownError(
        teardown(out, deps(env)),
        "DeregisterImage",
        "nothing was deleted",
        "permission",
      );
      assert.equal(imageState(env, out.imageId), "available");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
    });
  });

  describe("throttling and transient errors", () => {
    it("survives RequestLimitExceeded bursts on every call", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 2);
      for (const action of ["DescribeImages", "DeregisterImage", "DescribeSnapshots"]) {
        env.aws.faults.inject({ action, code: "RequestLimitExceeded", status: 503, times: 4 });
      }
      await teardown(out, deps(env));
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
      assert.equal(env.aws.log.filter((e) => e.code === "RequestLimitExceeded").length, 12);
    });

    it("survives the endpoint's token buckets with many deletes at once", async () => {
      env = await startEnv({
        supportsDeleteAssociatedSnapshots: false,
        throttling: {
          DeleteSnapshot: { burst: 2, perSecond: 200 },
          DescribeImages: { burst: 3, perSecond: 200 },
        },
      });
      const amis: ManagedAmiOutputs[] = [];
      for (let i = 0; i < 6; i++) amis.push(await ebsAmi(env, 2));
      await Promise.all(amis.map((a) => teardown(a, deps(env))));
      for (const a of amis) assert.deepEqual(snapshotsLeft(env, a.snapshotIds), []);
      assert.ok(
        env.aws.log.some((e) => e.code === "RequestLimitExceeded"),
        "the buckets did throttle",
      );
    });

    it("fails with a clear error when throttling outlasts the retry budget, deleting nothing", async () => {
      env = await startEnv({}, { budgetMs: 300, baseDelayMs: 5, maxDelayMs: 50 });
      const out = await ebsAmi(env, 2);
      env.aws.faults.inject({
        action: "DeregisterImage",
        code: "RequestLimitExceeded",
        status: 503,
        times: Infinity,
      });
      await expectTeardownError(
        teardown(out, deps(env)),
        "RequestLimitExceeded",
        "retry budget",
        "nothing was deleted",
        /run destroy again/i,
      );
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), out.snapshotIds);
      env.aws.faults.clear();
      await teardown(out, deps(env));
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });

    it("retries 500/503 answers and connection resets", async () => {
      env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
      const out = await ebsAmi(env, 2);
      env.aws.faults.inject({ action: "DescribeImages", code: "ServiceUnavailable", status: 503, times: 2 });
      env.aws.faults.inject({ action: "DeregisterImage", resetConnection: true, times: 2 });
      env.aws.faults.inject({ action: "DeleteSnapshot", code: "InternalError", status: 500, times: 2 });
      await teardown(out, deps(env));
      assert.equal(imageState(env, out.imageId), "deregistered");
      assert.deepEqual(snapshotsLeft(env, out.snapshotIds), []);
    });
  });

  describe("instance-store", () => {
    beforeEach(async () => (env = await startEnv()));

    it("deletes exactly the recorded manifest and parts, leaving foreign objects under the same prefix (invariant 2)", async () => {
      const bundle = await putBundle(env.s3, "bundles", "web/", "web", 3);
      const foreign = await putBundle(env.s3, "bundles", "web/", "other", 2);
      const imageId = await registerBundle(env.ec2, bundle);
      const from = env.aws.log.length;
      const result = await teardown(
        outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle }),
        deps(env),
      );
      const calls = callsSince(env, from);
      // The image lookup, the in-use guard, deregistration, then the reference checks: same manifest, and
      // other instance-store images of the bucket (whose manifests could list the same parts).
      assert.deepEqual(calls, [
        "DescribeImages",
        "DescribeImageReferences",
        "DeregisterImage",
        "DescribeImages",
        "DescribeImages",
        "DeleteObjects",
      ]);
      assert.equal(imageState(env, imageId), "deregistered");
      assert.deepEqual(await listKeys(env.s3, "bundles"), [foreign.manifestKey, ...foreign.partKeys].sort());
      assert.equal(result.bundle?.outcome, "deleted");
    });

    it("keeps a bundle another registered image uses, with a warning naming it", async () => {
      const bundle = await putBundle(env.s3, "bundles", "shared/", "s", 2);
      const ours = await registerBundle(env.ec2, bundle);
      const theirs = await registerBundle(env.ec2, bundle);
      const d = deps(env);
      await teardown(outputsFor(env, ours, { rootDeviceType: "instance-store", bundle }), d);
      assert.equal((await listKeys(env.s3, "bundles")).length, 3);
      assert.equal(d.warnings.length, 1);
      assert.match(
        d.warnings[0],
        new RegExp(
          `still used by ${theirs}; left in place\\. Deregister ${theirs} or set deleteBundle: false\\.`,
        ),
      );
    });

    it("deleteBundle: false deletes no object (invariant 3)", async () => {
      const bundle = await putBundle(env.s3, "bundles", "keep/", "k", 2);
      const imageId = await registerBundle(env.ec2, bundle);
      await teardown(
        outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle, deleteBundle: false }),
        deps(env),
      );
      assert.equal(imageState(env, imageId), "deregistered");
      assert.equal((await listKeys(env.s3, "bundles")).length, 3);
    });

    it("a key that cannot be deleted fails the delete naming the key; a re-run completes", async () => {
      const bundle = await putBundle(env.s3, "bundles", "deny/", "d", 2);
      const imageId = await registerBundle(env.ec2, bundle);
      const out = outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle });
      env.aws.faults.inject({ action: "DeleteObjects", code: "AccessDenied", status: 403, times: 1 });
      await expectTeardownError(
        teardown(out, deps(env)),
        `s3://bundles/${bundle.manifestKey}`,
        "s3:DeleteObject",
      );
      await teardown(out, deps(env));
      assert.deepEqual(await listKeys(env.s3, "bundles"), []);
      assert.deepEqual(await storageStillExists(out, { ec2: env.ec2, s3: env.s3 }), {
        snapshotIds: [],
        bundleKeys: [],
      });
    });
  });

  describe("an interrupted delete resumes (invariant 5)", () => {
    type Scenario = {
      name: string;
      opts: Parameters<typeof startEnv>[0];
      make: (env: Env) => Promise<ManagedAmiOutputs>;
    };
    const scenarios: Scenario[] = [
      { name: "EBS", opts: {}, make: (e) => ebsAmi(e, 3) },
      {
        name: "EBS, no DeleteAssociatedSnapshots",
        opts: { supportsDeleteAssociatedSnapshots: false },
        make: (e) => ebsAmi(e, 3),
      },
      {
        name: "instance-store",
        opts: {},
        make: async (e) => {
          const bundle = await putBundle(e.s3, "resume", "b/", "b", 3);
          return outputsFor(e, await registerBundle(e.ec2, bundle), {
            rootDeviceType: "instance-store",
            bundle,
          });
        },
      },
    ];

    for (const scenario of scenarios) {
      for (const when of ["before", "after"] as const) {
        it(`${scenario.name}: killed ${when} each call, then run again`, async function () {
          this.timeout(120_000);
          env = await startEnv(scenario.opts);
          // How many calls a clean delete makes.
          const probe = await scenario.make(env);
          const start = env.aws.log.length;
          await teardown(probe, deps(env));
          const total = env.aws.log.length - start;
          assert.ok(total >= 3);
          for (let k = 1; k <= total; k++) {
            const foreignSnap = await makeSnapshot(env.ec2);
            const out = await scenario.make(env);
            const ec2 = interposed(env.ec2, async (n, _command, next) => {
              if (n === k && when === "before") throw new Error("killed");
              const result = await next();
              if (n === k && when === "after") throw new Error("killed");
              return result;
            });
            const s3 = interposedS3(env.s3, () => k, when);
            await teardown(out, deps(env, { ec2, s3 })).then(
              () => undefined,
              () => undefined,
            );
            await teardown(out, deps(env));
            assert.notEqual(imageState(env, out.imageId), "available", `k=${k}`);
            assert.deepEqual(
              await storageStillExists(out, { ec2: env.ec2, s3: env.s3 }),
              { snapshotIds: [], bundleKeys: [] },
              `k=${k}`,
            );
            assert.ok(env.aws.state.snapshots.has(foreignSnap), `k=${k}: a foreign snapshot was deleted`);
          }
        });
      }
    }
  });
});

/** S3 calls are numbered after the EC2 calls of a delete; kill at the S3 call when k points past EC2. */
function interposedS3(real: S3Client, k: () => number, when: "before" | "after"): Pick<S3Client, "send"> {
  // The instance-store plan makes 3 EC2 calls, then DeleteObjects: number S3 calls from 4.
  let n = 3;
  return {
    send: (async (command: unknown) => {
      n++;
      if (n === k() && when === "before") throw new Error("killed");
      const result = await (real.send as (c: unknown) => Promise<unknown>)(command);
      if (n === k() && when === "after") throw new Error("killed");
      return result;
    }) as S3Client["send"],
  };
}
