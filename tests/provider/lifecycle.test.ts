// Lifecycle inputs (spec v2 "ManagedAmi: new inputs", issue 12) and auto-naming: check and diff
// (pure), then create / update / refresh against local-aws with the real SDK.
import assert from "node:assert/strict";
import {
  DescribeImagesCommand,
  DisableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
} from "@aws-sdk/client-ec2";
import { checkInputs } from "../../provider/check";
import { createManagedAmi } from "../../provider/create";
import { diffManagedAmi } from "../../provider/diff";
import { readManagedAmi } from "../../provider/read";
import { updateManagedAmi } from "../../provider/update";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "../../provider/types";
import { launchInstance, MUTATING, useLocalAws } from "./support";

const SNAP = "snap-0123456789abcdef0";
const fromSnapshots = {
  rootDeviceName: "/dev/xvda",
  blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: SNAP }],
};
const FUTURE = "2031-03-04T05:06:00Z";

/** checkInputs with its (always set) inputs typed. */
function check(olds: object, news: object): { inputs: ManagedAmiInputs; failures: unknown[] } {
  const r = checkInputs(olds, news);
  return { inputs: r.inputs as ManagedAmiInputs, failures: r.failures ?? [] };
}

describe("auto-naming (check)", () => {
  it("an absent name becomes <resource name>-<7 hex>", () => {
    const r = check({}, { fromSnapshots, __resourceName: "web" });
    assert.deepEqual(r.failures, []);
    assert.match(String(r.inputs.name), /^web-[0-9a-f]{7}$/);
  });

  it("without __resourceName the prefix is managed-ami; characters AMI names refuse become -", () => {
    assert.match(String(check({}, { fromSnapshots }).inputs.name), /^managed-ami-[0-9a-f]{7}$/);
    assert.match(
      String(check({}, { fromSnapshots, __resourceName: "web:v1*" }).inputs.name),
      /^web-v1--[0-9a-f]{7}$/,
    );
  });

  it("keeps the old name on an update that replaces nothing", () => {
    const first = check({}, { fromSnapshots, __resourceName: "web" }).inputs;
    const second = check(first, { fromSnapshots, description: "v2", __resourceName: "web" });
    assert.equal(second.inputs.name, first.name);
    assert.equal(diffManagedAmi("ami-1", first as ManagedAmiOutputs, second.inputs).replaces?.length, 0);
  });

  it("a replacement of an auto-named image gets a fresh name and is create-before-delete", () => {
    const first = check({}, { fromSnapshots, __resourceName: "web" }).inputs;
    const moved = {
      ...fromSnapshots,
      blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: "snap-0fedcba9876543210" }],
    };
    const second = check(first, { fromSnapshots: moved, __resourceName: "web" });
    assert.deepEqual(second.failures, []);
    assert.match(String(second.inputs.name), /^web-[0-9a-f]{7}$/);
    assert.notEqual(second.inputs.name, first.name);
    const diff = diffManagedAmi("ami-1", first as ManagedAmiOutputs, second.inputs);
    assert.deepEqual(diff.replaces, ["fromSnapshots", "name"]);
    assert.equal(diff.deleteBeforeReplace, false);
  });

  it("an adopted image is never auto-named (it keeps its own name)", () => {
    const r = check({}, { adopt: { imageId: "ami-0123456789abcdef0" }, __resourceName: "web" });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.name, undefined);
  });
});

describe("lifecycle inputs (check, diff)", () => {
  it("accepts the documented values", () => {
    const r = checkInputs(
      {},
      {
        name: "web",
        fromSnapshots,
        whenInUse: "warn",
        deregistrationProtection: true,
        deprecationTime: FUTURE,
        disabled: false,
      },
    );
    assert.deepEqual(r.failures, []);
  });

  it("each lifecycle input is an in-place update, never a replacement", () => {
    const olds = {
      name: "web",
      fromSnapshots,
      imageId: "ami-1",
      deregistrationProtection: false,
      disabled: false,
    } as unknown as ManagedAmiOutputs;
    for (const change of [
      { whenInUse: "warn" },
      { deregistrationProtection: true },
      { deprecationTime: FUTURE },
      { disabled: true },
    ]) {
      const diff = diffManagedAmi("ami-1", olds, {
        name: "web",
        fromSnapshots,
        ...change,
      } as ManagedAmiInputs);
      assert.equal(diff.changes, true, JSON.stringify(change));
      assert.deepEqual(diff.replaces, [], JSON.stringify(change));
    }
  });

  it("defaults equal absence, and deprecation times compare to the minute (AWS rounds them)", () => {
    const olds = {
      name: "web",
      fromSnapshots,
      deregistrationProtection: false,
      disabled: false,
      deprecationTime: "2031-03-04T05:06:00.000Z",
    } as unknown as ManagedAmiOutputs;
    const diff = diffManagedAmi("ami-1", olds, {
      name: "web",
      fromSnapshots,
      whenInUse: "fail",
      deprecationTime: "2031-03-04T05:06:10Z",
    });
    assert.equal(diff.changes, false);
    const removed = diffManagedAmi("ami-1", olds, { name: "web", fromSnapshots });
    assert.equal(removed.changes, true, "removing deprecationTime un-deprecates");
  });

  it("drift read back by refresh (protection turned on out of band) is a change", () => {
    const olds = {
      name: "web",
      fromSnapshots,
      deregistrationProtection: true,
      disabled: false,
    } as unknown as ManagedAmiOutputs;
    assert.equal(diffManagedAmi("ami-1", olds, { name: "web", fromSnapshots }).changes, true);
  });
});

