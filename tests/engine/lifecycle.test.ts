// ManagedAmi driven the way the Pulumi engine drives it: the provider serialized as
// pulumi.dynamic.Resource serializes it, run by the REAL dynamic-provider host over gRPC, against the
// local AWS endpoint. Each test is one engine sequence (up, update, replace, refresh, destroy, …).
import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
} from "@aws-sdk/client-ec2";
import { CheckFailedError, HostError, UNKNOWN } from "../../engine";
import { inventory, launchInstance, Stack, startStack, TYPE } from "./support";

const OLD_PROVIDER = readFileSync(join(__dirname, "fixtures", "provider-0.1.0.js.txt"), "utf8");

describe("engine path: ManagedAmi through the real dynamic-provider host", function () {
  this.timeout(60_000);
  let stack: Stack;
  let instanceId: string;

  beforeEach(async () => {
    stack = await startStack();
    instanceId = await launchInstance(stack);
  });
  afterEach(async () => {
    await stack?.stop();
  });

  function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      name: "web-ami",
      fromInstance: { instanceId },
      tags: { team: "web" },
      __provider: stack.provider,
      ...extra,
    };
  }

  async function describe1(imageId: string) {
    // A deregistered image is described only for a while, then InvalidAMIID.NotFound: both mean gone.
    const out = await stack
      .ec2()
      .send(new DescribeImagesCommand({ ImageIds: [imageId] }))
      .catch((err: { name?: string }) => {
        if (err.name === "InvalidAMIID.NotFound") return { Images: [] };
        throw err;
      });
    return out.Images?.[0];
  }

  it("up: Check then Create; state records the image, its owned snapshots and __provider", async () => {
    const before = inventory(stack);
    const step = await stack.engine.register(TYPE, "web", inputs());
    assert.deepEqual(step.rpcs, ["Check", "Create"]);
    assert.equal(step.op, "create");
    const outs = step.state.outputs;
    assert.match(step.state.id, /^ami-[0-9a-f]{17}$/);
    assert.equal(outs.imageId, step.state.id);
    assert.equal(outs.state, "available");
    assert.equal(outs.region, "us-east-1");
    assert.equal(outs.__provider, stack.provider, "the host adds __provider back to the outputs");
    const snaps = outs.snapshotIds as string[];
    assert.equal(snaps.length, 1);
    const after = inventory(stack);
    assert.deepEqual(after.images, [...before.images, step.state.id]);
    assert.deepEqual(after.snapshots, [...before.snapshots, ...snaps]);
    assert.equal((await describe1(step.state.id))?.Tags?.find((t) => t.Key === "team")?.Value, "web");
  });

  it("up with a changed description: Check → Diff → Update, same image, description changed in AWS", async () => {
    const created = await stack.engine.register(TYPE, "web", inputs());
    const step = await stack.engine.register(TYPE, "web", inputs({ description: "v2" }));
    assert.deepEqual(step.rpcs, ["Check", "Diff", "Update"]);
    assert.equal(step.state.id, created.state.id);
    assert.equal(step.state.outputs.__provider, stack.provider);
    assert.equal((await describe1(created.state.id))?.Description, "v2");
    assert.deepEqual(inventory(stack).images, [created.state.id]);
  });

  it("up with unchanged inputs: Check → Diff, nothing else", async () => {
    await stack.engine.register(TYPE, "web", inputs());
    const step = await stack.engine.register(TYPE, "web", inputs());
    assert.deepEqual(step.rpcs, ["Check", "Diff"]);
    assert.equal(step.op, "same");
  });

  it("replacement with a new name: the new image is created, then the old one and its snapshots deleted", async () => {
    const old = await stack.engine.register(TYPE, "web", inputs());
    const step = await stack.engine.register(TYPE, "web", inputs({ name: "web-ami-2" }));
    assert.deepEqual(step.rpcs, ["Check", "Diff", "Create", "Delete"]);
    assert.notEqual(step.state.id, old.state.id);
    const inv = inventory(stack);
    assert.deepEqual(inv.images, [step.state.id]);
    for (const snap of old.state.outputs.snapshotIds as string[])
      assert.ok(!inv.snapshots.includes(snap), `${snap} left`);
    for (const snap of step.state.outputs.snapshotIds as string[]) assert.ok(inv.snapshots.includes(snap));
  });

  it("replacement keeping the name: the provider asks deleteBeforeReplace, so Delete runs before Create", async () => {
    const old = await stack.engine.register(TYPE, "web", inputs());
    const other = await launchInstance(stack);
    const urn = stack.host.urn(TYPE, "web");
    const checked = (
      await stack.host.check(urn, old.state.inputs, inputs({ fromInstance: { instanceId: other } }))
    ).inputs;
    const diff = await stack.host.diff(old.state.id, urn, old.state.outputs, checked, old.state.inputs);
    assert.deepEqual(diff.replaces.includes("fromInstance"), true);
    assert.equal(diff.deleteBeforeReplace, true);

    const step = await stack.engine.register(TYPE, "web", inputs({ fromInstance: { instanceId: other } }));
    assert.deepEqual(step.rpcs, ["Check", "Diff", "Delete", "Create"]);
    assert.deepEqual(inventory(stack).images, [step.state.id]);
    assert.equal((await describe1(step.state.id))?.Name, "web-ami");
  });

  it("refresh, image present: Read re-reads it (a tag added outside Pulumi shows up), id kept", async () => {
    const created = await stack.engine.register(TYPE, "web", inputs());
    await stack
      .ec2()
      .send(new CreateTagsCommand({ Resources: [created.state.id], Tags: [{ Key: "extra", Value: "x" }] }));
    assert.equal(await stack.engine.refresh(created.state.urn), "updated");
    const state = stack.engine.resources.get(created.state.urn)!;
    assert.equal(state.id, created.state.id);
    assert.equal((state.outputs.tags as Record<string, string>).extra, "x");
    assert.equal(state.outputs.__provider, stack.provider, "Read keeps __provider so later steps still work");
  });

  it("refresh, image deregistered outside Pulumi but snapshots left: kept as `deregistered`; destroy then deletes them", async () => {
    const created = await stack.engine.register(TYPE, "web", inputs());
    await stack.ec2().send(new DeregisterImageCommand({ ImageId: created.state.id }));
    assert.equal(await stack.engine.refresh(created.state.urn), "updated");
    const state = stack.engine.resources.get(created.state.urn)!;
    assert.equal(state.outputs.state, "deregistered");
    const snaps = created.state.outputs.snapshotIds as string[];
    assert.ok(snaps.every((s) => inventory(stack).snapshots.includes(s)));
    await stack.engine.destroy(created.state.urn);
    assert.ok(
      snaps.every((s) => !inventory(stack).snapshots.includes(s)),
      "destroy after refresh deletes the orphans",
    );
  });

  it("refresh, image and storage all gone: Read returns no id and the resource leaves state", async () => {
    const created = await stack.engine.register(TYPE, "web", inputs());
    await stack.ec2().send(new DeregisterImageCommand({ ImageId: created.state.id }));
    for (const snap of created.state.outputs.snapshotIds as string[]) {
      await stack.ec2().send(new DeleteSnapshotCommand({ SnapshotId: snap }));
    }
    assert.equal(await stack.engine.refresh(created.state.urn), "deleted");
    assert.equal(stack.engine.resources.has(created.state.urn), false);
  });

  it("destroy: Delete gets exactly Create's outputs (with __provider); image and owned snapshots are gone", async () => {
    const before = inventory(stack);
    const created = await stack.engine.register(TYPE, "web", inputs());
    const createOutputs = JSON.parse(JSON.stringify(created.state.outputs)) as Record<string, unknown>;
    const sent: Record<string, unknown>[] = [];
    const realDelete = stack.host.delete.bind(stack.host);
    stack.host.delete = (id, urn, properties, oldInputs) => {
      sent.push(properties);
      return realDelete(id, urn, properties, oldInputs);
    };
    await stack.engine.destroy(created.state.urn);
    assert.deepEqual(sent, [createOutputs]);
    assert.equal(typeof createOutputs.__provider, "string");
    assert.deepEqual(inventory(stack), before);
    assert.equal(stack.engine.resources.size, 0);
    assert.equal((await describe1(created.state.id))?.State ?? "gone", "deregistered");
  });

  it("destroy with a __provider written by an earlier build: it delegates to the installed runtime and cleans up", async () => {
    assert.ok(!OLD_PROVIDER.includes("DeregisterImage"), "the fixture carries no teardown code of its own");
    const before = inventory(stack);
    const created = await stack.engine.register(TYPE, "web", inputs({ __provider: OLD_PROVIDER }));
    assert.equal(created.state.outputs.__provider, OLD_PROVIDER);
    await stack.engine.destroy(created.state.urn);
    assert.deepEqual(inventory(stack), before);
  });

  it("the serialized provider holds no credential values and is under 8 KB", async () => {
    const secret = stack.env.AWS_SECRET_ACCESS_KEY;
    await stack.engine.register(TYPE, "web", inputs());
    assert.ok(Buffer.byteLength(stack.provider) < 8 * 1024, `${Buffer.byteLength(stack.provider)} bytes`);
    const everything = JSON.stringify([...stack.engine.resources.values()]);
    for (const value of [secret, stack.env.AWS_ACCESS_KEY_ID, stack.aws.endpoint]) {
      assert.ok(!stack.provider.includes(value), `__provider contains ${value}`);
      assert.ok(!everything.includes(value), `state contains ${value}`);
    }
  });

  it("preview: an instance id not known yet passes Check as the engine's unknown value", async () => {
    const result = await stack.engine.preview(TYPE, "web", inputs({ fromInstance: { instanceId: UNKNOWN } }));
    assert.deepEqual((result.inputs.fromInstance as { instanceId: string }).instanceId, UNKNOWN);
  });

  it("bad input fails at Check, naming the property, before any AWS call", async () => {
    const calls = stack.aws.log.length;
    await assert.rejects(
      stack.engine.register(TYPE, "web", inputs({ fromInstance: { instanceId: "i-nothex" } })),
      (err: unknown) => err instanceof CheckFailedError && /instanceId/.test(err.message),
    );
    assert.equal(stack.aws.log.length, calls, "no request reached the endpoint");
    assert.equal(stack.engine.resources.size, 0);
  });
});

