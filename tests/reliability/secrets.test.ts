// No credential or secret value reaches state: not the outputs of any operation for any source,
// not a partial-create error's properties, not a warning, and not the serialized provider (`__provider`),
// with a unique AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN in the environment.
import assert from "node:assert/strict";
import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmiProvider } from "../../provider/provider";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "../../provider/types";
import {
  ACCESS_KEY,
  DEFAULT_REGION,
  mappingsFor,
  registerEbsImage,
  SECRET_KEY,
  seedBundleObjects,
  seedSnapshot,
  SESSION_TOKEN,
  useEndpoint,
} from "./support";

function assertNoSecret(what: string, value: unknown, secrets: string[]): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  assert.ok(text && text.length > 0, `${what} is empty`);
  for (const s of secrets) assert.ok(!text.includes(s), `${what} contains ${s}`);
}

describe("no credential or secret in state", function () {
  this.timeout(60_000);
  const ep = useEndpoint({}, { AWS_SESSION_TOKEN: SESSION_TOKEN });
  const secrets = (): string[] => [
    SECRET_KEY,
    SESSION_TOKEN,
    ACCESS_KEY,
    "reliability-secret",
    "reliability-session-token",
  ];

  it("the serialized provider (__provider) holds no credential, token or endpoint", async () => {
    const sf = await pulumi.runtime.serializeFunction(() => new ManagedAmiProvider(), { allowSecrets: true });
    assertNoSecret("__provider", sf.text, [...secrets(), ep.aws.endpoint]);
    assert.ok(!sf.containsSecrets, "the serialized provider captured a secret value");
  });

  it("create, read, update outputs and warnings of every source hold no credential", async () => {
    const ec2 = ep.ec2();
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: ep.aws.state.baseImageId(DEFAULT_REGION),
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    const shared = seedSnapshot(ep, DEFAULT_REGION);
    const bundle = seedBundleObjects(ep, DEFAULT_REGION, "secrets-bundles", "b/", "img", 2);
    const adoptable = await registerEbsImage(ep, DEFAULT_REGION, "secrets-adopt", [
      seedSnapshot(ep, DEFAULT_REGION),
    ]);
    const source = await registerEbsImage(ep, "us-west-2", "secrets-source", [seedSnapshot(ep, "us-west-2")]);
    const all: ManagedAmiInputs[] = [
      { name: "secrets-snapshots", tags: { team: "x" }, fromSnapshots: mappingsFor([shared]) },
      { name: "secrets-instance", fromInstance: { instanceId: run.Instances?.[0]?.InstanceId as string } },
      { name: "secrets-copy", copyOf: { sourceImageId: source, sourceRegion: "us-west-2" } },
      { name: "secrets-manifest", fromManifest: { imageLocation: bundle.imageLocation } },
      { adopt: { imageId: adoptable }, description: "adopted" },
    ];
    // An unmanaged image sharing the snapshot, so the delete below warns.
    await registerEbsImage(ep, DEFAULT_REGION, "secrets-sharer", [shared]);
    ep.warnings.length = 0;
    for (const inputs of all) {
      const what = Object.keys(inputs).find((k) => !["name", "tags", "description"].includes(k));
      const created = await ep.provider.create(inputs);
      assertNoSecret(`${what}: create outputs`, created.outs, secrets());
      const read = await ep.provider.read(created.id, created.outs as ManagedAmiOutputs);
      assertNoSecret(`${what}: read props`, read.props, secrets());
      const updated = await ep.provider.update(created.id, read.props as ManagedAmiOutputs, {
        ...inputs,
        tags: { changed: "yes" },
      });
      assertNoSecret(`${what}: update outputs`, updated.outs, secrets());
      await ep.provider.delete(created.id, updated.outs as ManagedAmiOutputs);
    }
    assert.ok(ep.warnings.length > 0, "the shared snapshot produced a warning");
    assertNoSecret("warnings", ep.warnings, secrets());
  });

  it("a partial create's error (id and properties the engine stores) holds no credential", async () => {
    const saved = process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
    process.env.MANAGED_AMI_WAIT_TIMEOUT_MS = "30";
    const snapshot = seedSnapshot(ep, DEFAULT_REGION);
    // The image never becomes available within the wait: create fails after the image exists.
    ep.aws.faults.inject({
      action: "DescribeImages",
      code: "InvalidAMIID.Unavailable",
      status: 400,
      times: Infinity,
    });
    try {
      await assert.rejects(
        ep.provider.create({ name: "secrets-partial", fromSnapshots: mappingsFor([snapshot]) }),
        (err: Error & { id?: string; properties?: unknown }) => {
          assert.match(err.id ?? "", /^ami-/, `a partial create carries the image id: ${err.message}`);
          assertNoSecret("partial error message", err.message, secrets());
          assertNoSecret("partial error properties", err.properties, secrets());
          return true;
        },
      );
    } finally {
      ep.aws.faults.clear();
      if (saved === undefined) delete process.env.MANAGED_AMI_WAIT_TIMEOUT_MS;
      else process.env.MANAGED_AMI_WAIT_TIMEOUT_MS = saved;
    }
  });
});
