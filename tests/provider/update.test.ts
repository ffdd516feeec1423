import assert from "node:assert/strict";
import { createManagedAmi } from "../../provider/create";
import { updateManagedAmi } from "../../provider/update";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import { ManagedAmiInputs, ManagedAmiOutputs } from "../../provider/types";
import {
  describe as describeImage,
  launchInstance,
  makeImage,
  MUTATING,
  snapshots,
  tagMap,
  useLocalAws,
} from "./support";

describe("provider update", () => {
  const env = useLocalAws();

  async function created(
    name: string,
    extra: Partial<ManagedAmiInputs> = {},
  ): Promise<{ inputs: ManagedAmiInputs; outs: ManagedAmiOutputs }> {
    const instanceId = await launchInstance(env);
    const inputs: ManagedAmiInputs = { name, fromInstance: { instanceId }, ...extra };
    return { inputs, outs: (await createManagedAmi(inputs, env.deps())).outs };
  }

  it("changes the description with ModifyImageAttribute", async () => {
    const { inputs, outs } = await created("upd-desc", { description: "v1" });
    const mark = env.mark();
    const result = await updateManagedAmi(outs.imageId, outs, { ...inputs, description: "v2" }, env.deps());
    assert.deepEqual(
      env.actionsSince(mark).filter((a) => MUTATING.test(a)),
      ["ModifyImageAttribute"],
    );
    assert.equal((await describeImage(env, outs.imageId))?.Description, "v2");
    assert.equal(result.outs?.description, "v2");
  });

  it("with deleteSnapshots: false, create tags no snapshot with the ownership claim", async () => {
    const { outs } = await created("upd-kept", { deleteSnapshots: false, tags: { t: "1" } });
    assert.ok(outs.snapshotIds.length >= 1);
    for (const s of await snapshots(env, outs.snapshotIds)) {
      const tags = tagMap(s.Tags);
      assert.equal(tags[MANAGED_AMI_IMAGE_TAG], undefined);
      assert.equal(tags[CREATE_TOKEN_TAG], undefined);
    }
  });

  it("sets, changes and removes tags on the AMI and on every owned snapshot", async () => {
    const { inputs, outs } = await created("upd-tags", { tags: { keep: "1", change: "old", drop: "x" } });
    const next = { keep: "1", change: "new", add: "y" };
    const result = await updateManagedAmi(outs.imageId, outs, { ...inputs, tags: next }, env.deps());
    const token = { [CREATE_TOKEN_TAG]: outs.createToken };
    const done = { [CREATE_TOKEN_TAG]: `${outs.createToken}.done` };
    assert.deepEqual(tagMap((await describeImage(env, outs.imageId))?.Tags), { ...next, ...done });
    const snaps = await snapshots(env, outs.snapshotIds);
    assert.equal(snaps.length, outs.snapshotIds.length);
    for (const s of snaps)
      assert.deepEqual(tagMap(s.Tags), { ...next, ...token, [MANAGED_AMI_IMAGE_TAG]: outs.imageId });
    assert.deepEqual(result.outs?.tags, next);
  });

  it("removing every tag deletes them from the AMI and the snapshots", async () => {
    const { inputs, outs } = await created("upd-untag", { tags: { a: "1" } });
    const { tags: _dropped, ...rest } = inputs;
    const result = await updateManagedAmi(outs.imageId, outs, rest, env.deps());
    const token = { [CREATE_TOKEN_TAG]: outs.createToken };
    assert.deepEqual(tagMap((await describeImage(env, outs.imageId))?.Tags), {
      [CREATE_TOKEN_TAG]: `${outs.createToken}.done`,
    });
    // The user's tags are gone; the bookkeeping tags (not user tags) stay.
    for (const s of await snapshots(env, outs.snapshotIds))
      assert.deepEqual(tagMap(s.Tags), { ...token, [MANAGED_AMI_IMAGE_TAG]: outs.imageId });
    assert.equal(result.outs?.tags, undefined);
  });

  it("changes deleteBundle and disableDeregistrationProtection in state only, with no AWS call", async () => {
    const { inputs, outs } = await created("upd-flags");
    const mark = env.mark();
    const result = await updateManagedAmi(
      outs.imageId,
      outs,
      { ...inputs, deleteBundle: false, disableDeregistrationProtection: true },
      env.deps(),
    );
    assert.deepEqual(env.actionsSince(mark), []);
    assert.equal(result.outs?.deleteBundle, false);
    assert.equal(result.outs?.disableDeregistrationProtection, true);
  });

  it("turning deleteSnapshots off removes the snapshots' ownership claim; turning it on adds it back", async () => {
    const { inputs, outs } = await created("upd-claim", { tags: { team: "a" } });
    const off = await updateManagedAmi(outs.imageId, outs, { ...inputs, deleteSnapshots: false }, env.deps());
    assert.equal(off.outs?.deleteSnapshots, false);
    for (const s of await snapshots(env, outs.snapshotIds)) {
      const tags = tagMap(s.Tags);
      assert.equal(tags[MANAGED_AMI_IMAGE_TAG], undefined, `${s.SnapshotId} still claimed`);
      assert.equal(tags[CREATE_TOKEN_TAG], undefined, `${s.SnapshotId} still carries the create token`);
      assert.equal(tags.team, "a", "the user's tags stay");
    }
    const offOuts = off.outs as ManagedAmiOutputs;
    await updateManagedAmi(outs.imageId, offOuts, { ...inputs, deleteSnapshots: true }, env.deps());
    for (const s of await snapshots(env, outs.snapshotIds))
      assert.equal(tagMap(s.Tags)[MANAGED_AMI_IMAGE_TAG], outs.imageId);
  });

  it("a tag update tags only the recorded snapshots that still exist (one deleted out of band)", async () => {
    const { inputs, outs } = await created("upd-gone-snap", { tags: { v: "1" } });
    assert.ok(outs.snapshotIds.length >= 1);
    const gone = outs.snapshotIds[0];
    // Out of band: the snapshot is deleted behind the resource's back.
    env.aws.state.snapshots.delete(gone);
    const result = await updateManagedAmi(outs.imageId, outs, { ...inputs, tags: { v: "2" } }, env.deps());
    assert.deepEqual(tagMap((await describeImage(env, outs.imageId))?.Tags).v, "2");
    for (const s of await snapshots(env, outs.snapshotIds.slice(1))) assert.equal(tagMap(s.Tags).v, "2");
    assert.deepEqual(result.outs?.tags, { v: "2" });
  });

  it("keeps every computed output, takes inputs from the new ones and drops __provider", async () => {
    const { inputs, outs } = await created("upd-keep", { tags: { a: "1" } });
    const result = await updateManagedAmi(
      outs.imageId,
      { ...outs, __provider: "old" } as never,
      { ...inputs, __provider: "new" } as never,
      env.deps(),
    );
    const got = result.outs as ManagedAmiOutputs & { __provider?: string };
    for (const key of [
      "imageId",
      "region",
      "ownerId",
      "state",
      "rootDeviceType",
      "snapshotIds",
      "creationDate",
      "architecture",
    ] as const) {
      assert.deepEqual(got[key], outs[key], key);
    }
    assert.equal(got.__provider, undefined);
  });

  it("keeps an adopted image's name when the inputs have none", async () => {
    const imageId = await makeImage(env, "packer-upd");
    const { outs } = await createManagedAmi({ adopt: { imageId } }, env.deps());
    const result = await updateManagedAmi(
      imageId,
      outs,
      { adopt: { imageId }, tags: { t: "1" } },
      env.deps(),
    );
    assert.equal(result.outs?.name, "packer-upd");
    assert.equal(tagMap((await describeImage(env, imageId))?.Tags).t, "1");
  });

  it("finishes a resource a failed create left pending: records its snapshots and tags them", async () => {
    const { inputs, outs } = await created("upd-pending", { tags: { t: "p" } });
    const partial: ManagedAmiOutputs = { ...outs, state: "pending", snapshotIds: [] };
    const result = await updateManagedAmi(outs.imageId, partial, inputs, env.deps());
    assert.equal(result.outs?.state, "available");
    assert.deepEqual(result.outs?.snapshotIds, outs.snapshotIds);
  });

  it("sends nothing to AWS for an image already deregistered (only its storage is left)", async () => {
    const { inputs, outs } = await created("upd-gone");
    const mark = env.mark();
    const result = await updateManagedAmi(
      outs.imageId,
      { ...outs, state: "deregistered" },
      { ...inputs, tags: { x: "y" } },
      env.deps(),
    );
    assert.deepEqual(env.actionsSince(mark), []);
    assert.deepEqual(result.outs?.tags, { x: "y" });
    assert.equal(result.outs?.state, "deregistered");
  });

  it("fails with a message naming the image when AWS refuses, so the engine keeps the old state", async () => {
    const { inputs, outs } = await created("upd-fail", { description: "v1" });
    env.aws.faults.inject({
      action: "ModifyImageAttribute",
      code: "UnauthorizedOperation",
      status: 403,
      times: 1,
    });
    try {
      await assert.rejects(
        updateManagedAmi(outs.imageId, outs, { ...inputs, description: "v2" }, env.deps()),
        (err: Error & { id?: string }) => {
          assert.match(
            err.message,
            new RegExp(`ManagedAmi "upd-fail" \\(${outs.imageId}\\): update failed: .*`),
          );
          assert.equal(err.id, undefined);
          return true;
        },
      );
    } finally {
      env.aws.faults.clear();
    }
  });
});
