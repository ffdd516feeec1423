// Regression tests for issue 10 (create/refresh/update side): wrong account (9), foreign snapshots
// (10), snapshots deleted out of band (14), partial creates under throttling (2), provable ownership.
import assert from "node:assert/strict";
import { CopyImageCommand, CreateSnapshotCommand, CreateVolumeCommand } from "@aws-sdk/client-ec2";
import { callerAccount } from "../../provider/aws/identity";
import { provablyOwnedSnapshots } from "../../provider/aws/snapshotOwnership";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import { createManagedAmi, ManagedAmiPartialError } from "../../provider/create";
import { readManagedAmi } from "../../provider/read";
import { teardown } from "../../provider/teardown";
import * as runtime from "../../provider/runtime";
import { ManagedAmiOutputs } from "../../provider/types";
import {
  ACCESS_KEY,
  FOREIGN_KEY,
  OTHER_REGION,
  REGION,
  launchInstance,
  makeImage,
  snapshots,
  tagMap,
  useLocalAws,
} from "./support";

/** Runs `fn` with the default credential chain set to another account's key. */
async function asKey<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_ACCESS_KEY_ID = key;
  try {
    return await fn();
  } finally {
    process.env.AWS_ACCESS_KEY_ID = saved;
  }
}

describe("issue 10: create / refresh / update safety", () => {
  const env = useLocalAws();
  before(() => {
    process.env.AWS_ENDPOINT_URL_STS = env.aws.endpoint;
  });
  after(() => {
    delete process.env.AWS_ENDPOINT_URL_STS;
  });
  beforeEach(() => env.aws.reset());

  async function fromInstance(name: string): Promise<ManagedAmiOutputs> {
    const instanceId = await launchInstance(env);
    return (await createManagedAmi({ name, fromInstance: { instanceId } }, env.deps())).outs;
  }

  describe("defect 9: credentials of another account", () => {
    it("callerAccount answers the account of the credentials in use", async () => {
      assert.deepEqual(await callerAccount(REGION), { accountId: env.accountId });
      const other = await asKey(FOREIGN_KEY, () => callerAccount(REGION));
      assert.equal(other.accountId, env.aws.state.accountIdFor(FOREIGN_KEY));
    });

    it("refresh with another account's credentials refuses, naming both accounts, instead of dropping the resource", async () => {
      const outs = await fromInstance("wrong-profile-read");
      const foreign = env.aws.state.accountIdFor(FOREIGN_KEY);
      await asKey(FOREIGN_KEY, () =>
        assert.rejects(readManagedAmi(outs.imageId, outs, env.deps()), (err: Error) => {
          assert.match(err.message, new RegExp(`belongs to account ${outs.ownerId}`));
          assert.match(err.message, new RegExp(`account ${foreign}`));
          assert.match(err.message, /profile|AWS_PROFILE/);
          return true;
        }),
      );
      // The own account still refreshes normally.
      const again = await readManagedAmi(outs.imageId, outs, env.deps());
      assert.equal(again.id, outs.imageId);
    });

    it("destroy with another account's credentials refuses and changes nothing", async () => {
      const outs = await fromInstance("wrong-profile-delete");
      const mark = env.mark();
      await asKey(FOREIGN_KEY, () => assert.rejects(runtime.delete(outs.imageId, outs), /destroy refused/));
      assert.deepEqual(
        env.actionsSince(mark).filter((a) => a !== "sts:GetCallerIdentity"),
        [],
        "no EC2/S3 call was made",
      );
      assert.equal(env.aws.state.images.get(outs.imageId)?.state, "available");
      for (const s of outs.snapshotIds) assert.ok(env.aws.state.snapshots.has(s));
    });

    it("an endpoint without STS skips the check (EC2 overridden, no STS endpoint): refresh still works", async () => {
      const outs = await fromInstance("no-sts");
      delete process.env.AWS_ENDPOINT_URL_STS;
      try {
        assert.ok((await callerAccount(REGION)).skipped);
        const mark = env.mark();
        const read = await readManagedAmi(outs.imageId, outs, env.deps());
        assert.equal(read.id, outs.imageId);
        assert.ok(!env.actionsSince(mark).includes("sts:GetCallerIdentity"));
      } finally {
        process.env.AWS_ENDPOINT_URL_STS = env.aws.endpoint;
      }
    });
  });

  describe("defect 10: snapshots another account owns", () => {
    it("adopt records, tags and claims only the caller's own snapshots and says what it left out", async () => {
      const imageId = await makeImage(env, "adopt-mixed");
      const foreignEc2 = env.ec2(REGION, FOREIGN_KEY);
      const vol = await foreignEc2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 8 }));
      const partner = (await foreignEc2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId })))
        .SnapshotId as string;
      // A partner's shared snapshot as a data volume of the image.
      const record = env.aws.state.images.get(imageId);
      assert.ok(record);
      const root = record.blockDeviceMappings[0];
      record.blockDeviceMappings.push({ ...root, deviceName: "/dev/sdf", snapshotId: partner });
      const warnings: string[] = [];
      const { outs } = await createManagedAmi(
        { adopt: { imageId }, tags: { team: "x" } },
        env.deps({ log: { warn: (m) => warnings.push(m) } }),
      );
      assert.ok(!outs.snapshotIds.includes(partner), "the partner's snapshot is not recorded");
      assert.deepEqual(outs.unownedSnapshotIds, [partner]);
      assert.ok(outs.snapshotIds.includes(root.snapshotId as string));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(partner));
      const partnerTags = env.aws.state.snapshots.get(partner)?.tags ?? [];
      assert.deepEqual(partnerTags, [], "the partner's snapshot was not tagged");
    });
  });

  it("defect 10, older records: refresh moves another account's recorded snapshot to unownedSnapshotIds; update never tags it", async () => {
    const outs = await fromInstance("legacy-record");
    const foreignEc2 = env.ec2(REGION, FOREIGN_KEY);
    const vol = await foreignEc2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 8 }));
    const partner = (await foreignEc2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId })))
      .SnapshotId as string;
    assert.ok(env.aws.state.snapshots.get(partner));
    const legacy: ManagedAmiOutputs = { ...outs, snapshotIds: [...outs.snapshotIds, partner] };
    // What an earlier version recorded. local-aws has no snapshot sharing, so the caller cannot see the
    // partner's snapshot at all and it is dropped like a gone one (with sharing it would be listed
    // under unownedSnapshotIds); either way it leaves the owned record.
    const read = await readManagedAmi(outs.imageId, legacy, env.deps());
    const props = read.props as ManagedAmiOutputs;
    assert.deepEqual(
      props.snapshotIds,
      outs.snapshotIds,
      "the partner's snapshot is no longer recorded as owned",
    );
    const { updateManagedAmi } = await import("../../provider/update");
    await updateManagedAmi(
      outs.imageId,
      legacy,
      { name: "legacy-record", fromInstance: { instanceId: "i-0" }, tags: { t: "1" } },
      env.deps(),
    );
    assert.deepEqual(env.aws.state.snapshots.get(partner)?.tags, [], "the partner's snapshot was not tagged");
  });

  describe("defect 14: a recorded snapshot deleted out of band", () => {
    it("refresh keeps the recorded snapshots that exist and drops the one AWS says is gone", async () => {
      const outs = await fromInstance("refresh-gone");
      const [gone, ...kept] = outs.snapshotIds;
      assert.ok(gone);
      env.aws.state.snapshots.delete(gone);
      const read = await readManagedAmi(outs.imageId, outs, env.deps());
      assert.deepEqual(read.props?.snapshotIds, kept);
    });

    it("refresh fails clearly when DescribeSnapshots fails, instead of dropping any recorded snapshot", async () => {
      const outs = await fromInstance("refresh-error");
      env.aws.faults.inject({ action: "DescribeSnapshots", code: "UnauthorizedOperation", status: 403 });
      await assert.rejects(readManagedAmi(outs.imageId, outs, env.deps()), /DescribeSnapshots/);
    });
  });

  describe("defect 2: a create that fails under throttling", () => {
    it("records the image's own snapshots even when DescribeImages stays throttled, so destroy finds them", async () => {
      process.env.MANAGED_AMI_RETRY_BUDGET_MS = "100";
      try {
        const instanceId = await launchInstance(env);
        env.aws.faults.inject({
          action: "DescribeImages",
          code: "RequestLimitExceeded",
          status: 503,
          times: Infinity,
        });
        const err = await createManagedAmi(
          { name: "throttled", fromInstance: { instanceId } },
          env.deps(),
        ).then(
          () => assert.fail("create should fail"),
          (e: unknown) => e as ManagedAmiPartialError,
        );
        assert.ok(err instanceof ManagedAmiPartialError, String(err));
        env.aws.faults.clear();
        const made = [...env.aws.state.snapshots.values()].filter((s) => s.description?.includes(err.id));
        assert.ok(made.length > 0);
        assert.deepEqual(
          [...(err.properties.snapshotIds as string[])].sort(),
          made.map((s) => s.snapshotId).sort(),
        );
        assert.match(String(err.properties.createToken), /^mami-/);
      } finally {
        process.env.MANAGED_AMI_RETRY_BUDGET_MS = "2000";
      }
    });

    it("the partial record of a throttled create is enough for destroy: nothing is orphaned", async () => {
      process.env.MANAGED_AMI_RETRY_BUDGET_MS = "100";
      let err: ManagedAmiPartialError | undefined;
      try {
        const instanceId = await launchInstance(env);
        env.aws.faults.inject({
          action: "DescribeImages",
          code: "RequestLimitExceeded",
          status: 503,
          times: Infinity,
        });
        err = await createManagedAmi(
          { name: "throttled-then-destroyed", fromInstance: { instanceId } },
          env.deps(),
        ).then(
          () => undefined,
          (e: unknown) => e as ManagedAmiPartialError,
        );
      } finally {
        env.aws.faults.clear();
        process.env.MANAGED_AMI_RETRY_BUDGET_MS = "2000";
      }
      assert.ok(err instanceof ManagedAmiPartialError);
      const made = [...env.aws.state.snapshots.values()]
        .filter((s) => s.description?.includes(err.id))
        .map((s) => s.snapshotId);
      assert.ok(made.length > 0);
      env.aws.advance(env.aws.timing.imageAvailableAfterMs);
      await teardown(err.properties as unknown as ManagedAmiOutputs, {
        ec2: env.ec2(),
        log: { warn: () => {} },
      });
      assert.deepEqual(
        made.filter((id) => env.aws.state.snapshots.has(id)),
        [],
        "the image's snapshots are deleted",
      );
    });

    it("provablyOwnedSnapshots finds CreateImage and CopyImage snapshots by AWS's descriptions and by token, never another image's", async () => {
      const a = await makeImage(env, "prov-a");
      const b = await makeImage(env, "prov-b");
      const snapsOf = (id: string) =>
        [...env.aws.state.snapshots.values()]
          .filter((s) => s.description?.includes(`for ${id}`))
          .map((s) => s.snapshotId)
          .sort();
      const ec2 = env.ec2();
      assert.deepEqual(await provablyOwnedSnapshots(ec2, a), snapsOf(a));
      assert.deepEqual(await provablyOwnedSnapshots(ec2, b), snapsOf(b));
      const source = await makeImage(env, "prov-src", OTHER_REGION);
      const copy = await ec2.send(
        new CopyImageCommand({
          Name: "prov-copy",
          SourceImageId: source,
          SourceRegion: OTHER_REGION,
          TagSpecifications: [
            { ResourceType: "snapshot", Tags: [{ Key: CREATE_TOKEN_TAG, Value: "mami-tok" }] },
          ],
        }),
      );
      const copied = [...env.aws.state.snapshots.values()]
        .filter((s) => s.description?.startsWith(`Copied for DestinationAmi ${copy.ImageId}`))
        .map((s) => s.snapshotId)
        .sort();
      assert.ok(copied.length > 0);
      assert.deepEqual(await provablyOwnedSnapshots(ec2, copy.ImageId as string), copied);
      assert.deepEqual(await provablyOwnedSnapshots(ec2, "ami-00000000000000000", "mami-tok"), copied);
      // Another account sees nothing of ours.
      assert.deepEqual(await provablyOwnedSnapshots(env.ec2(REGION, FOREIGN_KEY), a), []);
    });
  });

  it("two stacks creating the same name and source concurrently: one image, claimed by exactly one of them", async () => {
    const instanceId = await launchInstance(env);
    const inputs = (key: string) => ({
      name: "same-name-two-stacks",
      fromInstance: { instanceId },
      __claimKey: key,
    });
    const results = await Promise.allSettled([
      createManagedAmi(inputs("1111111111111111"), env.deps()),
      createManagedAmi(inputs("2222222222222222"), env.deps()),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(failed.length, 1);
    assert.match(String(failed[0].reason?.message), /already exists/);
    assert.equal((failed[0].reason as { id?: string }).id, undefined, "the loser records no image");
    const images = [...env.aws.state.images.values()].filter((i) => i.name === "same-name-two-stacks");
    assert.equal(images.length, 1);
  });

  describe("defect 1: ownership tags", () => {
    it("deleteSnapshots: false → neither the ownership tag nor the create token on the snapshots", async () => {
      const instanceId = await launchInstance(env);
      const { outs } = await createManagedAmi(
        { name: "kept-snaps", fromInstance: { instanceId }, deleteSnapshots: false },
        env.deps(),
      );
      assert.ok(outs.snapshotIds.length > 0);
      for (const s of await snapshots(env, outs.snapshotIds)) {
        assert.equal(tagMap(s.Tags)[MANAGED_AMI_IMAGE_TAG], undefined);
        assert.equal(tagMap(s.Tags)[CREATE_TOKEN_TAG], undefined);
      }
    });
  });

  it("the test keys are different accounts", () => {
    assert.notEqual(env.aws.state.accountIdFor(ACCESS_KEY), env.aws.state.accountIdFor(FOREIGN_KEY));
  });
});
