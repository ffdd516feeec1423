import assert from "node:assert/strict";
import { RegisterImageCommand } from "@aws-sdk/client-ec2";
import { CopyOfSource, ManagedAmiInputs } from "../../provider/types";
import {
  copyClientToken,
  copyImage,
  ImageFailedError,
  ImageWaitTimeoutError,
  waitForImageAvailable,
} from "../../provider/aws/imageSources";
import { ec2Client } from "../../provider/aws/clients";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import { createManagedAmi, ManagedAmiPartialError } from "../../provider/create";
import {
  ACCESS_KEY,
  bundle,
  describe as describeImage,
  FOREIGN_KEY,
  launchInstance,
  makeImage,
  makeSnapshot,
  MUTATING,
  OTHER_REGION,
  REGION,
  snapshots,
  tagMap,
  useLocalAws,
} from "./support";

describe("provider create", () => {
  const env = useLocalAws({ accounts: { [ACCESS_KEY]: "111111111111", [FOREIGN_KEY]: "222222222222" } });

  describe("fromSnapshots", () => {
    it("registers an EBS image from the mappings and records those snapshots as owned, tagged", async () => {
      const root = await makeSnapshot(env);
      const data = await makeSnapshot(env, REGION, 20);
      const mark = env.mark();
      const { id, outs } = await createManagedAmi(
        {
          name: "from-snaps",
          description: "registered",
          tags: { team: "core", env: "test" },
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: [
              { deviceName: "/dev/xvda", snapshotId: root },
              {
                deviceName: "/dev/xvdb",
                snapshotId: data,
                volumeSize: 30,
                volumeType: "gp2",
                deleteOnTermination: false,
              },
            ],
            architecture: "arm64",
            bootMode: "uefi",
          },
        },
        env.deps(),
      );
      const register = env.aws.log.slice(mark).find((e) => e.action === "RegisterImage");
      assert.ok(register, "RegisterImage was sent");
      assert.equal(register.params["RootDeviceName"], "/dev/xvda");
      assert.equal(register.params["BlockDeviceMapping.1.Ebs.SnapshotId"], root);
      assert.equal(register.params["BlockDeviceMapping.1.Ebs.VolumeType"], "gp3");
      assert.equal(register.params["BlockDeviceMapping.2.Ebs.VolumeSize"], "30");
      assert.equal(register.params["BlockDeviceMapping.2.Ebs.DeleteOnTermination"], "false");
      assert.equal(register.params["VirtualizationType"], "hvm");
      assert.equal(register.params["EnaSupport"], "true");
      assert.equal(register.params["BootMode"], "uefi");
      assert.equal(register.params["TagSpecification.1.ResourceType"], "image");

      const image = await describeImage(env, id);
      assert.equal(image?.State, "available");
      assert.equal(image?.Architecture, "arm64");
      // The image carries the user's tags plus this create's token (written by RegisterImage itself).
      assert.match(outs.createToken ?? "", /^mami-[0-9a-f]{32}$/);
      assert.deepEqual(tagMap(image?.Tags), {
        team: "core",
        env: "test",
        [CREATE_TOKEN_TAG]: `${outs.createToken}.done`, // marked finished once the create returned
      });
      assert.equal(outs.imageId, id);
      assert.equal(outs.rootDeviceType, "ebs");
      assert.equal(outs.ownerId, "111111111111");
      assert.equal(outs.state, "available");
      assert.equal(outs.architecture, "arm64");
      assert.ok(outs.creationDate);
      assert.deepEqual(outs.snapshotIds, [root, data]);
      assert.equal(outs.bundle, undefined);
      // Owned snapshots carry the user's tags plus the ownership tag the audit reads.
      for (const s of await snapshots(env, [root, data]))
        assert.deepEqual(tagMap(s.Tags), { team: "core", env: "test", [MANAGED_AMI_IMAGE_TAG]: id });
    });
  });

  describe("fromInstance", () => {
    it("creates the image with CreateImage and owns the new snapshots, not the instance's volumes", async () => {
      const instanceId = await launchInstance(env);
      const mark = env.mark();
      const { id, outs } = await createManagedAmi(
        { name: "from-instance", tags: { app: "web" }, fromInstance: { instanceId } },
        env.deps(),
      );
      const call = env.aws.log.slice(mark).find((e) => e.action === "CreateImage");
      assert.equal(call?.params["InstanceId"], instanceId);
      assert.equal(call?.params["NoReboot"], "false");
      const image = await describeImage(env, id);
      const mapped = (image?.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter(Boolean);
      assert.ok(outs.snapshotIds.length > 0);
      assert.deepEqual(outs.snapshotIds, mapped);
      for (const s of await snapshots(env, outs.snapshotIds)) assert.equal(tagMap(s.Tags).app, "web");
    });

    it("passes noReboot through", async () => {
      const instanceId = await launchInstance(env);
      const mark = env.mark();
      await createManagedAmi({ name: "no-reboot", fromInstance: { instanceId, noReboot: true } }, env.deps());
      const call = env.aws.log.slice(mark).find((e) => e.action === "CreateImage");
      assert.equal(call?.params["NoReboot"], "true");
    });
  });

  describe("copyOf", () => {
    it("copies cross-region with a client of the target region, SourceRegion and a ClientToken", async () => {
      const source = await makeImage(env, "copy-source", OTHER_REGION);
      const sourceSnaps = ((await describeImage(env, source, OTHER_REGION))?.BlockDeviceMappings ?? []).map(
        (m) => m.Ebs?.SnapshotId,
      );
      const mark = env.mark();
      const { id, outs } = await createManagedAmi(
        {
          name: "copied",
          region: REGION,
          tags: { copy: "yes" },
          copyOf: { sourceImageId: source, sourceRegion: OTHER_REGION },
        },
        env.deps(),
      );
      const call = env.aws.log.slice(mark).find((e) => e.action === "CopyImage");
      assert.equal(call?.region, REGION);
      assert.equal(call?.params["SourceRegion"], OTHER_REGION);
      assert.equal(call?.params["SourceImageId"], source);
      assert.match(call?.params["ClientToken"] ?? "", /^mami-[0-9a-f]{59}$/);
      assert.equal(call?.params["Encrypted"], undefined);
      assert.equal(outs.region, REGION);
      assert.equal((await describeImage(env, id, REGION))?.State, "available");
      assert.ok(outs.snapshotIds.length > 0);
      for (const s of outs.snapshotIds)
        assert.ok(!sourceSnaps.includes(s), "owns the new snapshots, not the source's");
      for (const s of await snapshots(env, outs.snapshotIds)) assert.equal(tagMap(s.Tags).copy, "yes");
      assert.equal((await describeImage(env, source, OTHER_REGION))?.State, "available", "source untouched");
    });

    it("is idempotent: the same inputs send the same ClientToken and get the same image back", async () => {
      const source = await makeImage(env, "copy-source-2", OTHER_REGION);
      const src: CopyOfSource = { sourceImageId: source, sourceRegion: OTHER_REGION };
      const ec2 = ec2Client(REGION);
      const mark = env.mark();
      const first = await copyImage(ec2, REGION, { name: "copy-twice" }, src);
      const second = await copyImage(ec2, REGION, { name: "copy-twice" }, src);
      assert.equal(second, first);
      const tokens = env.aws.log
        .slice(mark)
        .filter((e) => e.action === "CopyImage")
        .map((e) => e.params["ClientToken"]);
      assert.equal(tokens.length, 2);
      assert.equal(tokens[0], tokens[1]);
      const copies = [...env.aws.state.images.values()].filter((i) => i.name === "copy-twice");
      assert.equal(copies.length, 1);
    });

    it("derives the token from every input: a different name, region, source, key or tag changes it", () => {
      const src: CopyOfSource = { sourceImageId: "ami-0123456789abcdef0", sourceRegion: "us-west-2" };
      const base = copyClientToken("us-east-1", { name: "a" }, src);
      assert.equal(copyClientToken("us-east-1", { name: "a" }, { ...src }), base);
      assert.ok(base.length <= 64);
      for (const other of [
        copyClientToken("us-east-2", { name: "a" }, src),
        copyClientToken("us-east-1", { name: "b" }, src),
        copyClientToken("us-east-1", { name: "a", tags: { k: "v" } }, src),
        copyClientToken("us-east-1", { name: "a" }, { ...src, sourceImageId: "ami-0123456789abcdef1" }),
        copyClientToken("us-east-1", { name: "a" }, { ...src, encrypted: true }),
        copyClientToken("us-east-1", { name: "a" }, { ...src, kmsKeyId: "alias/x" }),
        copyClientToken("us-east-1", { name: "a" }, src, 1),
      ]) {
        assert.notEqual(other, base);
      }
    });

    it("every create sends a fresh ClientToken: a fourth destroy → up cycle with identical inputs still copies", async () => {
      const source = await makeImage(env, "copy-source-3", OTHER_REGION);
      const inputs = { name: "copy-again", copyOf: { sourceImageId: source, sourceRegion: OTHER_REGION } };
      const ids: string[] = [];
      const tokens: string[] = [];
      for (let cycle = 0; cycle < 4; cycle++) {
        const mark = env.mark();
        const created = await createManagedAmi(inputs, env.deps());
        assert.equal(created.outs.state, "available", `cycle ${cycle}`);
        const sent = env.aws.log
          .slice(mark)
          .filter((e) => e.action === "CopyImage")
          .map((e) => e.params["ClientToken"]);
        assert.equal(sent.length, 1, `cycle ${cycle}: one CopyImage`);
        ids.push(created.id);
        tokens.push(sent[0]);
        // destroy: the copy is deregistered (still described as deregistered for a while).
        const record = env.aws.state.images.get(created.id);
        assert.ok(record);
        Object.assign(record, {
          state: "deregistered",
          deregisteredAt: env.aws.clock.now(),
          name: `old-${cycle}`,
        });
      }
      assert.equal(new Set(ids).size, 4, "four different copies");
      assert.equal(new Set(tokens).size, 4, "four different ClientTokens");
    });

    it("copies again when the token's earlier copy is gone entirely (never visible past the grace period)", async () => {
      const source = await makeImage(env, "copy-source-5", OTHER_REGION);
      const inputs = { name: "copy-vanished", copyOf: { sourceImageId: source, sourceRegion: OTHER_REGION } };
      const first = await createManagedAmi(inputs, env.deps());
      env.aws.state.images.delete(first.id);
      const second = await createManagedAmi(inputs, env.deps({ wait: { pollMs: 5, notFoundGraceMs: 100 } }));
      assert.notEqual(second.id, first.id);
      assert.equal(second.outs.state, "available");
    });

    it("sends Encrypted and KmsKeyId", async () => {
      const source = await makeImage(env, "copy-source-4", OTHER_REGION);
      const mark = env.mark();
      await createManagedAmi(
        {
          name: "copy-enc",
          copyOf: {
            sourceImageId: source,
            sourceRegion: OTHER_REGION,
            encrypted: true,
            kmsKeyId: "alias/ami",
          },
        },
        env.deps(),
      );
      const call = env.aws.log.slice(mark).find((e) => e.action === "CopyImage");
      assert.equal(call?.params["Encrypted"], "true");
      assert.equal(call?.params["KmsKeyId"], "alias/ami");
    });
  });

  describe("fromManifest", () => {
    it("registers an instance-store image and records the bundle read from the manifest", async () => {
      const seeded = bundle(env, "ami-bundles-create", "web");
      const { id, outs } = await createManagedAmi(
        { name: "from-manifest", fromManifest: { imageLocation: seeded.imageLocation } },
        env.deps(),
      );
      const image = await describeImage(env, id);
      assert.equal(image?.RootDeviceType, "instance-store");
      assert.equal(image?.ImageLocation, seeded.imageLocation);
      assert.equal(outs.rootDeviceType, "instance-store");
      assert.deepEqual(outs.snapshotIds, []);
      assert.deepEqual(outs.bundle, {
        bucket: seeded.bucket,
        manifestKey: seeded.manifestKey,
        partKeys: seeded.partKeys,
      });
    });
  });

  describe("adopt", () => {
    it("takes over an own image: name read from the image, storage recorded, tags applied to AMI and snapshots", async () => {
      const imageId = await makeImage(env, "packer-build-1");
      const mappings = ((await describeImage(env, imageId))?.BlockDeviceMappings ?? []).map(
        (m) => m.Ebs?.SnapshotId,
      );
      const { id, outs } = await createManagedAmi(
        { adopt: { imageId }, tags: { managed: "yes" } },
        env.deps(),
      );
      assert.equal(id, imageId);
      assert.equal(outs.name, "packer-build-1");
      assert.deepEqual(outs.snapshotIds, mappings);
      assert.equal(outs.ownerId, "111111111111");
      assert.equal(tagMap((await describeImage(env, imageId))?.Tags).managed, "yes");
      for (const s of await snapshots(env, outs.snapshotIds)) assert.equal(tagMap(s.Tags).managed, "yes");
    });

    it("refuses an image of another account and sends no call that changes anything", async () => {
      const foreign = await makeImage(env, "someone-elses", REGION, FOREIGN_KEY);
      const record = env.aws.state.images.get(foreign);
      assert.ok(record);
      record.isPublic = true; // visible to us, still not ours
      const before = JSON.stringify(
        [...env.aws.state.images.values()].map((i) => [i.imageId, i.state, i.tags, i.description]),
      );
      const mark = env.mark();
      await assert.rejects(
        createManagedAmi(
          { adopt: { imageId: foreign }, tags: { grab: "it" }, description: "mine now" },
          env.deps(),
        ),
        (err: Error) => {
          assert.match(err.message, new RegExp(`${foreign}.*owned by account 222222222222`));
          assert.match(err.message, /nothing was changed/);
          assert.equal((err as { id?: string }).id, undefined, "no id: the engine must not record it");
          return true;
        },
      );
      const sent = env.actionsSince(mark);
      assert.ok(sent.length > 0);
      assert.deepEqual(
        sent.filter((a) => MUTATING.test(a)),
        [],
        `sent: ${sent.join(", ")}`,
      );
      assert.equal(
        JSON.stringify(
          [...env.aws.state.images.values()].map((i) => [i.imageId, i.state, i.tags, i.description]),
        ),
        before,
      );
    });

    it("refuses an image that does not exist, changing nothing", async () => {
      const mark = env.mark();
      await assert.rejects(
        createManagedAmi({ adopt: { imageId: "ami-0000000000000dead" } }, env.deps()),
        /cannot adopt: no image ami-0000000000000dead/,
      );
      assert.deepEqual(
        env.actionsSince(mark).filter((a) => MUTATING.test(a)),
        [],
      );
    });

    it("refuses a name with adopt (the image keeps its own) before any AWS call", async () => {
      const imageId = await makeImage(env, "packer-build-2");
      const mark = env.mark();
      await assert.rejects(
        createManagedAmi({ adopt: { imageId }, name: "renamed", tags: { a: "b" } }, env.deps()),
        /invalid inputs, nothing was sent to AWS: name: /,
      );
      assert.deepEqual(env.actionsSince(mark), []);
    });

    it("records the bundle of an adopted instance-store image", async () => {
      const seeded = bundle(env, "ami-bundles-adopt", "legacy");
      const made = await createManagedAmi(
        { name: "legacy-is", fromManifest: { imageLocation: seeded.imageLocation } },
        env.deps(),
      );
      const { outs } = await createManagedAmi({ adopt: { imageId: made.id } }, env.deps());
      assert.deepEqual(outs.bundle, {
        bucket: seeded.bucket,
        manifestKey: seeded.manifestKey,
        partKeys: seeded.partKeys,
      });
    });
  });

  describe("create call failures", () => {
    it("a name already taken fails naming the existing image, and records nothing", async () => {
      const taken = await makeImage(env, "taken-name");
      const instanceId = await launchInstance(env);
      await assert.rejects(
        createManagedAmi({ name: "taken-name", fromInstance: { instanceId } }, env.deps()),
        (err: Error & { id?: string }) => {
          assert.match(
            err.message,
            new RegExp(
              `ManagedAmi "taken-name": an image named "taken-name" already exists in ${REGION} \\(${taken}\\)`,
            ),
          );
          assert.match(err.message, /adopt/);
          assert.equal(err.id, undefined);
          return true;
        },
      );
    });

    it("claims the image a retried RegisterImage already made (lost answer → InvalidAMIName.Duplicate)", async () => {
      const snap = await makeSnapshot(env);
      const source = {
        rootDeviceName: "/dev/xvda",
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
      };
      // The first attempt takes effect; only its answer is lost, so the SDK sends it again.
      env.aws.faults.inject({ action: "RegisterImage", loseAnswer: true });
      const mark = env.mark();
      const { id, outs } = await createManagedAmi({ name: "lost-answer", fromSnapshots: source }, env.deps());
      const registers = env.aws.log.slice(mark).filter((e) => e.action === "RegisterImage");
      assert.deepEqual(
        registers.map((e) => e.code),
        ["AnswerLost", "InvalidAMIName.Duplicate"],
      );
      const made = [...env.aws.state.images.values()].filter((i) => i.name === "lost-answer");
      assert.equal(made.length, 1);
      assert.equal(id, made[0].imageId);
      assert.deepEqual(outs.snapshotIds, [snap]);
    });

    it("never claims a same-named image from the same source that lacks this create's token (another stack's, or a time-window guess)", async () => {
      const snap = await makeSnapshot(env);
      // Another stack's create of the same name and source, moments earlier (its own token).
      const theirs = await env.ec2().send(
        new RegisterImageCommand({
          Name: "same-everything",
          RootDeviceName: "/dev/xvda",
          BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snap } }],
          TagSpecifications: [
            { ResourceType: "image", Tags: [{ Key: CREATE_TOKEN_TAG, Value: "mami-theirs" }] },
          ],
        }),
      );
      const source = {
        rootDeviceName: "/dev/xvda",
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
      };
      await assert.rejects(
        createManagedAmi({ name: "same-everything", fromSnapshots: source }, env.deps()),
        (err: Error) => {
          assert.match(err.message, new RegExp(`already exists in ${REGION} \\(${theirs.ImageId}\\)`));
          return true;
        },
      );
      assert.equal(env.aws.state.images.get(theirs.ImageId ?? "")?.state, "available");
    });

    describe("a re-run after an interrupted up (same resource: same __claimKey)", () => {
      const KEY = "0123456789abcdef";
      async function leftByKilledRun(name: string, snap: string, token: string): Promise<string> {
        // What an `up` killed while waiting leaves: the image, tagged with that create's token.
        const out = await env.ec2().send(
          new RegisterImageCommand({
            Name: name,
            RootDeviceName: "/dev/xvda",
            BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snap } }],
            TagSpecifications: [{ ResourceType: "image", Tags: [{ Key: CREATE_TOKEN_TAG, Value: token }] }],
          }),
        );
        return out.ImageId as string;
      }
      const source = (snap: string) => ({
        rootDeviceName: "/dev/xvda",
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
      });

      it("claims the unfinished image of the same resource instead of failing with 'already exists'", async () => {
        const snap = await makeSnapshot(env);
        const left = await leftByKilledRun("killed-up", snap, `mami-${KEY}-${"a".repeat(24)}`);
        const { id, outs } = await createManagedAmi(
          { name: "killed-up", fromSnapshots: source(snap), __claimKey: KEY } as ManagedAmiInputs,
          env.deps(),
        );
        assert.equal(id, left);
        assert.deepEqual(outs.snapshotIds, [snap]);
        assert.match(outs.createToken ?? "", new RegExp(`^mami-${KEY}-[0-9a-f]{24}$`));
      });

      it("never claims another resource's (another stack's) unfinished image, nor a finished one of its own", async () => {
        const snap = await makeSnapshot(env);
        await leftByKilledRun("other-stack", snap, `mami-fedcba9876543210-${"b".repeat(24)}`);
        await assert.rejects(
          createManagedAmi(
            { name: "other-stack", fromSnapshots: source(snap), __claimKey: KEY } as ManagedAmiInputs,
            env.deps(),
          ),
          /already exists/,
        );
        const snap2 = await makeSnapshot(env);
        await leftByKilledRun("finished", snap2, `mami-${KEY}-${"c".repeat(24)}.done`);
        await assert.rejects(
          createManagedAmi(
            { name: "finished", fromSnapshots: source(snap2), __claimKey: KEY } as ManagedAmiInputs,
            env.deps(),
          ),
          /already exists/,
        );
      });
    });

    it("does not claim a same-named image made from other snapshots", async () => {
      const other = await makeSnapshot(env);
      const mine = await makeSnapshot(env);
      await env.ec2().send(
        new RegisterImageCommand({
          Name: "clash-snaps",
          RootDeviceName: "/dev/xvda",
          BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: other } }],
        }),
      );
      await assert.rejects(
        createManagedAmi(
          {
            name: "clash-snaps",
            fromSnapshots: {
              rootDeviceName: "/dev/xvda",
              blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: mine }],
            },
          },
          env.deps(),
        ),
        /already exists/,
      );
    });

    it("names the resource, the call, the AWS code and the fix", async () => {
      const snap = await makeSnapshot(env);
      env.aws.faults.inject({
        action: "RegisterImage",
        code: "UnauthorizedOperation",
        status: 403,
        times: 1,
      });
      try {
        await assert.rejects(
          createManagedAmi(
            {
              name: "denied",
              fromSnapshots: {
                rootDeviceName: "/dev/xvda",
                blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
              },
            },
            env.deps(),
          ),
          /^Error: ManagedAmi "denied": RegisterImage was refused \(UnauthorizedOperation: .*\)\. Grant the permission/,
        );
      } finally {
        env.aws.faults.clear();
      }
    });
  });

  describe("region", () => {
    it("resolves the SDK's region when the input is unset, records it, and calls that region", async () => {
      const saved = process.env.AWS_REGION;
      process.env.AWS_REGION = OTHER_REGION;
      try {
        const snap = await makeSnapshot(env, OTHER_REGION);
        const mark = env.mark();
        const { outs } = await createManagedAmi(
          {
            name: "resolved-region",
            fromSnapshots: {
              rootDeviceName: "/dev/xvda",
              blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
            },
          },
          env.deps(),
        );
        assert.equal(outs.region, OTHER_REGION);
        const regions = new Set(env.aws.log.slice(mark).map((e) => e.region));
        assert.deepEqual([...regions], [OTHER_REGION]);
      } finally {
        process.env.AWS_REGION = saved;
      }
    });

    it("uses the region input over the SDK's default", async () => {
      const snap = await makeSnapshot(env, OTHER_REGION);
      const { outs } = await createManagedAmi(
        {
          name: "explicit-region",
          region: OTHER_REGION,
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
          },
        },
        env.deps(),
      );
      assert.equal(outs.region, OTHER_REGION);
      assert.equal((await describeImage(env, outs.imageId, OTHER_REGION))?.State, "available");
    });
  });

  describe("a wait that fails after the image exists", () => {
    it("treats failed and invalid image states as errors", async () => {
      for (const state of ["failed", "invalid"]) {
        const imageId = await makeImage(env, `broken-${state}`);
        const record = env.aws.state.images.get(imageId);
        assert.ok(record);
        record.state = state as "failed";
        await assert.rejects(
          waitForImageAvailable(ec2Client(REGION), imageId, { pollMs: 1 }),
          (e: unknown) => {
            assert.ok(e instanceof ImageFailedError);
            assert.equal(e.state, state);
            return true;
          },
        );
      }
    });

    it("times out with the image's last state, on the injected clock", async () => {
      const imageId = await makeImage(env, "stuck");
      const record = env.aws.state.images.get(imageId);
      assert.ok(record);
      record.state = "pending";
      record.availableAt = Number.MAX_SAFE_INTEGER;
      let now = 0;
      const sleeps: number[] = [];
      const clock = { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)) };
      await assert.rejects(
        waitForImageAvailable(ec2Client(REGION), imageId, {
          timeoutMs: 60_000,
          pollMs: 1000,
          maxPollMs: 8000,
          clock,
        }),
        (e: unknown) =>
          e instanceof ImageWaitTimeoutError && e.lastState === "pending" && e.imageId === imageId,
      );
      assert.equal(now, 60_000, "waited exactly the time-out");
      assert.deepEqual(sleeps.slice(0, 5), [1000, 2000, 4000, 8000, 8000]);
    });

    it("defaults to a 40-minute time-out", async () => {
      const imageId = await makeImage(env, "stuck-default");
      const record = env.aws.state.images.get(imageId);
      assert.ok(record);
      record.state = "pending";
      record.availableAt = Number.MAX_SAFE_INTEGER;
      const saved = process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
      delete process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
      let now = 0;
      const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
      try {
        await assert.rejects(
          waitForImageAvailable(ec2Client(REGION), imageId, { clock }),
          ImageWaitTimeoutError,
        );
      } finally {
        if (saved !== undefined) process.env.MANAGED_AMI_WAIT_TIMEOUT_MS = saved;
      }
      assert.equal(now, 40 * 60_000);
    });
  });

  describe("a create whose image never becomes available", () => {
    const slow = useLocalAws({
      imageAvailableAfterMs: 3_600_000,
      accounts: { [ACCESS_KEY]: "111111111111" },
    });

    it("throws an error carrying the id, the outputs read so far and __provider", async () => {
      const instanceId = await launchInstance(slow);
      // Fake clock: the wait gives up at once, long before the image can become available.
      let now = 0;
      const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
      const err = await createManagedAmi(
        {
          name: "slow-image",
          tags: { t: "1" },
          fromInstance: { instanceId },
          __provider: "serialized",
        } as never,
        slow.deps({ wait: { timeoutMs: 5000, pollMs: 1000, clock } }),
      ).then(
        () => assert.fail("create should fail"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ManagedAmiPartialError, String(err));
      const imageId = [...slow.aws.state.images.values()].find((i) => i.name === "slow-image")?.imageId;
      assert.ok(imageId);
      assert.equal(err.id, imageId);
      assert.equal(err.properties.imageId, imageId);
      assert.equal(err.properties.state, "pending");
      assert.equal(err.properties.region, REGION);
      assert.equal(err.properties.ownerId, "111111111111");
      assert.equal(err.properties.__provider, "serialized");
      assert.equal(err.properties.name, "slow-image");
      assert.deepEqual(err.properties.tags, { t: "1" });
      assert.deepEqual(err.reasons, [err.message]);
      assert.match(
        err.message,
        new RegExp(`ManagedAmi "slow-image" \\(${imageId}\\).*still pending.*pulumi destroy`),
      );
    });

    it("records the snapshots already mapped, so destroy can still delete them", async () => {
      const snap = await makeSnapshot(slow);
      let now = 0;
      const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
      const err = await createManagedAmi(
        {
          name: "slow-register",
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: snap }],
          },
        },
        slow.deps({ wait: { timeoutMs: 10, pollMs: 10, clock } }),
      ).then(
        () => assert.fail("create should fail"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ManagedAmiPartialError);
      assert.deepEqual(err.properties.snapshotIds, [snap]);
    });
  });
});
