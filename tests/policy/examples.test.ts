// Every example program in examples/ passes the policy pack with its default config: no violations at all.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { resolvePackageFromCheckout } from "../../engine/resolve";
import { policies } from "../../policy/policies";
import { ec2For, seedEbsImage, withLocalAws } from "../support/localAws";
import { resourceArgs, runResourcePolicy, runStackPolicy, stackArgs, Violation } from "./util";

const root = join(__dirname, "..", "..");
const examplesDir = join(root, "examples");
const STACK = "dev";

/** Values for the config keys examples `require`; a new required key must be added here. */
const CONFIG_VALUES: Record<string, string> = {
  imageId: "ami-0123456789abcdef0",
  volumeId: "vol-0123456789abcdef0",
  instanceId: "i-0123456789abcdef0",
  imageLocation: "example-bucket/images/web.manifest.xml",
  sourceImageId: "ami-0123456789abcdef0",
  sourceRegion: "us-east-1",
  copyRegion: "us-west-2",
  region: "us-east-1",
};

interface Registered {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
}

function exampleDirs(): string[] {
  if (!existsSync(examplesDir)) return [];
  return readdirSync(examplesDir)
    .filter((d) => existsSync(join(examplesDir, d, "index.ts")))
    .sort();
}

function requiredConfig(source: string): string[] {
  return [
    ...source.matchAll(/config\.require(?:Secret|Number|Boolean|Object)?(?:<[^>]*>)?\(\s*["']([^"']+)["']/g),
  ].map((m) => m[1]);
}

/** Runs the example under setMocks (every resource mocked: state = inputs, id = "<name>-id"); returns what it registered. */
async function runExample(dir: string): Promise<Registered[]> {
  const programDir = join(examplesDir, dir);
  const yaml = readFileSync(join(programDir, "Pulumi.yaml"), "utf8");
  const project = /^name:\s*["']?([^\s"']+)/m.exec(yaml)?.[1];
  assert.ok(project, `${dir}/Pulumi.yaml has no name`);
  const entry = join(programDir, "index.ts");

  const config: Record<string, string> = {};
  for (const key of requiredConfig(readFileSync(entry, "utf8"))) {
    const value = CONFIG_VALUES[key];
    assert.ok(
      value,
      `examples/${dir} requires config "${key}": add a value for it to CONFIG_VALUES in this test`,
    );
    config[`${project}:${key}`] = value;
  }

  const registered: Registered[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };
  await pulumi.runtime.setMocks(
    {
      newResource: (args) =>
        track(
          (async () => {
            const id = `${args.name}-id`;
            registered.push({ type: args.type, name: args.name, id, inputs: { ...args.inputs } });
            return { id, state: { ...args.inputs } };
          })(),
        ),
      call: () => track(Promise.resolve({})),
    },
    project,
    STACK,
    false,
  );
  pulumi.runtime.setAllConfig(config);

  const removeHook = resolvePackageFromCheckout(root);
  let exported: Record<string, unknown>;
  try {
    delete require.cache[entry];
    exported = { ...(require(entry) as Record<string, unknown>) };
  } finally {
    removeHook();
  }
  // Wait for every exported output, then until no registration is in flight for a few turns.
  await Promise.all(
    Object.values(exported).map(
      (v) => new Promise((res) => (pulumi.output(v) as pulumi.Output<unknown>).apply((x) => res(x))),
    ),
  );
  for (let quiet = 0; quiet < 3;) {
    if (pending.size > 0) {
      quiet = 0;
      await Promise.allSettled([...pending]);
    } else quiet++;
    await new Promise((r) => setTimeout(r, 10));
  }
  return registered;
}

async function violationsOf(resources: Registered[]): Promise<string[]> {
  const found: string[] = [];
  const label = (policy: string, v: Violation) => `${policy}: ${v.message}`;
  for (const policy of policies) {
    if ("validateResource" in policy && policy.validateResource) {
      for (const r of resources) {
        const args = resourceArgs({ type: r.type, name: r.name, stack: STACK, props: r.inputs });
        for (const v of await runResourcePolicy(policy as ResourceValidationPolicy, args))
          found.push(label(policy.name, v));
      }
    }
    if ("validateStack" in policy) {
      // Stack policies see outputs; with these mocks outputs are the inputs plus the id.
      const args = stackArgs(
        resources.map((r) => ({
          type: r.type,
          name: r.name,
          stack: STACK,
          props: { ...r.inputs, id: r.id },
        })),
      );
      for (const v of await runStackPolicy(policy as StackValidationPolicy, args))
        found.push(label(policy.name, v));
    }
  }
  return found;
}

describe("examples pass the policy pack", function () {
  this.timeout(120_000);
  const dirs = exampleDirs();
  // examples/image-family discovers its web-* images at program time: serve three on the local endpoint.
  const ctx = withLocalAws({ timeScale: 0.001, resetEachTest: false });
  before(async () => {
    for (const name of ["web-2026-06-01", "web-2026-06-08", "web-2026-06-15"])
      await seedEbsImage(ctx.aws, ec2For(ctx.aws), name);
  });

  it("finds the example programs (examples/*/index.ts)", () => {
    assert.ok(dirs.length > 0, `no examples found under ${examplesDir}: this test must not pass vacuously`);
  });

  it("builds dist/ first (the examples import pulumi-managed-ami, which resolves to the built package)", () => {
    assert.ok(existsSync(join(root, "dist", "provider", "index.js")), "run `npm run build` before the tests");
  });

  for (const dir of dirs) {
    it(`examples/${dir}: every resource and the stack pass with no violations`, async () => {
      const resources = await runExample(dir);
      assert.ok(
        resources.some(
          (r) =>
            r.type === "pulumi-nodejs:dynamic/managed-ami:ManagedAmi" &&
            typeof r.inputs.__provider === "string",
        ),
        `examples/${dir} registered no ManagedAmi: ${resources.map((r) => r.type).join(", ")}`,
      );
      assert.deepEqual(await violationsOf(resources), []);
    });
  }

  it("the harness does report violations (control: the same collection with a public launch permission)", async () => {
    const found = await violationsOf([
      {
        type: "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
        name: "share",
        id: "share-id",
        inputs: { imageId: "ami-1", group: "all" },
      },
    ]);
    assert.equal(found.length, 1);
    assert.match(found[0], /^no-public-amis: /);
  });
});
