// examples/image-family through the engine harness (the real dynamic-provider host) in two runs, as
// `pulumi up` twice: after a new build appears, the second run retires the oldest member (deleted
// through the host, its snapshots gone), disables the new spare in place, and the launch template moves
// to the new latest. A member a launch template's $Default version still uses is not retired.
import { strict as assert } from "assert";
import { join } from "path";
import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
} from "@aws-sdk/client-ec2";
import type * as pulumi from "@pulumi/pulumi";
import { awsMocks, ProgramRun, ResourceMocks, runProgram } from "../../engine";
import { inventory, launchInstance, REGION, Stack, startStack, TYPE } from "./support";

const PROGRAM = join(__dirname, "..", "..", "examples", "image-family");
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

describe("examples/image-family through the engine harness (two updates)", function () {
  this.timeout(120_000);
  let stack: Stack;
  /** Launch templates the mocks really created on the endpoint, by logical name. */
  let templates: Map<string, string>;

  beforeEach(async () => {
    stack = await startStack();
    templates = new Map();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  /** awsMocks, plus a real launch template: created once, then a new default version per image change (updateDefaultVersion). */
  function mocks(): ResourceMocks {
    const base = awsMocks({ region: REGION });
    return {
      ...base,
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        if (args.type !== LAUNCH_TEMPLATE) return base.newResource!(args);
        const imageId = String(args.inputs.imageId);
        const existing = templates.get(args.name);
        const ec2 = stack.ec2();
        if (!existing) {
          const out = await ec2.send(
            new CreateLaunchTemplateCommand({
              LaunchTemplateName: `lt-${args.name}`,
              LaunchTemplateData: { ImageId: imageId },
            }),
          );
          templates.set(args.name, out.LaunchTemplate!.LaunchTemplateId!);
          return { id: out.LaunchTemplate!.LaunchTemplateId!, state: { ...args.inputs } };
        }
        if ((await defaultImageOf(existing)) !== imageId) {
          const v = await ec2.send(
            new CreateLaunchTemplateVersionCommand({
              LaunchTemplateId: existing,
              LaunchTemplateData: { ImageId: imageId },
            }),
          );
          await ec2.send(
            new ModifyLaunchTemplateCommand({
              LaunchTemplateId: existing,
              DefaultVersion: String(v.LaunchTemplateVersion!.VersionNumber),
            }),
          );
        }
        return { id: existing, state: { ...args.inputs } };
      },
    };
  }

  async function defaultImageOf(launchTemplateId: string): Promise<string | undefined> {
    const out = await stack.ec2().send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: ["$Default"],
      }),
    );
    return out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId;
  }

  /** A Packer-style build: an instance from the base image, CreateImage, wait until available. */
  async function build(name: string): Promise<{ imageId: string; snapshotIds: string[] }> {
    const instanceId = await launchInstance(stack);
    const { ImageId } = await stack
      .ec2()
      .send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
    stack.aws.advance(7 * 86_400_000);
    const image = (await stack.ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
    return { imageId: ImageId!, snapshotIds: image.BlockDeviceMappings!.map((m) => m.Ebs!.SnapshotId!) };
  }

  async function imageState(imageId: string): Promise<string | undefined> {
    const out = await stack
      .ec2()
      .send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true }))
      .catch(() => undefined);
    return out?.Images?.[0]?.State;
  }

  /**
   * `pulumi up`: run the program, then delete what state holds and the program no longer declared,
   * newest first, through the real host (as the engine does with removed resources, after the
   * creates and updates). The first failing delete fails the update.
   */
  async function up(): Promise<ProgramRun> {
    const run = await runProgram({ programDir: PROGRAM, engine: stack.engine, mocks: mocks() });
    const declared = new Set(run.resources.filter((r) => r.dynamic).map((r) => r.urn));
    for (const urn of [...stack.engine.resources.keys()].reverse()) {
      if (!declared.has(urn)) await stack.engine.destroy(urn);
    }
    return run;
  }

  const memberName = (imageId: string) => `web-${imageId}`;
  const stateNames = () => [...stack.engine.resources.values()].map((r) => r.name).sort();

  it("second run: retires the oldest member (image and snapshots gone), disables the new spare in place, moves the launch template", async () => {
    const a = await build("web-2026-06-01");
    const b = await build("web-2026-06-08");
    const c = await build("web-2026-06-15");

    const first = await up();
    assert.equal(first.outputs.latest, c.imageId);
    assert.deepEqual(first.outputs.enabled, [c.imageId, b.imageId]);
    assert.deepEqual(first.outputs.disabled, [a.imageId]);
    assert.deepEqual(first.outputs.outside, []);
    assert.deepEqual(stateNames(), [a, b, c].map((i) => memberName(i.imageId)).sort());
    assert.equal(await imageState(a.imageId), "disabled", "the spare is disabled");
    assert.equal(await imageState(b.imageId), "available");
    const lt = templates.get("web")!;
    assert.equal(await defaultImageOf(lt), c.imageId);

    const d = await build("web-2026-06-22");
    const journalStart = stack.engine.journal.length;
    const second = await up();
    const journal = stack.engine.journal.slice(journalStart);
    const urnOf = (img: { imageId: string }) => stack.host.urn(TYPE, memberName(img.imageId));

    assert.equal(second.outputs.latest, d.imageId);
    assert.deepEqual(second.outputs.enabled, [d.imageId, c.imageId]);
    assert.deepEqual(second.outputs.disabled, [b.imageId]);
    assert.deepEqual(second.outputs.outside, [a.imageId]);
    // The plan: create the new member, update b in place (disable), delete a's member; nothing replaced.
    assert.ok(journal.includes(`Create ${urnOf(d)}`), journal.join("\n"));
    assert.ok(journal.includes(`Update ${urnOf(b)}`), journal.join("\n"));
    assert.ok(
      !journal.includes(`Create ${urnOf(b)}`) && !journal.includes(`Delete ${urnOf(b)}`),
      "b is not replaced",
    );
    assert.ok(journal.includes(`Delete ${urnOf(a)}`), journal.join("\n"));
    assert.ok(!journal.some((l) => l.startsWith("Update ") && l.endsWith(urnOf(c))), "c is unchanged");
    // The retirement really happened: a deregistered, its snapshots deleted; the rest intact.
    assert.notEqual(await imageState(a.imageId), "available");
    assert.notEqual(await imageState(a.imageId), "disabled");
    const left = inventory(stack);
    for (const s of a.snapshotIds) assert.ok(!left.snapshots.includes(s), `${s} deleted`);
    for (const s of [...b.snapshotIds, ...c.snapshotIds, ...d.snapshotIds])
      assert.ok(left.snapshots.includes(s), `${s} kept`);
    assert.equal(await imageState(b.imageId), "disabled", "the new spare is disabled");
    assert.equal(await imageState(c.imageId), "available");
    assert.equal(await imageState(d.imageId), "available");
    assert.deepEqual(stateNames(), [b, c, d].map((i) => memberName(i.imageId)).sort());
    assert.equal(await defaultImageOf(lt), d.imageId, "the launch template moved to the new latest");
  });

  it("a spare moving back into the enabled window (newest deleted by hand) is re-enabled in place, not replaced", async () => {
    const a = await build("web-2026-06-01");
    const b = await build("web-2026-06-08");
    const c = await build("web-2026-06-15");
    await up();
    assert.equal(await imageState(a.imageId), "disabled");
    await stack.ec2().send(new DeregisterImageCommand({ ImageId: c.imageId }));
    const journalStart = stack.engine.journal.length;
    const second = await up();
    const journal = stack.engine.journal.slice(journalStart);
    const urnA = stack.host.urn(TYPE, memberName(a.imageId));
    assert.deepEqual(second.outputs.enabled, [b.imageId, a.imageId]);
    assert.equal(second.outputs.latest, b.imageId);
    assert.ok(journal.includes(`Update ${urnA}`), journal.join("\n"));
    assert.ok(
      !journal.includes(`Create ${urnA}`) && !journal.includes(`Delete ${urnA}`),
      "a is not replaced",
    );
    assert.equal(await imageState(a.imageId), "available", "re-enabled");
    // The hand-deleted image's member is gone from state, and with it the snapshots it owned.
    assert.deepEqual(stateNames(), [a, b].map((i) => memberName(i.imageId)).sort());
    for (const snap of c.snapshotIds)
      assert.ok(!inventory(stack).snapshots.includes(snap), `${snap} deleted`);
    assert.equal(await defaultImageOf(templates.get("web")!), b.imageId);
  });

  it("an image older than the window when the family was first declared is never touched", async () => {
    const old = await build("web-2026-05-01");
    await build("web-2026-06-01");
    await build("web-2026-06-08");
    await build("web-2026-06-15");
    const run = await up();
    assert.deepEqual(run.outputs.outside, [old.imageId]);
    assert.ok(!stateNames().includes(memberName(old.imageId)));
    assert.equal(await imageState(old.imageId), "available");
    assert.ok(old.snapshotIds.every((s) => inventory(stack).snapshots.includes(s)));
  });

  it('whenInUse "fail": a member a launch template\'s $Default version still uses is not retired; the update fails naming it', async () => {
    const a = await build("web-2026-06-01");
    await build("web-2026-06-08");
    await build("web-2026-06-15");
    await up();
    // Another team's launch template (not in this stack) still launches the spare by default.
    const other = await stack.ec2().send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "batch-workers",
        LaunchTemplateData: { ImageId: a.imageId },
      }),
    );
    const otherId = other.LaunchTemplate!.LaunchTemplateId!;
    await build("web-2026-06-22");
    const before = inventory(stack);

    await assert.rejects(up(), (err: Error) => {
      assert.match(err.message, new RegExp(otherId));
      assert.match(err.message, /\$Default|default/i);
      return true;
    });
    assert.ok(stateNames().includes(memberName(a.imageId)), "the member stays in state");
    assert.equal(await imageState(a.imageId), "disabled", "still registered");
    const after = inventory(stack);
    for (const s of before.snapshots) assert.ok(after.snapshots.includes(s), `${s} not deleted`);
    assert.equal(await defaultImageOf(otherId), a.imageId);
  });
});
