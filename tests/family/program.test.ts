// ManagedAmiFamily as a program under pulumi.runtime.setMocks, discovery against the local endpoint:
// which child ManagedAmi resources it declares, with which inputs, and its outputs.
import { strict as assert } from "assert";
import { CreateTagsCommand, DisableImageCommand, EC2Client } from "@aws-sdk/client-ec2";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmiFamily, type ManagedAmiFamilyArgs } from "../../provider";
import { planFamily } from "../../provider/family";
import { validateFamilyArgs } from "../../provider/family/args";
import { AWS_ENV_KEYS, replaceEnv } from "../support/env";
import { ec2For, seedEbsImage, TEST_REGION, withLocalAws } from "../support/localAws";

const MANAGED_AMI = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";
const FAMILY = "managed-ami:index:ManagedAmiFamily";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Runs `build` as a program under mocks; returns what it registered once every output resolved. */
async function runFamily(
  build: () => ManagedAmiFamily,
): Promise<{ family: ManagedAmiFamily; registered: Registered[] }> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        registered.push({ type: args.type, name: args.name, inputs: { ...args.inputs } });
        const adopt = args.inputs.adopt as { imageId?: string } | undefined;
        return {
          id: adopt?.imageId ?? `${args.name}-id`,
          state: { ...args.inputs, imageId: adopt?.imageId },
        };
      },
      call: async () => ({}),
    },
    "family-test",
    "dev",
    false,
  );
  const family = build();
  await (family as unknown as { getData(): Promise<unknown> }).getData();
  await Promise.all([
    unwrap(family.latest),
    unwrap(family.enabled),
    unwrap(family.disabled),
    unwrap(family.outside),
  ]);
  await new Promise((r) => setTimeout(r, 50));
  return { family, registered };
}