describe("lifecycle inputs (create, update, refresh)", function () {
  this.timeout(30_000);
  const env = useLocalAws();

  async function image(imageId: string) {
    const out = await env
      .ec2()
      .send(
        new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true, IncludeDeprecated: true }),
      );
    return out.Images?.[0];
  }

  async function created(name: string, extra: Partial<ManagedAmiInputs> = {}) {
    const instanceId = await launchInstance(env);
    const inputs: ManagedAmiInputs = { name, fromInstance: { instanceId }, ...extra };
    return { inputs, outs: (await createManagedAmi(inputs, env.deps())).outs };
  }

  it("create applies deregistrationProtection, deprecationTime and disabled and records what AWS reports", async () => {
    const { outs } = await created("lc-create", {
      deregistrationProtection: true,
      deprecationTime: FUTURE,
      disabled: true,
    });
    const img = await image(outs.imageId);
    assert.match(String(img?.DeregistrationProtection), /^enabled/);
    assert.equal(Date.parse(String(img?.DeprecationTime)), Date.parse(FUTURE));
    assert.equal(img?.State, "disabled");
    assert.equal(outs.deregistrationProtection, true);
    assert.equal(outs.disabled, true);
    assert.equal(Date.parse(String(outs.deprecationTime)), Date.parse(FUTURE));
  });

  it("create without lifecycle inputs makes no lifecycle call and records the defaults", async () => {
    const mark = env.mark();
    const { outs } = await created("lc-plain");
    assert.ok(
      !env.actionsSince(mark).some((a) => /^(Enable|Disable)Image/.test(a)),
      env.actionsSince(mark).join(", "),
    );
    assert.equal(outs.deregistrationProtection, false);
    assert.equal(outs.disabled, false);
    assert.equal(outs.deprecationTime, undefined);
  });

  it("update changes only what differs, and removing deprecationTime calls DisableImageDeprecation", async () => {
    const { inputs, outs } = await created("lc-update", { deprecationTime: FUTURE });
    let mark = env.mark();
    const on = await updateManagedAmi(
      outs.imageId,
      outs,
      { ...inputs, deregistrationProtection: true, disabled: true },
      env.deps(),
    );
    assert.deepEqual(
      env.actionsSince(mark).filter((a) => MUTATING.test(a)),
      ["EnableImageDeregistrationProtection", "DisableImage"],
    );
    assert.equal(on.outs?.deregistrationProtection, true);
    assert.equal(on.outs?.disabled, true);
    mark = env.mark();
    const off = await updateManagedAmi(
      outs.imageId,
      on.outs as ManagedAmiOutputs,
      { ...inputs, deprecationTime: undefined },
      env.deps(),
    );
    assert.deepEqual(
      env.actionsSince(mark).filter((a) => MUTATING.test(a)),
      ["EnableImage", "DisableImageDeregistrationProtection", "DisableImageDeprecation"],
    );
    const img = await image(outs.imageId);
    assert.equal(img?.State, "available");
    assert.equal(img?.DeprecationTime, undefined);
    assert.equal(off.outs?.deprecationTime, undefined);
    assert.equal(off.outs?.disabled, false);
  });

  it("refresh reads deprecationTime, disabled and deregistrationProtection back from AWS", async () => {
    const { outs } = await created("lc-read", { deprecationTime: FUTURE });
    await env.ec2().send(new EnableImageDeregistrationProtectionCommand({ ImageId: outs.imageId }));
    await env.ec2().send(new DisableImageDeprecationCommand({ ImageId: outs.imageId }));
    const read = await readManagedAmi(outs.imageId, outs, env.deps());
    assert.equal(read.props?.deregistrationProtection, true);
    assert.equal(read.props?.deprecationTime, undefined);
    assert.equal(read.props?.disabled, false);
    // …and the next diff puts the declared lifecycle back.
    const diff = diffManagedAmi(outs.imageId, read.props as ManagedAmiOutputs, {
      name: "lc-read",
      fromInstance: outs.fromInstance,
      deprecationTime: FUTURE,
    });
    assert.equal(diff.changes, true);
  });
});
