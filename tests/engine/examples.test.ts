// Every example program, run under pulumi.runtime.setMocks: ManagedAmi resources go through the real
// dynamic-provider host (really creating, then destroying, AMIs on the local endpoint); the @pulumi/aws
// resources are mocks backed by the same endpoint (an instance is really launched, a snapshot really taken).
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import {
  CreateImageCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { awsMocks, destroyProgram, ProgramRun, projectName, runProgram } from "../../engine";
import { inventory, launchInstance, REGION, Stack, startStack, TYPE } from "./support";

const EXAMPLES = join(__dirname, "..", "..", "examples");

describe("examples, run as Pulumi programs (mocks + the real provider host)", function () {
  this.timeout(90_000);
  let stack: Stack;
  const mocks = () => awsMocks({ region: REGION });

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  async function up(example: string, config: Record<string, string> = {}): Promise<ProgramRun> {
    return runProgram({ programDir: join(EXAMPLES, example), engine: stack.engine, config, mocks: mocks() });
  }
  function managed(run: ProgramRun) {
    return run.resources.filter((r) => r.type === TYPE);
  }
  async function imageState(imageId: string, region = REGION): Promise<string | undefined> {
    const out = await stack
      .ec2(region)
      .send(new DescribeImagesCommand({ ImageIds: [imageId] }))
      .catch(() => undefined);
    return out?.Images?.[0]?.State;
  }

  it("quickstart: instance → ManagedAmi fromInstance → launch template; destroy leaves no image or snapshot", async () => {
    const before = inventory(stack);
    const run = await up("quickstart");
    const types = run.resources.map((r) => r.type);
    assert.deepEqual(types, ["aws:ec2/instance:Instance", TYPE, "aws:ec2/launchTemplate:LaunchTemplate"]);
    const imageId = run.outputs.imageId as string;
    assert.equal(await imageState(imageId), "available");
    assert.equal(run.resources[2].inputs.imageId, imageId, "the launch template uses the managed AMI");
    assert.equal(
      managed(run)[0].inputs.__provider,
      stack.provider,
      "ManagedAmi stores what the harness serializes",
    );
    const snaps = run.outputs.snapshotIds as string[];
    assert.equal(snaps.length, 1);
    assert.ok(inventory(stack).snapshots.includes(snaps[0]));

    await destroyProgram(run, stack.engine, mocks());
    assert.deepEqual(inventory(stack), before);
    assert.notEqual(await imageState(imageId), "available");
  });

  it("adopt-packer: adopts an image built outside Pulumi; destroy deletes it and its snapshots", async () => {
    const instanceId = await launchInstance(stack);
    const before = inventory(stack);
    const built = await stack
      .ec2()
      .send(new CreateImageCommand({ InstanceId: instanceId, Name: "packer-web-1" }));
    const imageId = built.ImageId!;
    stack.aws.advance(60_000);
    const snaps = (await stack.ec2().send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] })))
      .Snapshots!.map((s) => s.SnapshotId!)
      .filter((s) => !before.snapshots.includes(s));
    assert.equal(snaps.length, 1);

    const run = await up("adopt-packer", { imageId });
    assert.equal(run.outputs.imageId, imageId);
    assert.equal(run.outputs.name, "packer-web-1");
    assert.deepEqual(run.outputs.snapshotIds, snaps);

    await destroyProgram(run, stack.engine, mocks());
    assert.deepEqual(inventory(stack), before);
  });

  it("adopt-packer: a foreign image is refused and nothing changes", async () => {
    const foreign = stack.aws.state.baseImageId(REGION);
    const before = inventory(stack);
    await assert.rejects(up("adopt-packer", { imageId: foreign }), /owned by account/);
    assert.deepEqual(inventory(stack), before);
    assert.equal(await imageState(foreign), "available");
    assert.equal(stack.engine.resources.size, 0);
  });

  it("cross-region-copy: source in us-east-1, copy in us-west-2; destroy cleans both regions", async () => {
    const before = inventory(stack);
    const run = await up("cross-region-copy", { copyRegion: "us-west-2" });
    const [source, copy] = managed(run);
    assert.equal(source.state.region, "us-east-1");
    assert.equal(copy.state.region, "us-west-2");
    assert.equal(run.outputs.copyRegionName, "us-west-2");
    assert.equal(await imageState(run.outputs.copyImageId as string, "us-west-2"), "available");
    assert.equal(await imageState(run.outputs.sourceImageId as string), "available");
    assert.equal((run.outputs.copySnapshotIds as string[]).length, 1);

    await destroyProgram(run, stack.engine, mocks());
    assert.deepEqual(inventory(stack), before);
  });

  it("register-snapshots: aws.ebs.Snapshot → ManagedAmi fromSnapshots; destroy deletes the image and the snapshot", async () => {
    const volume = await stack
      .ec2()
      .send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }));
    stack.aws.advance(60_000);
    const before = inventory(stack);
    const run = await up("register-snapshots", { volumeId: volume.VolumeId! });
    stack.aws.advance(60_000);
    const snapshotId = run.outputs.snapshotId as string;
    assert.match(snapshotId, /^snap-/);
    assert.deepEqual(run.outputs.ownedSnapshotIds, [snapshotId]);
    assert.equal(await imageState(run.outputs.imageId as string), "available");

    await destroyProgram(run, stack.engine, mocks());
    assert.deepEqual(inventory(stack), before);
  });

  it("instance-store: fromManifest; destroy deletes the manifest and its parts, and nothing else in the bucket", async () => {
    const s3 = stack.s3();
    await s3.send(new CreateBucketCommand({ Bucket: "bundles" }));
    const parts = ["web.part.0", "web.part.1"];
    for (const p of parts)
      await s3.send(new PutObjectCommand({ Bucket: "bundles", Key: `web/${p}`, Body: `data of ${p}` }));
    await s3.send(
      new PutObjectCommand({ Bucket: "bundles", Key: "web/web.manifest.xml", Body: manifest("web", parts) }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: "bundles", Key: "web/README", Body: "not part of the bundle" }),
    );

    const run = await up("instance-store", { imageLocation: "bundles/web/web.manifest.xml" });
    const bundle = run.outputs.bundle as { bucket: string; manifestKey: string; partKeys: string[] };
    assert.deepEqual(bundle, {
      bucket: "bundles",
      manifestKey: "web/web.manifest.xml",
      partKeys: parts.map((p) => `web/${p}`),
    });
    assert.equal(await imageState(run.outputs.imageId as string), "available");

    await destroyProgram(run, stack.engine, mocks());
    const left = await s3.send(new ListObjectsV2Command({ Bucket: "bundles" }));
    assert.deepEqual(
      (left.Contents ?? []).map((o) => o.Key),
      ["web/README"],
    );
    assert.notEqual(await imageState(run.outputs.imageId as string), "available");
  });
});

