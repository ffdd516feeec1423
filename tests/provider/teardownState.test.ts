// The delete-path safety holes of issue 10 (more in teardownSafety.test.ts): each test drives the real
// teardown against local-aws through the real SDK, and each failed on the version 1 teardown.
import assert from "node:assert/strict";
import {
  CreateImageCommand,
  CreateTagsCommand,
  RunInstancesCommand,
  DescribeImagesCommand,
  RegisterImageCommand,
} from "@aws-sdk/client-ec2";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { teardown } from "../../provider/teardown";
import { MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
import { defaultClients } from "../../cli/audit/run";
import { scan } from "../../cli/audit/scan";
import {
  ebsAmi,
  makeSnapshot,
  manifestXml,
  outputsFor,
  putBundle,
  registerEbs,
  REGION,
  startEnv,
  type Env,
  teardownDeps,
} from "./teardownFixtures";

const deps = teardownDeps;

const tagsOf = (env: Env, snapshotId: string) =>
  env.aws.state.snapshots.get(snapshotId)?.tags.map((t) => t.key) ?? [];

describe("teardown: the delete-path safety holes (issue 10)", function () {
  let env: Env;
  afterEach(async () => env && (await env.stop()));

  it("defect 1: a kept snapshot loses the ownership tag, and audit --delete then never deletes it", async () => {
    env = await startEnv();
    const out = await ebsAmi(env, 1, { deleteSnapshots: false });
    // A v1 create tagged it even with deleteSnapshots: false.
    await env.ec2.send(
      new CreateTagsCommand({
        Resources: out.snapshotIds,
        Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: out.imageId }],
      }),
    );
    await teardown(out, deps(env));
    assert.deepEqual(tagsOf(env, out.snapshotIds[0]), []);
    // What the audit would list: nothing of ours. Even if asked to delete it, the safety core refuses nothing here,
    // so the proof is that the audit's classifier has no claim to read (see tests/cli for the full audit).
    assert.ok(env.aws.state.snapshots.has(out.snapshotIds[0]));
  });

  it("defect 1: a snapshot left because another image uses it loses only this resource's claim", async () => {
    env = await startEnv();
    const out = await ebsAmi(env, 1);
    const other = await registerEbs(env.ec2, out.snapshotIds);
    await env.ec2.send(
      new CreateTagsCommand({
        Resources: out.snapshotIds,
        Tags: [
          { Key: MANAGED_AMI_IMAGE_TAG, Value: out.imageId },
          { Key: "team", Value: "a" },
        ],
      }),
    );
    await teardown(out, deps(env));
    assert.deepEqual(tagsOf(env, out.snapshotIds[0]), ["team"]);
    assert.equal(env.aws.state.images.get(other)?.state, "available");
  });

  it("defect 2: a pending record with no snapshots finds the image's provably own snapshots and deletes them", async () => {
    env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
    const base = env.aws.state.baseImageId(REGION);
    const run = await env.ec2.send(
      new RunInstancesCommand({ ImageId: base, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }),
    );
    const made = await env.ec2.send(
      new CreateImageCommand({ InstanceId: run.Instances?.[0]?.InstanceId, Name: "half-made" }),
    );
    const imageId = made.ImageId as string;
    const own = [...env.aws.state.snapshots.values()]
      .filter((x) => x.description.includes(imageId))
      .map((x) => x.snapshotId);
    assert.ok(own.length > 0);
    const unrelated = await makeSnapshot(env.ec2);
    await teardown(outputsFor(env, imageId, { state: "pending", snapshotIds: [] }), deps(env));
    for (const id of own) assert.equal(env.aws.state.snapshots.has(id), false, `${id} left behind`);
    assert.ok(env.aws.state.snapshots.has(unrelated));
  });

  it("defect 11: an empty DescribeImages answer for a still-registered image does not let its bundle be deleted under it", async () => {
    env = await startEnv();
    const bundle = await putBundle(env.s3, "bkt", "img/", "web", 2);
    const reg = await env.ec2.send(
      new RegisterImageCommand({ Name: "web-is", ImageLocation: `bkt/${bundle.manifestKey}` }),
    );
    const imageId = reg.ImageId as string;
    const out = outputsFor(env, imageId, { rootDeviceType: "instance-store", bundle });
    // A lagging endpoint: the first DescribeImages by id answers empty.
    let first = true;
    const lagging = {
      send: ((command: unknown) => {
        if (first && command instanceof DescribeImagesCommand && command.input.ImageIds?.[0] === imageId) {
          first = false;
          return Promise.resolve({ Images: [], $metadata: {} });
        }
        return (env.ec2.send as (c: unknown) => Promise<unknown>)(command);
      }) as typeof env.ec2.send,
    };
    await teardown(out, deps(env, { ec2: lagging }));
    // Either it deregistered the image first, or it kept the bundle: never parts gone under a registered AMI.
    const state = env.aws.state.images.get(imageId)?.state;
    const objects = env.aws.state.s3.buckets.get("bkt")?.objects;
    assert.ok(
      state === "deregistered" || (objects?.size ?? 0) === 3,
      `image ${state}, ${objects?.size} objects left`,
    );
    assert.equal(state, "deregistered");
  });

  it("defect 12: two images sharing a snapshot deleted at once, reference query lagging: the snapshot is deleted, not left unrecorded", async () => {
    env = await startEnv({ supportsDeleteAssociatedSnapshots: false });
    const shared = await makeSnapshot(env.ec2);
    const a = await registerEbs(env.ec2, [shared]);
    const b = await registerEbs(env.ec2, [shared]);
    // The reference query (by filter) keeps answering as before the deregistrations, as a lagging endpoint does.
    const stale = await env.ec2.send(
      new DescribeImagesCommand({
        Filters: [{ Name: "block-device-mapping.snapshot-id", Values: [shared] }],
        IncludeDisabled: true,
      }),
    );
    const lagging = {
      send: ((command: unknown) => {
        if (
          command instanceof DescribeImagesCommand &&
          command.input.Filters?.some((f) => f.Name === "block-device-mapping.snapshot-id")
        ) {
          return Promise.resolve({ ...stale, NextToken: undefined });
        }
        return (env.ec2.send as (c: unknown) => Promise<unknown>)(command);
      }) as typeof env.ec2.send,
    };
    const [ra, rb] = await Promise.all([
      teardown(outputsFor(env, a, { snapshotIds: [shared] }), deps(env, { ec2: lagging })),
      teardown(outputsFor(env, b, { snapshotIds: [shared] }), deps(env, { ec2: lagging })),
    ]);
    assert.equal(
      env.aws.state.snapshots.has(shared),
      false,
      `outcomes: ${JSON.stringify([ra.snapshots, rb.snapshots])}`,
    );
  });

  it("defect 13: bundle parts listed by another registered image's manifest (a copied manifest) are not deleted", async () => {
    env = await startEnv();
    const bundle = await putBundle(env.s3, "bkt", "img/", "web", 2);
    const ours = await env.ec2.send(
      new RegisterImageCommand({ Name: "ours", ImageLocation: `bkt/${bundle.manifestKey}` }),
    );
    // The same parts, registered again from a copy of the manifest under another name.
    const names = bundle.partKeys.map((k) => k.slice("img/".length));
    await env.s3.send(
      new PutObjectCommand({ Bucket: "bkt", Key: "img/copy.manifest.xml", Body: manifestXml(names) }),
    );
    const theirs = await env.ec2.send(
      new RegisterImageCommand({ Name: "theirs", ImageLocation: "bkt/img/copy.manifest.xml" }),
    );
    const d = deps(env);
    const result = await teardown(
      outputsFor(env, ours.ImageId as string, { rootDeviceType: "instance-store", bundle }),
      d,
    );
    assert.equal(result.bundle?.outcome, "in-use");
    assert.deepEqual(result.bundle?.usedBy, [theirs.ImageId]);
    const keys = [...(env.aws.state.s3.buckets.get("bkt")?.objects.keys() ?? [])];
    for (const key of bundle.partKeys) assert.ok(keys.includes(key), `${key} was deleted`);
  });

  it("defect 1 with the audit: a kept (deleteSnapshots: false) snapshot is not listed by managed-ami audit, so --delete never deletes it", async () => {
    env = await startEnv();
    // A free-text snapshot (the description names no image): only the ownership tag could attribute it.
    const snap = await makeSnapshot(env.ec2);
    const imageId = await registerEbs(env.ec2, [snap]);
    const out = outputsFor(env, imageId, { snapshotIds: [snap], deleteSnapshots: false });
    await env.ec2.send(
      new CreateTagsCommand({ Resources: [snap], Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: imageId }] }),
    );
    await teardown(out, deps(env));
    const found = await scan({ regions: [REGION], clients: defaultClients() });
    assert.deepEqual(
      found.orphanedSnapshots.map((o) => o.snapshotId),
      [],
      "the snapshot the user kept must not be listed (and so never deleted) as a ManagedAmi orphan",
    );
    assert.ok(env.aws.state.snapshots.has(snap));
  });
});
