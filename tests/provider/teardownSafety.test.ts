// Regression tests for the delete-path safety holes of issue 10 (defects 1, 6-8, 11-13) and issue 13
// part 3 ("decide by reading state"): each reproduces the defect against local-aws with the real SDK.
import assert from "node:assert/strict";
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  EnableFastLaunchCommand,
  EnableImageDeregistrationProtectionCommand,
  LockSnapshotCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { deleteListed } from "../../cli/audit/delete";
import { defaultClients } from "../../cli/audit/run";
import { scan } from "../../cli/audit/scan";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import { deleteBundleSafely } from "../../provider/safety";
import { teardown, TeardownError } from "../../provider/teardown";
import type { ManagedAmiOutputs } from "../../provider/types";
import {
  ebsAmi,
  listKeys,
  makeSnapshot,
  manifestXml,
  outputsFor,
  putBundle,
  REGION,
  registerBundle,
  registerEbs,
  startEnv,
  type Env,
  teardownDeps,
} from "./teardownFixtures";
import { seedEbsImage } from "../support/localAws";

type Send = (command: unknown) => Promise<unknown>;

const deps = teardownDeps;

/** A client passing every call to `real`, letting `edit` rewrite a call's answer (or throw). */
function rewriting(
  real: EC2Client,
  edit: (command: unknown, answer: () => Promise<unknown>) => Promise<unknown>,
): EC2Client {
  return {
    send: ((command: unknown) =>
      edit(command, () => (real.send as unknown as Send)(command))) as EC2Client["send"],
  } as EC2Client;
}

const name = (command: unknown) => (command as { constructor: { name: string } }).constructor.name;

async function claim(env: Env, snapshotIds: string[], imageId: string, token = "mami-tok"): Promise<void> {
  await env.ec2.send(
    new CreateTagsCommand({
      Resources: snapshotIds,
      Tags: [
        { Key: MANAGED_AMI_IMAGE_TAG, Value: imageId },
        { Key: CREATE_TOKEN_TAG, Value: `${token}.done` },
        { Key: "team", Value: "web" },
      ],
    }),
  );
}

function tagsOf(env: Env, snapshotId: string): Record<string, string> {
  const snap = env.aws.state.snapshots.get(snapshotId) as unknown as {
    tags?: { key: string; value: string }[];
  };
  return Object.fromEntries((snap?.tags ?? []).map((t) => [t.key, t.value]));
}

/** `managed-ami audit` then `--delete` of everything it lists, as the CLI does. */
async function auditDelete(): Promise<string[]> {
  const clients = defaultClients();
  const found = await scan({ regions: [REGION], clients });
  const report = await deleteListed(found.orphanedSnapshots, found.orphanedBundles, clients);
  return report.deletedSnapshots.map((s) => s.snapshotId);
}