/** A minimal manifest in the ec2-bundle-image (2007-10-10) format, listing `parts` next to it. */
function manifest(name: string, parts: string[]): string {
  const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");
  const partXml = parts
    .map(
      (p, i) =>
        `<part index="${i}"><filename>${p}</filename><digest algorithm="SHA1">${sha1(p)}</digest></part>`,
    )
    .join("");
  return (
    `<?xml version='1.0'?><manifest><version>2007-10-10</version><bundler><name>ec2-ami-tools</name>` +
    `<version>1.5</version><release>7</release></bundler><machine_configuration><architecture>x86_64</architecture>` +
    `</machine_configuration><image><name>${name}</name><user>123456789012</user><type>machine</type>` +
    `<size>10485760</size><bundled_size>${parts.length * 1024}</bundled_size>` +
    `<parts count="${parts.length}">${partXml}</parts></image></manifest>`
  );
}

describe("the repo-root Pulumi project", function () {
  this.timeout(90_000);
  const root = join(__dirname, "..", "..");

  it("names a `main` that exists after the build and runs the quick-start program", async () => {
    const yaml = readFileSync(join(root, "Pulumi.yaml"), "utf8");
    assert.match(yaml, /^runtime: nodejs$/m);
    const main = /^main:\s*(\S+)$/m.exec(yaml)?.[1];
    assert.ok(main, "Pulumi.yaml has a main");
    const entry = join(root, main);
    assert.ok(existsSync(entry), `${main} exists (npm install / npm run build creates it)`);
    assert.equal(
      projectName(root),
      projectName(join(EXAMPLES, "quickstart")),
      "same project name, same config keys",
    );

    const stack = await startStack();
    try {
      const before = inventory(stack);
      const mocks = awsMocks({ region: REGION });
      const run = await runProgram({ programDir: root, entry, engine: stack.engine, mocks });
      assert.deepEqual(
        run.resources.map((r) => r.type),
        ["aws:ec2/instance:Instance", TYPE, "aws:ec2/launchTemplate:LaunchTemplate"],
      );
      assert.match(run.outputs.imageId as string, /^ami-/);
      await destroyProgram(run, stack.engine, mocks);
      assert.deepEqual(inventory(stack), before);
    } finally {
      await stack.stop();
    }
  });
});
