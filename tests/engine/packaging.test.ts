// Packaging and runtime resolution through the REAL dynamic-provider host: the packed tarball installed
// into a fresh project (no symlink into the checkout) and driven from there; the repository root as the
// host's working directory; a hoisted workspace; and the error where the package is not installed.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "fs";
import { createRequire } from "module";
import { tmpdir } from "os";
import { join } from "path";
import {
  RunInstancesCommand,
  EC2Client,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
} from "@aws-sdk/client-ec2";
import { ManagedAmiProvider } from "pulumi-managed-ami";
import {
  createPackedProject,
  HostError,
  LocalEngine,
  packageRoot,
  packPackage,
  PackedProject,
  ProviderHost,
  serializeProvider,
} from "../../engine";
import type { LocalAws } from "../../local-aws";
import { AWS_ENV_KEYS, replaceEnv } from "../support/env";

const TYPE = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";
const REGION = "us-east-1";
const ENV = {
  AWS_ACCESS_KEY_ID: "AKIAPACKAGINGTEST001",
  AWS_SECRET_ACCESS_KEY: "packaging-test-secret",
  AWS_REGION: REGION,
};

describe("packaging: the packed tarball and runtime resolution, through the real provider host", function () {
  this.timeout(120_000);
  let workDir = "";
  let tarball = "";
  let project: PackedProject;
  let aws: LocalAws;
  let endpointEnv: Record<string, string> = {};
  let restoreEnv = () => {};
  const hosts: ProviderHost[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), "managed-ami-pack-"));
    tarball = packPackage(workDir);
    project = createPackedProject({ tarball });
    // The endpoint comes from the INSTALLED package's `pulumi-managed-ami/local-aws` export.
    const installed = createRequire(join(project.path, "index.js"));
    const { startLocalAws } = installed("pulumi-managed-ami/local-aws") as typeof import("../../local-aws");
    aws = await startLocalAws({ timeScale: 0.001 });
    endpointEnv = { ...ENV, AWS_ENDPOINT_URL_EC2: aws.endpoint, AWS_ENDPOINT_URL_S3: aws.endpoint };
    restoreEnv = replaceEnv(AWS_ENV_KEYS, endpointEnv);
  });
  afterEach(async () => {
    while (hosts.length > 0) await hosts.pop()!.stop();
  });
  after(async () => {
    restoreEnv();
    await aws?.stop();
    project?.remove();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function startHost(cwd: string): Promise<LocalEngine> {
    const host = await ProviderHost.start({ cwd, env: { ...endpointEnv, MANAGED_AMI_WAIT_POLL_MS: "5" } });
    hosts.push(host);
    return new LocalEngine(host);
  }

  async function launchInstance(): Promise<string> {
    const ec2 = new EC2Client({ region: REGION });
    const out = await ec2.send(
      new RunInstancesCommand({ ImageId: aws.state.baseImageId(REGION), MinCount: 1, MaxCount: 1 }),
    );
    return out.Instances![0].InstanceId!;
  }

  /** up → refresh → destroy of one ManagedAmi; asserts the image and its snapshots exist, then are gone. */
  async function lifecycle(engine: LocalEngine, provider: string, name: string): Promise<void> {
    const instanceId = await launchInstance();
    const step = await engine.register(TYPE, name, {
      name: `${name}-ami`,
      fromInstance: { instanceId },
      __provider: provider,
    });
    assert.deepEqual(step.rpcs, ["Check", "Create"]);
    const imageId = step.state.id;
    const snapshotIds = step.state.outputs.snapshotIds as string[];
    assert.equal(snapshotIds.length, 1);
    const ec2 = new EC2Client({ region: REGION });
    const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    assert.equal(images.Images?.[0]?.State, "available");

    assert.equal(await engine.refresh(step.state.urn), "updated");
    assert.equal(engine.resources.get(step.state.urn)?.outputs.imageId, imageId);

    await engine.destroy(step.state.urn);
    const after = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.ok(!after.Images?.some((i) => i.ImageId === imageId && i.State !== "deregistered"));
    const snaps = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    assert.deepEqual(
      snaps.Snapshots?.filter((s) => snapshotIds.includes(s.SnapshotId!)).map((s) => s.SnapshotId),
      [],
    );
  }

  it("the tarball ships the provider, runtime, CLI, local endpoint and policy pack; not engine/, demo/, bench/, tests/", () => {
    const entries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((e) => e.replace(/^package\//, ""));
    for (const file of [
      "package.json",
      "LICENSE",
      "README.md",
      "dist/provider/index.js",
      "dist/provider/index.d.ts",
      "dist/provider/runtime.js",
      "dist/cli/managed-ami.js",
      "dist/local-aws/index.js",
      "policy/index.ts",
      "policy/PulumiPolicy.yaml",
      "policy/package.json",
      "policy/package-lock.json",
    ]) {
      assert.ok(entries.includes(file), `${file} missing from the tarball`);
    }
    const unwanted = entries.filter((e) =>
      /^(dist\/)?(engine|demo|bench|tests|examples)\/|\.tsbuildinfo$|^node_modules\//.test(e),
    );
    assert.deepEqual(unwanted, []);
  });

  it("declares @pulumi/pulumi as a peer, not a dependency, and no @pulumi/aws or @pulumi/policy at runtime", () => {
    const installed = readdirSync(join(project.path, "node_modules", "@pulumi"));
    assert.deepEqual(installed, ["pulumi"], "only the peer @pulumi/pulumi is installed beside the package");
    assert.ok(!project.installed.some((p) => p.startsWith("pulumi-managed-ami/node_modules/@pulumi/")));
    const manifest = createRequire(join(project.packageDir, "x.js"))("./package.json") as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    assert.match(manifest.peerDependencies["@pulumi/pulumi"], /^\^3\.\d+\.\d+$/);
    assert.ok(!Object.keys(manifest.dependencies).some((d) => d.startsWith("@pulumi/")));
    const sdkRanges = Object.entries(manifest.dependencies)
      .filter(([d]) => d.startsWith("@aws-sdk/"))
      .map(([, r]) => r);
    assert.ok(sdkRanges.length >= 2);
    assert.equal(new Set(sdkRanges).size, 1, "one caret range for every @aws-sdk client");
    assert.match(sdkRanges[0], /^\^3\./);
  });

  it("installed from the tarball (no symlink into the checkout), the host run from that project creates, reads and deletes", async () => {
    for (const entry of readdirSync(join(project.path, "node_modules"))) {
      assert.ok(
        !lstatSync(join(project.path, "node_modules", entry)).isSymbolicLink(),
        `${entry} is a symlink`,
      );
    }
    // The provider is serialized by the INSTALLED package and SDK, as the user's program does.
    const script =
      'const pulumi = require("@pulumi/pulumi"); const { ManagedAmiProvider } = require("pulumi-managed-ami");' +
      "pulumi.runtime.serializeFunction(() => new ManagedAmiProvider(), { allowSecrets: true })" +
      ".then((s) => process.stdout.write(s.text));";
    const provider = execFileSync(process.execPath, ["-e", script], {
      cwd: project.path,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    assert.match(provider, /pulumi-managed-ami\/runtime/);
    await lifecycle(await startHost(project.path), provider, "packed");
  });

  it("the CLI from the tarball runs with only the declared dependencies", () => {
    const cli = join(project.packageDir, "dist", "cli", "managed-ami.js");
    const help = execFileSync(process.execPath, [cli, "--help"], {
      cwd: project.path,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    assert.match(help, /audit/);
  });

  it("the repository root as the host's working directory (its root Pulumi.yaml): create, read, delete", async () => {
    const provider = (await serializeProvider(new ManagedAmiProvider())).text;
    await lifecycle(await startHost(packageRoot()), provider, "repo-root");
  });

  it("a project in a hoisted workspace (package installed in the workspace root's node_modules)", async () => {
    const member = join(project.path, "packages", "infra");
    mkdirSync(member, { recursive: true });
    writeFileSync(join(member, "Pulumi.yaml"), "name: infra\nruntime: nodejs\n");
    writeFileSync(join(member, "package.json"), '{ "name": "infra", "private": true }\n');
    const provider = (await serializeProvider(new ManagedAmiProvider())).text;
    await lifecycle(await startHost(member), provider, "workspace");
  });

  it("where the package is not installed: Check fails naming the working directory and the install command", async () => {
    const empty = mkdtempSync(join(tmpdir(), "managed-ami-noinstall-"));
    try {
      const provider = (await serializeProvider(new ManagedAmiProvider())).text;
      const engine = await startHost(empty);
      const err = await engine.register(TYPE, "x", { name: "x-ami", __provider: provider }).then(
        () => assert.fail("Check should fail"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof HostError, String(err));
      assert.match(err.message, /Cannot find module 'pulumi-managed-ami\/runtime'/);
      assert.ok(err.message.includes(empty), `names the working directory: ${err.message}`);
      assert.match(err.message, /npm install pulumi-managed-ami/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
