// The ManagedAmiProvider class end to end, as the host calls it: each method loads the installed
// runtime (`pulumi-managed-ami/runtime` → dist/provider/runtime.js; `npm run build` first).
import assert from "node:assert/strict";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CreateImageCommand } from "@aws-sdk/client-ec2";
import { ManagedAmiProvider } from "../../provider/provider";
import { ManagedAmiOutputs } from "../../provider/types";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import {
  describe as describeImage,
  launchInstance,
  makeSnapshot,
  MUTATING,
  REGION,
  snapshots,
  tagMap,
  useLocalAws,
} from "./support";

const REPO = join(__dirname, "..", "..");

/** The installed runtime (dist/provider/runtime.js), as the serialized provider loads it. */
function runtimeModule(): typeof import("../../provider/runtime") {
  const runtimePath = require.resolve("pulumi-managed-ami/runtime", { paths: [join(REPO, "provider")] });
  return require(runtimePath) as typeof import("../../provider/runtime");
}

describe("ManagedAmiProvider", () => {
  const env = useLocalAws();
  const provider = new ManagedAmiProvider();

  it("delegates to the installed runtime (dist/provider/runtime.js) through the package's exports", () => {
    const resolved = require.resolve("pulumi-managed-ami/runtime", { paths: [join(REPO, "provider")] });
    assert.equal(resolved, join(REPO, "dist", "provider", "runtime.js"));
    const runtime = require(resolved);
    for (const m of ["check", "diff", "create", "read", "update", "delete"])
      assert.equal(typeof runtime[m], "function", m);
  });

  it("is constructed with no arguments and holds no state of its own", () => {
    assert.equal(ManagedAmiProvider.length, 0);
    assert.deepEqual(Object.keys(provider), []);
  });

  it("check: bad input fails with the property named, before any AWS call", async () => {
    const mark = env.mark();
    const result = await provider.check({}, { name: "x", fromInstance: { instanceId: "i-nothex" } });
    assert.ok(result.failures && result.failures.length > 0);
    assert.ok(
      result.failures.some((f) => f.property.startsWith("fromInstance") || f.property === "name"),
      JSON.stringify(result.failures),
    );
    assert.deepEqual(env.actionsSince(mark), []);
  });

  it("diff: a name change replaces", async () => {
    const olds = {
      name: "a",
      region: REGION,
      fromInstance: { instanceId: "i-0123456789abcdef0" },
    } as ManagedAmiOutputs;
    const result = await provider.diff("ami-0123456789abcdef0", olds, { ...olds, name: "b" });
    assert.ok(result.replaces?.includes("name"), JSON.stringify(result));
  });

  it("create → read → update → delete: the image and its snapshots are gone at the end", async () => {
    const instanceId = await launchInstance(env);
    const created = await provider.create({
      name: "lifecycle",
      tags: { a: "1" },
      fromInstance: { instanceId },
    });
    const outs = created.outs as ManagedAmiOutputs;
    assert.equal(created.id, outs.imageId);
    assert.equal(outs.region, REGION);
    assert.ok(outs.snapshotIds.length > 0);

    const read = await provider.read(created.id, outs);
    assert.equal(read.id, created.id);
    assert.equal(read.props?.state, "available");

    const updated = await provider.update(created.id, outs, {
      name: "lifecycle",
      tags: { a: "2" },
      fromInstance: { instanceId },
    });
    assert.deepEqual(updated.outs?.tags, { a: "2" });
    for (const s of await snapshots(env, outs.snapshotIds))
      assert.deepEqual(tagMap(s.Tags), {
        a: "2",
        [MANAGED_AMI_IMAGE_TAG]: outs.imageId,
        [CREATE_TOKEN_TAG]: outs.createToken,
      });

    await provider.delete(created.id, updated.outs as ManagedAmiOutputs);
    const image = await describeImage(env, created.id);
    assert.ok(!image || image.State === "deregistered", `image state ${image?.State}`);
    assert.deepEqual(await snapshots(env, outs.snapshotIds), []);
    const gone = await provider.read(created.id, updated.outs as ManagedAmiOutputs);
    assert.ok(!gone.id);
  });

  it("delete: warnings (a snapshot another AMI still uses) go to pulumi.log.warn", async () => {
    const snap = await makeSnapshot(env);
    const mapping = {
      rootDeviceName: "/dev/xvda",
      blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
    };
    const ours = await provider.create({ name: "shared-a", fromSnapshots: mapping });
    const other = await provider.create({ name: "shared-b", fromSnapshots: mapping });
    // The log module the installed runtime resolves at call time (the host's @pulumi/pulumi copy).
    const log = runtimeModule().hostPulumiLog() as { warn: typeof pulumi.log.warn };
    const warnings: string[] = [];
    const original = log.warn;
    log.warn = async (msg: string) => void warnings.push(msg);
    try {
      await provider.delete(ours.id, ours.outs as ManagedAmiOutputs);
    } finally {
      log.warn = original;
    }
    assert.equal((await snapshots(env, [snap])).length, 1, "the shared snapshot is kept");
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0], new RegExp(`${snap}.*${other.id}`));
  });

  describe("a create that times out", () => {
    const slow = useLocalAws({ imageAvailableAfterMs: 3_600_000 });

    it("rejects with the id, the properties and __provider (the host's ErrorResourceInitFailed)", async () => {
      const instanceId = await launchInstance(slow);
      process.env.MANAGED_AMI_WAIT_TIMEOUT_MS = "0";
      let err: { id?: string; properties?: Record<string, unknown>; reasons?: string[]; message: string };
      try {
        err = await provider
          .create({ name: "never-ready", fromInstance: { instanceId }, __provider: "text" } as never)
          .then(
            () => assert.fail("create should fail"),
            (e) => e,
          );
      } finally {
        delete process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
      }
      const imageId = [...slow.aws.state.images.values()].find((i) => i.name === "never-ready")?.imageId;
      assert.ok(imageId);
      assert.equal(err.id, imageId);
      assert.equal(err.properties?.imageId, imageId);
      assert.equal(err.properties?.__provider, "text");
      assert.ok(err.reasons?.[0]?.includes(imageId));
    });

    it("adopting an image that is not yet available changes nothing when the wait fails", async () => {
      const instanceId = await launchInstance(slow);
      const created = await slow
        .ec2()
        .send(new CreateImageCommand({ InstanceId: instanceId, Name: "pending-adopt" }));
      process.env.MANAGED_AMI_WAIT_TIMEOUT_MS = "0";
      const mark = slow.mark();
      try {
        await assert.rejects(
          provider.create({ adopt: { imageId: created.ImageId as string }, tags: { a: "b" } }),
          (e: Error & { id?: string }) => {
            assert.match(e.message, /cannot adopt/);
            assert.equal(e.id, undefined);
            return true;
          },
        );
      } finally {
        delete process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
      }
      assert.deepEqual(
        slow.actionsSince(mark).filter((a) => MUTATING.test(a)),
        [],
      );
    });
  });
});
