import assert from "node:assert/strict";
import { CreateTagsCommand, DeleteSnapshotCommand, DeregisterImageCommand } from "@aws-sdk/client-ec2";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { createManagedAmi } from "../../provider/create";
import { readManagedAmi } from "../../provider/read";
import { ManagedAmiOutputs } from "../../provider/types";
import { bundle, launchInstance, makeSnapshot, MUTATING, REGION, useLocalAws } from "./support";

describe("provider read (refresh)", () => {
  const env = useLocalAws();

  async function fromInstance(name: string, tags?: Record<string, string>): Promise<ManagedAmiOutputs> {
    const instanceId = await launchInstance(env);
    return (await createManagedAmi({ name, tags, fromInstance: { instanceId } }, env.deps())).outs;
  }

  it("image present: returns the id, current state and current tags, keeping the recorded storage", async () => {
    const outs = await fromInstance("read-present", { a: "1" });
    await env
      .ec2()
      .send(new CreateTagsCommand({ Resources: [outs.imageId], Tags: [{ Key: "drift", Value: "x" }] }));
    const mark = env.mark();
    const result = await readManagedAmi(outs.imageId, { ...outs, state: "stale" }, env.deps());
    assert.equal(result.id, outs.imageId);
    assert.equal(result.props?.state, "available");
    assert.deepEqual(result.props?.tags, { a: "1", drift: "x" });
    assert.deepEqual(result.props?.snapshotIds, outs.snapshotIds);
    assert.equal(result.props?.region, REGION);
    assert.deepEqual(
      env.actionsSince(mark).filter((a) => MUTATING.test(a)),
      [],
      "refresh changes nothing",
    );
  });

  it("leaves tags unmanaged when the program sets none", async () => {
    const outs = await fromInstance("read-untagged");
    await env
      .ec2()
      .send(new CreateTagsCommand({ Resources: [outs.imageId], Tags: [{ Key: "other", Value: "tool" }] }));
    const result = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.equal(result.props?.tags, undefined);
  });

  it("does not carry __provider in the props it returns (the host adds it)", async () => {
    const outs = await fromInstance("read-provider");
    const result = await readManagedAmi(outs.imageId, { ...outs, __provider: "x" } as never, env.deps());
    assert.equal((result.props as unknown as Record<string, unknown>).__provider, undefined);
  });

  it("image gone but a snapshot left: keeps the resource as deregistered with its record", async () => {
    const outs = await fromInstance("read-gone-storage");
    await env.ec2().send(new DeregisterImageCommand({ ImageId: outs.imageId }));
    const result = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.equal(result.id, outs.imageId);
    assert.equal(result.props?.state, "deregistered");
    assert.deepEqual(result.props?.snapshotIds, outs.snapshotIds);
  });

  it("image and every owned snapshot gone: returns no id", async () => {
    const outs = await fromInstance("read-all-gone");
    await env.ec2().send(new DeregisterImageCommand({ ImageId: outs.imageId }));
    for (const s of outs.snapshotIds) await env.ec2().send(new DeleteSnapshotCommand({ SnapshotId: s }));
    const result = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.ok(!result.id, `id: ${result.id}`);
  });

  it("image purged from DescribeImages (not even deregistered) with storage left: still kept", async () => {
    const snap = await makeSnapshot(env);
    const { outs } = await createManagedAmi(
      {
        name: "read-purged",
        fromSnapshots: {
          rootDeviceName: "/dev/xvda",
          blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
        },
      },
      env.deps(),
    );
    env.aws.state.images.delete(outs.imageId);
    const result = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.equal(result.id, outs.imageId);
    assert.equal(result.props?.state, "deregistered");
  });

  it("instance-store: kept while bundle objects remain, gone once they are deleted", async () => {
    const seeded = bundle(env, "read-bundles", "is");
    const { outs } = await createManagedAmi(
      { name: "read-is", fromManifest: { imageLocation: seeded.imageLocation } },
      env.deps(),
    );
    await env.ec2().send(new DeregisterImageCommand({ ImageId: outs.imageId }));
    const kept = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.equal(kept.id, outs.imageId);
    assert.equal(kept.props?.state, "deregistered");
    assert.deepEqual(kept.props?.bundle, outs.bundle);
    await env.s3().send(
      new DeleteObjectsCommand({
        Bucket: seeded.bucket,
        Delete: { Objects: [seeded.manifestKey, ...seeded.partKeys].map((Key) => ({ Key })) },
      }),
    );
    const gone = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.ok(!gone.id);
  });

  it("fills in the storage a create left unrecorded (it stopped while the image was pending)", async () => {
    const outs = await fromInstance("read-fill");
    const result = await readManagedAmi(
      outs.imageId,
      { ...outs, snapshotIds: [], state: "pending" },
      env.deps(),
    );
    assert.deepEqual(result.props?.snapshotIds, outs.snapshotIds);
    assert.ok(outs.snapshotIds.length > 0);
  });

  it("uses the recorded region, not the SDK's default", async () => {
    const outs = await fromInstance("read-region");
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = "eu-west-1";
    try {
      const mark = env.mark();
      const result = await readManagedAmi(outs.imageId, outs, env.deps());
      assert.equal(result.props?.state, "available");
      assert.deepEqual([...new Set(env.aws.log.slice(mark).map((e) => e.region))], [REGION]);
    } finally {
      process.env.AWS_REGION = saved;
    }
  });

  it("a failed lookup names the resource, the call and the AWS code", async () => {
    const outs = await fromInstance("read-denied");
    env.aws.faults.inject({ action: "DescribeImages", code: "UnauthorizedOperation", status: 403, times: 1 });
    try {
      await assert.rejects(
        readManagedAmi(outs.imageId, outs, env.deps()),
        new RegExp(
          `ManagedAmi "read-denied" \\(${outs.imageId}\\): refresh: DescribeImages was refused \\(UnauthorizedOperation`,
        ),
      );
    } finally {
      env.aws.faults.clear();
    }
  });
});
