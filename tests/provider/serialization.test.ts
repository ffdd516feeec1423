// What Pulumi writes into state as `__provider`: small, free of credentials, and working when the
// dynamic-provider host evaluates it (require-from-string, `require` resolved from the project dir).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "../../provider/managedAmi";
import { ManagedAmiProvider } from "../../provider/provider";
import { ManagedAmiOutputs } from "../../provider/types";
import {
  ACCESS_KEY,
  describe as describeImage,
  launchInstance,
  SECRET_KEY,
  snapshots,
  useLocalAws,
} from "./support";

const REPO = join(__dirname, "..", "..");
const requireFromString: (
  code: string,
  filename?: string,
) => { handler(): ManagedAmiProvider } = require("require-from-string");

async function serialize(provider: ManagedAmiProvider): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return sf.text;
}

/** A user's project: node_modules/pulumi-managed-ami links to this repository (what an install looks like). */
function userProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "managed-ami-project-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO, join(dir, "node_modules", "pulumi-managed-ami"), "dir");
  return dir;
}

describe("serialized provider (__provider)", () => {
  const env = useLocalAws();
  let text = "";
  let project = "";

  before(async () => {
    process.env.AWS_SESSION_TOKEN = "managed-ami-session-token-77aa";
    text = await serialize(new ManagedAmiProvider());
    project = userProject();
  });
  after(() => {
    delete process.env.AWS_SESSION_TOKEN;
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("is under 8 KB", () => {
    assert.ok(text.length > 0);
    assert.ok(Buffer.byteLength(text) < 8 * 1024, `${Buffer.byteLength(text)} bytes`);
  });

  it("contains no credential, endpoint or configuration value", () => {
    for (const value of [
      SECRET_KEY,
      ACCESS_KEY,
      "managed-ami-session-token-77aa",
      env.aws.endpoint,
      String(env.aws.port),
    ]) {
      assert.ok(!text.includes(value), `found ${value}`);
    }
    assert.ok(!/AWS_|process\.env/.test(text), "reads no environment at serialization time");
  });

  it("captures no SDK client or implementation: every method loads the installed runtime", () => {
    assert.ok(!/EC2Client|S3Client|DescribeImages|teardown/.test(text));
    const calls = text.match(/return loadRuntime\(\)\.(check|diff|create|read|update|delete)\(/g) ?? [];
    assert.equal(calls.length, 6);
    assert.ok(text.includes('"pulumi-managed-ami/runtime"'));
  });

  it("serializes the same text for the same provider (so the engine sees no spurious change)", async () => {
    assert.equal(await serialize(new ManagedAmiProvider()), text);
  });

  it("works when evaluated as the host does, resolving the runtime from the user's project", async () => {
    const provider = requireFromString(text, join(project, "__provider.js")).handler();
    const check = await provider.check!({}, { name: "ok-name" });
    assert.ok(check.failures && check.failures.length > 0, "no source is a check failure");

    const instanceId = await launchInstance(env);
    const created = await provider.create({ name: "from-state", fromInstance: { instanceId } });
    const outs = created.outs as ManagedAmiOutputs;
    assert.equal((await describeImage(env, created.id))?.State, "available");
    await provider.delete!(created.id, outs);
    const image = await describeImage(env, created.id);
    assert.ok(!image || image.State === "deregistered");
    assert.deepEqual(await snapshots(env, outs.snapshotIds), []);
  });

  it("fails clearly where the package is not installed (no stale copy of the logic runs)", async () => {
    const empty = mkdtempSync(join(tmpdir(), "managed-ami-empty-"));
    try {
      const provider = requireFromString(text, join(empty, "__provider.js")).handler();
      await assert.rejects(
        async () => provider.check!({}, {}),
        /Cannot find module 'pulumi-managed-ami\/runtime'/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("ManagedAmi resource", () => {
  const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return {
            id: "ami-0123456789abcdef0",
            state: { ...args.inputs, imageId: "ami-0123456789abcdef0", state: "available" },
          };
        },
        call: () => ({}),
      },
      "project",
      "stack",
      false,
    );
  });

  function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
  }

  it("registers as pulumi-nodejs:dynamic/managed-ami:ManagedAmi with a small __provider", async () => {
    const ami = new ManagedAmi("web", {
      name: "web-ami",
      fromInstance: { instanceId: "i-0123456789abcdef0" },
      tags: { a: "b" },
    });
    assert.equal(await unwrap(ami.imageId), "ami-0123456789abcdef0");
    assert.equal(await unwrap(ami.state), "available");
    assert.equal(await unwrap(ami.name), "web-ami");
    const entry = registered.find((r) => r.name === "web");
    assert.ok(entry);
    assert.equal(entry.type, "pulumi-nodejs:dynamic/managed-ami:ManagedAmi");
    const provider = entry.inputs.__provider as string;
    assert.equal(typeof provider, "string");
    assert.ok(Buffer.byteLength(provider) < 8 * 1024);
    assert.deepEqual(entry.inputs.tags, { a: "b" });
  });

  it("declares every output and input as a resource property, set or not", () => {
    const ami = new ManagedAmi("props", { adopt: { imageId: "ami-0123456789abcdef0" } });
    const outputs = [
      "imageId",
      "region",
      "ownerId",
      "state",
      "rootDeviceType",
      "snapshotIds",
      "bundle",
      "creationDate",
      "architecture",
    ];
    const inputs = [
      "name",
      "description",
      "tags",
      "fromSnapshots",
      "fromInstance",
      "copyOf",
      "fromManifest",
      "adopt",
    ];
    const flags = ["deleteSnapshots", "deleteBundle", "disableDeregistrationProtection"];
    for (const key of [...outputs, ...inputs, ...flags]) {
      assert.ok(pulumi.Output.isInstance((ami as unknown as Record<string, unknown>)[key]), key);
    }
  });
});