describe("ManagedAmiFamily program (setMocks, discovery on the local endpoint)", function () {
  this.timeout(60_000);
  const ctx = withLocalAws({ timeScale: 0.001 });
  let ec2: EC2Client;
  let ids: string[];

  beforeEach(async () => {
    ec2 = ec2For(ctx.aws);
    ids = [];
    // Five weekly builds, oldest first; a foreign family and a pending build alongside.
    for (let i = 1; i <= 5; i++) {
      ids.push((await seedEbsImage(ctx.aws, ec2, `web-2026-0${i}-01`)).imageId);
      ctx.aws.advance(7 * 86_400_000);
    }
    await seedEbsImage(ctx.aws, ec2, "api-2026-06-01");
  });

  it("declares one ManagedAmi per kept image: the newest keep enabled, the next keepDisabled disabled, none for older ones", async () => {
    const args: ManagedAmiFamilyArgs = {
      namePrefix: "web-",
      keep: 2,
      keepDisabled: 1,
      whenInUse: "fail",
      deleteSnapshots: true,
    };
    const { family, registered } = await runFamily(() => new ManagedAmiFamily("web", args));
    const [i1, i2, i3, i4, i5] = ids;
    assert.deepEqual(
      registered.filter((r) => r.type === FAMILY).map((r) => r.name),
      ["web"],
    );
    const members = registered.filter((r) => r.type === MANAGED_AMI);
    assert.deepEqual(
      members.map((m) => m.name),
      [`web-${i5}`, `web-${i4}`, `web-${i3}`],
    );
    for (const m of members) {
      const imageId = m.name.slice("web-".length);
      assert.deepEqual(m.inputs.adopt, { imageId });
      assert.equal(m.inputs.region, TEST_REGION);
      assert.equal(m.inputs.whenInUse, "fail");
      assert.equal(m.inputs.deleteSnapshots, true);
      assert.equal(m.inputs.disabled, imageId === i3, `${m.name} disabled`);
      assert.equal(m.inputs.tags, undefined);
    }
    assert.equal(await unwrap(family.latest), i5);
    assert.deepEqual(await unwrap(family.enabled), [i5, i4]);
    assert.deepEqual(await unwrap(family.disabled), [i3]);
    assert.deepEqual(await unwrap(family.outside), [i2, i1]);
    assert.equal(await unwrap(family.region), TEST_REGION);
    // latest carries the newest member as a dependency, so a launch template waits for it (e.g. a re-enable).
    const deps = await (
      family.latest as unknown as { allResources(): Promise<Set<pulumi.Resource>> }
    ).allResources();
    const names = await Promise.all([...deps].map((r) => unwrap(r.urn)));
    assert.ok(
      names.some((u) => u.endsWith(`::web-${i5}`)),
      names.join(", "),
    );
  });

  it("tags select the family and are applied to members; whenInUse/deleteSnapshots unset stay unset", async () => {
    await ec2.send(
      new CreateTagsCommand({ Resources: [ids[0], ids[3]], Tags: [{ Key: "family", Value: "web" }] }),
    );
    const { registered } = await runFamily(
      () => new ManagedAmiFamily("tagged", { tags: { family: "web" }, keep: 5 }),
    );
    const members = registered.filter((r) => r.type === MANAGED_AMI);
    assert.deepEqual(
      members.map((m) => m.name),
      [`tagged-${ids[3]}`, `tagged-${ids[0]}`],
    );
    for (const m of members) {
      assert.deepEqual(m.inputs.tags, { family: "web" });
      assert.equal("whenInUse" in m.inputs, false);
      assert.equal("deleteSnapshots" in m.inputs, false);
      assert.equal(m.inputs.disabled, false);
    }
  });

  it("a pinned old image is declared enabled; a disabled image in the enabled window is declared enabled (re-enabled in place)", async () => {
    await ec2.send(new DisableImageCommand({ ImageId: ids[3] }));
    const { family, registered } = await runFamily(
      () => new ManagedAmiFamily("web", { namePrefix: "web-", keep: 2, pin: [ids[0]] }),
    );
    const byName = new Map(registered.filter((r) => r.type === MANAGED_AMI).map((m) => [m.name, m.inputs]));
    assert.deepEqual([...byName.keys()], [`web-${ids[4]}`, `web-${ids[3]}`, `web-${ids[0]}`]);
    assert.equal(byName.get(`web-${ids[0]}`)?.disabled, false);
    assert.equal(byName.get(`web-${ids[3]}`)?.disabled, false);
    assert.deepEqual(await unwrap(family.enabled), [ids[4], ids[3], ids[0]]);
    assert.deepEqual(await unwrap(family.outside), [ids[2], ids[1]]);
  });

  it("bad input throws in the constructor, before any AWS call", async () => {
    ctx.aws.log.length = 0;
    assert.throws(
      () => new ManagedAmiFamily("web", { keep: 0 } as ManagedAmiFamilyArgs),
      /namePrefix\/tags: neither is set[\s\S]*keep: must be an integer of at least 1/,
    );
    assert.throws(
      () => new ManagedAmiFamily("web", { namePrefix: "web-", keep: 1, pin: ["ami-nope"] }),
      /pin\[0\]: "ami-nope" is not an AMI id/,
    );
    assert.equal(ctx.aws.log.length, 0);
  });

  it("minAgeDays against the endpoint's clock: young images beyond the window stay as disabled spares", async () => {
    const settings = validateFamilyArgs("web", { namePrefix: "web-", keep: 1, minAgeDays: 15 });
    const { window } = await planFamily("web", settings, ctx.aws.clock.now());
    // ids[4] is 7 days old, ids[3] 14, ids[2] 21 (each seed also advances a minute).
    assert.deepEqual(window.enabled, [ids[4]]);
    assert.deepEqual(window.disabled, [ids[3]]);
    assert.deepEqual(window.outside, [ids[2], ids[1], ids[0]]);
  });

  it("fails naming pins that are not images of the family", async () => {
    const settings = validateFamilyArgs("web", {
      namePrefix: "web-",
      keep: 1,
      pin: ["ami-0123456789abcdef0"],
    });
    await assert.rejects(
      planFamily("web", settings),
      /ManagedAmiFamily "web": pinned image\(s\) ami-0123456789abcdef0 are not available or disabled images of the family in us-east-1 \(own images named "web-\*"\)/,
    );
  });

  it("fails clearly when no image matches (there is no latest)", async () => {
    const settings = validateFamilyArgs("db", { namePrefix: "db-", keep: 1 });
    await assert.rejects(
      planFamily("db", settings),
      /ManagedAmiFamily "db": no available or disabled image matches own images named "db-\*" in us-east-1/,
    );
  });

  it("fails clearly without credentials", async () => {
    const restore = replaceEnv(
      [...AWS_ENV_KEYS, "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"],
      {
        AWS_REGION: TEST_REGION,
        AWS_ENDPOINT_URL_EC2: ctx.aws.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_CONFIG_FILE: "/nonexistent/config",
      },
    );
    try {
      const settings = validateFamilyArgs("web", { namePrefix: "web-", keep: 1 });
      await assert.rejects(
        planFamily("web", settings),
        /ManagedAmiFamily "web": could not list the family's images in us-east-1 .*Configure AWS credentials/s,
      );
    } finally {
      restore();
    }
  });
});