describe("engine path: a create that fails after the image exists", function () {
  this.timeout(60_000);
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it("returns the id (ErrorResourceInitFailed), the engine keeps the partial resource, and destroy removes it", async () => {
    // The image stays `pending` for a simulated 11 days; the provider's wait gives up after 300 ms.
    stack = await startStack({
      aws: { imageAvailableAfterMs: 1e9 },
      hostEnv: { MANAGED_AMI_WAIT_TIMEOUT_MS: "300" },
    });
    const before = inventory(stack);
    const instanceId = await launchInstance(stack);
    const urn = stack.host.urn(TYPE, "web");
    const err = await stack.engine
      .register(TYPE, "web", { name: "web-ami", fromInstance: { instanceId }, __provider: stack.provider })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof HostError, `expected a HostError, got ${String(err)}`);
    assert.match(err.id ?? "", /^ami-[0-9a-f]{17}$/, "the create error carries the image id");
    assert.match(err.message, new RegExp(err.id!));
    const partial = stack.engine.resources.get(urn);
    assert.ok(partial, "the engine records the partially created resource");
    assert.equal(partial.id, err.id);
    assert.ok(partial.initErrors && partial.initErrors.length > 0);
    assert.equal(
      partial.outputs.__provider,
      stack.provider,
      "the partial outputs keep __provider, or Delete could not run",
    );
    assert.ok(inventory(stack).images.includes(err.id!));

    stack.aws.advance(1e9);
    await stack.engine.destroy(urn);
    assert.deepEqual(inventory(stack), before);
  });
});