async function teardownError(p: Promise<unknown>): Promise<TeardownError> {
  const err = await p.then(
    () => assert.fail("teardown should have failed"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TeardownError, String(err));
  return err;
}

const deleteCalls = (env: Env, from: number, action = "DeleteSnapshot") =>
  env.aws.log.slice(from).filter((e) => e.action === action);

describe("teardown safety (issue 10, issue 13 part 3)", function () {
  let env: Env;
  afterEach(async () => env && (await env.stop()));

  describe("defect 1: kept snapshots lose this resource's claim, so audit --delete never deletes them", () => {
    beforeEach(async () => (env = await startEnv()));

    it("deleteSnapshots: false removes the ownership and create-token tags (other tags stay); audit --delete keeps the snapshots", async () => {
      const out = await ebsAmi(env, 2, { deleteSnapshots: false, createToken: "mami-tok" });
      await claim(env, out.snapshotIds, out.imageId);
      await teardown(out, deps(env));
      for (const id of out.snapshotIds) assert.deepEqual(tagsOf(env, id), { team: "web" });
      assert.deepEqual(await auditDelete(), []);
      assert.deepEqual(
        out.snapshotIds.filter((id) => env.aws.state.snapshots.has(id)),
        out.snapshotIds,
      );
    });

    it("a snapshot left in use by another image loses the claim; once that image is gone, audit --delete still keeps it", async () => {
      const out = await ebsAmi(env, 1, { createToken: "mami-tok" });
      await claim(env, out.snapshotIds, out.imageId);
      const other = await registerEbs(env.ec2, [out.snapshotIds[0]]);
      const d = deps(env);
      await teardown(out, d);
      assert.match(d.warnings.join("\n"), new RegExp(`still used by ${other}`));
      assert.deepEqual(tagsOf(env, out.snapshotIds[0]), { team: "web" });
      const { DeregisterImageCommand } = await import("@aws-sdk/client-ec2");
      await env.ec2.send(new DeregisterImageCommand({ ImageId: other }));
      assert.deepEqual(await auditDelete(), []);
      assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
    });

    it("another resource's claim on a snapshot is left alone", async () => {
      const out = await ebsAmi(env, 1, { deleteSnapshots: false, createToken: "mami-tok" });
      await claim(env, out.snapshotIds, "ami-0123456789abcdef0", "mami-other");
      await teardown(out, deps(env));
      assert.equal(tagsOf(env, out.snapshotIds[0])[MANAGED_AMI_IMAGE_TAG], "ami-0123456789abcdef0");
      assert.equal(tagsOf(env, out.snapshotIds[0])[CREATE_TOKEN_TAG], "mami-other.done");
    });
  });

  describe("snapshot locks are read before deleting (issue 13)", () => {
    for (const errorCodes of ["aws-documented", "alternate"] as const) {
      it(`governance lock (${errorCodes} error codes): not attempted, error names mode and expiry, claim removed`, async () => {
        env = await startEnv({ errorCodes });
        const out = await ebsAmi(env, 2, { createToken: "mami-tok" });
        await claim(env, out.snapshotIds, out.imageId);
        await env.ec2.send(
          new LockSnapshotCommand({
            SnapshotId: out.snapshotIds[0],
            LockMode: "governance",
            LockDuration: 3,
          }),
        );
        const from = env.aws.log.length;
        const err = await teardownError(teardown(out, deps(env)));
        assert.match(
          err.message,
          new RegExp(`snapshot ${out.snapshotIds[0]}: it is locked in governance mode until \\d{4}-`),
        );
        assert.match(err.message, /unlock-snapshot/);
        assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
        assert.equal(env.aws.state.snapshots.has(out.snapshotIds[1]), false, "the unlocked one is deleted");
        assert.deepEqual(
          deleteCalls(env, from).map((e) => e.params.SnapshotId),
          [out.snapshotIds[1]],
          "the locked snapshot is never attempted",
        );
        const dereg = env.aws.log.slice(from).find((e) => e.action === "DeregisterImage");
        assert.equal(
          dereg?.params.DeleteAssociatedSnapshots,
          undefined,
          "AWS is not asked to delete a locked snapshot either",
        );
        assert.deepEqual(tagsOf(env, out.snapshotIds[0]), { team: "web" });
      });
    }

    it("compliance lock: says it cannot be removed early and offers deleteSnapshots: false", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 1);
      await env.ec2.send(
        new LockSnapshotCommand({ SnapshotId: out.snapshotIds[0], LockMode: "compliance", LockDuration: 2 }),
      );
      const err = await teardownError(teardown(out, deps(env)));
      assert.match(err.message, /compliance mode until .*cannot be removed or shortened before it expires/);
      assert.match(err.message, /deleteSnapshots: false/);
      assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
    });

    it("an endpoint without DescribeLockedSnapshots: DeleteSnapshot's unfamiliar refusal still deletes nothing and is named", async () => {
      env = await startEnv({ errorCodes: "alternate", supportsDeleteAssociatedSnapshots: false });
      const out = await ebsAmi(env, 1);
      await env.ec2.send(
        new LockSnapshotCommand({ SnapshotId: out.snapshotIds[0], LockMode: "governance", LockDuration: 3 }),
      );
      env.aws.faults.inject({
        action: "DescribeLockedSnapshots",
        code: "InvalidAction",
        status: 400,
        times: Infinity,
      });
      const err = await teardownError(teardown(out, deps(env)));
      assert.match(
        err.message,
        new RegExp(`snapshot ${out.snapshotIds[0]}: DeleteSnapshot failed \\(InvalidParameterValue`),
      );
      assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
    });
  });

  describe("deregistration protection decided by state (alternate error codes)", () => {
    it("protection turned on after the lookup: the UnauthorizedOperation answer is read as protection, nothing deleted", async () => {
      env = await startEnv({ errorCodes: "alternate" });
      const out = await ebsAmi(env, 1);
      const ec2 = rewriting(env.ec2, async (command, answer) => {
        if (name(command) === "DeregisterImageCommand") {
          await env.ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: out.imageId }));
        }
        return answer();
      });
      const err = await teardownError(teardown(out, deps(env, { ec2 })));
      assert.match(err.message, /refused because deregistration protection is on \(enabled/);
      assert.match(err.message, /nothing was deleted/);
      assert.equal(env.aws.state.images.get(out.imageId)?.state, "available");
      assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
    });
  });

  describe("Windows fast launch (issue 13)", () => {
    it("is disabled, and waited for, before deregistration (request log order)", async () => {
      env = await startEnv({ fastLaunchTransitionMs: 5_000 });
      const out = await ebsAmi(env, 1);
      await env.ec2.send(new EnableFastLaunchCommand({ ImageId: out.imageId, ResourceType: "snapshot" }));
      env.aws.advance(6_000);
      const from = env.aws.log.length;
      await teardown(out, deps(env));
      const calls = env.aws.log.slice(from).map((e) => e.action);
      const disable = calls.indexOf("DisableFastLaunch");
      const dereg = calls.indexOf("DeregisterImage");
      assert.ok(disable >= 0 && dereg > disable, calls.join(", "));
      assert.ok(
        calls.slice(disable + 1, dereg).includes("DescribeFastLaunchImages"),
        "it waits until fast launch is off",
      );
      assert.equal(env.aws.state.ec2.fastLaunch.size ?? 0, 0);
      assert.equal(env.aws.state.images.get(out.imageId)?.state, "deregistered");
    });

    it("a fast launch that never turns off fails before anything is deregistered, bounded", async () => {
      env = await startEnv({ fastLaunchTransitionMs: 10 * 3_600_000 });
      const out = await ebsAmi(env, 1);
      await env.ec2.send(new EnableFastLaunchCommand({ ImageId: out.imageId, ResourceType: "snapshot" }));
      const err = await teardownError(teardown(out, deps(env, { fastLaunchTimeoutMs: 60_000 })));
      assert.match(err.message, /fast launch is still disabling after 60s; nothing was deregistered/);
      assert.equal(env.aws.state.images.get(out.imageId)?.state, "available");
    });
  });

  describe("Recycle Bin (defect 8, issue 13)", () => {
    it("deleted snapshots a retention rule keeps: a warning with count, GiB and exit time", async () => {
      env = await startEnv({ recycleBin: { snapshots: { retentionDays: 7 } } });
      const out = await ebsAmi(env, 2);
      const d = deps(env);
      await teardown(out, d);
      const warning = d.warnings.find((w) => w.includes("Recycle Bin"));
      assert.ok(warning, d.warnings.join("\n"));
      assert.match(
        warning,
        /2 deleted snapshots are \(16 GiB\) kept by a Recycle Bin retention rule and still billed until \d{4}-/,
      );
    });

    it("an image the bin keeps: snapshots teardown would delete itself are kept for a restore, claim kept", async () => {
      env = await startEnv({
        recycleBin: { images: { retentionDays: 3 } },
        supportsDeleteAssociatedSnapshots: false,
      });
      const out = await ebsAmi(env, 2, { createToken: "mami-tok" });
      await claim(env, out.snapshotIds, out.imageId);
      const d = deps(env);
      await teardown(out, d);
      assert.deepEqual(
        out.snapshotIds.filter((id) => env.aws.state.snapshots.has(id)),
        out.snapshotIds,
      );
      assert.match(
        d.warnings.join("\n"),
        /the image is in the Recycle Bin until \d{4}-.*kept so it can be restored/,
      );
      assert.equal(tagsOf(env, out.snapshotIds[0])[MANAGED_AMI_IMAGE_TAG], out.imageId);
    });
  });

  it("archive tier: deleting a snapshot archived 30 days ago warns about the 60 early-deletion days", async () => {
    env = await startEnv();
    const out = await ebsAmi(env, 1);
    const snap = env.aws.state.snapshots.get(out.snapshotIds[0]) as unknown as {
      storageTier: string;
      lastTieringStartTime: number;
    };
    snap.storageTier = "archive";
    snap.lastTieringStartTime = env.aws.clock.now() - 30 * 86_400_000;
    const d = deps(env, { clock: { ...env.clock, now: () => env.aws.clock.now() } });
    await teardown(out, d);
    assert.match(
      d.warnings.join("\n"),
      new RegExp(
        `snapshot ${out.snapshotIds[0]} was in the archive tier for less than 90 days; AWS charges the 60 remaining days`,
      ),
    );
  });

  it("a pending, empty record (create stopped before describing its image): destroy deletes the snapshots provably made for it, no other", async () => {
    env = await startEnv();
    const { imageId, snapshotIds } = await seedEbsImage(env.aws, env.ec2, "partial");
    const unrelated = await makeSnapshot(env.ec2);
    const out = outputsFor(env, imageId, { state: "pending", snapshotIds: [] });
    await teardown(out, deps(env));
    assert.ok(snapshotIds.length > 0);
    assert.deepEqual(
      snapshotIds.filter((id) => env.aws.state.snapshots.has(id)),
      [],
    );
    assert.equal(env.aws.state.snapshots.has(unrelated), true);
  });

  describe("defect 11: an empty DescribeImages answer is not trusted", () => {
    beforeEach(async () => (env = await startEnv()));
    const emptyLookup = (real: EC2Client, imageId: string) =>
      rewriting(real, async (command, answer) => {
        const input = (command as { input?: { ImageIds?: string[] } }).input;
        if (name(command) === "DescribeImagesCommand" && input?.ImageIds?.includes(imageId))
          return { Images: [], $metadata: {} };
        return answer();
      });

    it("the registered image is deregistered anyway before its bundle is deleted", async () => {
      const bundle = await putBundle(env.s3, "bundles", "web/", "web", 2);
      const imageId = await registerBundle(env.ec2, bundle);
      const out = outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle });
      await teardown(out, deps(env, { ec2: emptyLookup(env.ec2, imageId) }));
      assert.equal(env.aws.state.images.get(imageId)?.state, "deregistered");
      assert.deepEqual(await listKeys(env.s3, "bundles"), []);
    });

    it("when that deregistration fails, nothing is deleted (never a bundle under a registered AMI)", async () => {
      const bundle = await putBundle(env.s3, "bundles", "web/", "web", 2);
      const imageId = await registerBundle(env.ec2, bundle);
      env.aws.faults.inject({
        action: "DeregisterImage",
        code: "InternalError",
        status: 500,
        times: Infinity,
      });
      const out = outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle });
      await teardownError(teardown(out, deps(env, { ec2: emptyLookup(env.ec2, imageId) })));
      assert.equal(env.aws.state.images.get(imageId)?.state, "available");
      assert.equal((await listKeys(env.s3, "bundles")).length, 3);
    });
  });

  describe("defect 12: an in-use verdict is confirmed", () => {
    it("two images sharing a snapshot, deleted concurrently without DeleteAssociatedSnapshots, lookups lagging: the snapshot is not left unrecorded", async () => {
      env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
      const shared = await makeSnapshot(env.ec2);
      const a = await registerEbs(env.ec2, [shared]);
      const b = await registerEbs(env.ec2, [shared]);
      // The reference lookup (filter query) lags: it still shows both images as available.
      const lagging = rewriting(env.ec2, async (command, answer) => {
        const out = (await answer()) as { Images?: { ImageId?: string; State?: string }[] };
        const input = (command as { input?: { Filters?: unknown[] } }).input;
        if (name(command) === "DescribeImagesCommand" && input?.Filters?.length) {
          for (const id of [a, b]) {
            if (!out.Images?.some((i) => i.ImageId === id)) {
              const real = await env.ec2.send(
                new DescribeImagesCommand({ ImageIds: [id], IncludeDeprecated: true }),
              );
              out.Images = [...(out.Images ?? []), ...(real.Images ?? [])];
            }
          }
          out.Images = out.Images?.map((i) => ({ ...i, State: "available" }));
        }
        return out;
      });
      const outA = outputsFor(env, a, { snapshotIds: [shared] });
      const outB = outputsFor(env, b, { snapshotIds: [shared] });
      const results = await Promise.allSettled([
        teardown(outA, deps(env, { ec2: lagging })),
        teardown(outB, deps(env, { ec2: lagging })),
      ]);
      const failed = results.filter((r) => r.status === "rejected").length;
      assert.ok(
        !env.aws.state.snapshots.has(shared) || failed > 0,
        "both deletes reported success while the shared snapshot was left with no record",
      );
      assert.equal(env.aws.state.snapshots.has(shared), false);
    });

    it("a user of the caller's own account is confirmed by AWS: a genuinely registered user keeps the snapshot", async () => {
      env = await startEnv();
      const out = await ebsAmi(env, 1);
      const other = await registerEbs(env.ec2, [out.snapshotIds[0]]);
      const from = env.aws.log.length;
      const result = await teardown(out, deps(env));
      assert.deepEqual(result.snapshots, [
        { snapshotId: out.snapshotIds[0], outcome: "in-use", usedBy: [other] },
      ]);
      assert.equal(env.aws.state.snapshots.has(out.snapshotIds[0]), true);
      assert.equal(
        deleteCalls(env, from)[0]?.code,
        "InvalidSnapshot.InUse",
        "AWS's refusal confirmed the verdict",
      );
    });
  });

  describe("defect 7: reference checks that scale", () => {
    it("one reference lookup for all recorded snapshots, at most 8 deletes in flight, no re-paging on InUse retries", async () => {
      env = await startEnv({
        supportsDeleteAssociatedSnapshots: false,
        snapshotInUseAfterDeregisterMs: 5_000,
      });
      const image = await ebsAmi(env, 6);
      const extra: string[] = [];
      for (let i = 0; i < 14; i++) extra.push(await makeSnapshot(env.ec2));
      const out = { ...image, snapshotIds: [...image.snapshotIds, ...extra] };
      let inFlight = 0;
      let peak = 0;
      const counting = rewriting(env.ec2, async (command, answer) => {
        if (name(command) !== "DeleteSnapshotCommand") return answer();
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        try {
          return await answer();
        } finally {
          inFlight--;
        }
      });
      const from = env.aws.log.length;
      await teardown(out, deps(env, { ec2: counting }));
      assert.deepEqual(
        out.snapshotIds.filter((id) => env.aws.state.snapshots.has(id)),
        [],
      );
      assert.ok(peak <= 8 && peak > 1, `peak concurrency ${peak}`);
      const filterLookups = env.aws.log
        .slice(from)
        .filter(
          (e) => e.action === "DescribeImages" && Object.keys(e.params).some((k) => k.startsWith("Filter")),
        );
      // One batched lookup, plus at most one per snapshot to learn who blocks after the first InUse.
      assert.ok(filterLookups.length <= 1 + 20, `${filterLookups.length} filter lookups`);
      const retries = deleteCalls(env, from).length;
      assert.ok(retries > 20, "InUse was retried");
      assert.ok(filterLookups.length < retries, "retries do not re-page DescribeImages");
    });
  });

  describe("defect 13: bundle parts shared by another manifest", () => {
    beforeEach(async () => (env = await startEnv()));

    async function copiedManifest(): Promise<{ ours: ManagedAmiOutputs; theirs: string }> {
      const bundle = await putBundle(env.s3, "bundles", "web/", "web", 2);
      const partNames = bundle.partKeys.map((k) => k.slice("web/".length));
      await env.s3.send(
        new PutObjectCommand({
          Bucket: "bundles",
          Key: "web/copy.manifest.xml",
          Body: manifestXml(partNames),
        }),
      );
      const ours = await registerBundle(env.ec2, bundle);
      const theirs = await registerBundle(env.ec2, {
        bucket: "bundles",
        manifestKey: "web/copy.manifest.xml",
        partKeys: bundle.partKeys,
      });
      return { ours: outputsFor(env, ours, { rootDeviceType: "instance-store", bundle }), theirs };
    }

    it("teardown keeps parts another registered image's manifest lists, naming it", async () => {
      const { ours, theirs } = await copiedManifest();
      const d = deps(env);
      const result = await teardown(ours, d);
      assert.equal(result.bundle?.outcome, "in-use");
      assert.deepEqual(result.bundle?.usedBy, [theirs]);
      assert.equal((await listKeys(env.s3, "bundles")).length, 4);
    });

    it("audit --delete goes through the same check (deleteBundleSafely)", async () => {
      const { ours } = await copiedManifest();
      const { DeregisterImageCommand } = await import("@aws-sdk/client-ec2");
      await env.ec2.send(new DeregisterImageCommand({ ImageId: ours.imageId }));
      const out = await deleteBundleSafely(env.ec2, env.s3, ours.bundle!);
      assert.equal(out.outcome, "in-use");
      assert.equal((await listKeys(env.s3, "bundles")).length, 4);
    });

    it("a recorded part key outside the manifest's folder is refused, nothing deleted", async () => {
      const bundle = await putBundle(env.s3, "bundles", "web/", "web", 1);
      const foreign = await putBundle(env.s3, "bundles", "other/", "db", 1);
      const imageId = await registerBundle(env.ec2, bundle);
      const out = outputsFor(env, imageId, {
        rootDeviceType: "instance-store",
        bundle: { ...bundle, partKeys: [...bundle.partKeys, "web/../other/db.part.0"] },
      });
      const err = await teardownError(teardown(out, deps(env)));
      assert.match(err.message, /escapes the manifest's folder/);
      assert.deepEqual(
        await listKeys(env.s3, "bundles"),
        [...bundle.partKeys, bundle.manifestKey, ...foreign.partKeys, foreign.manifestKey].sort(),
      );
    });
  });
});
