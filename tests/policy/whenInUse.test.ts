// Policy managed-ami-when-in-use-production (issue 12 §5): whenInUse "warn" in a production stack is an advisory violation.
import assert from "node:assert/strict";
import { policies } from "../../policy/policies";
import { managedAmiWhenInUseProduction as policy, productionReason } from "../../policy/policies/inUse";
import { TYPES } from "../../policy/props";
import { resourceArgs, ResourceSpec, runResourcePolicy, UNKNOWN_VALUE } from "./util";

const base: ResourceSpec = {
  type: TYPES.managedAmi,
  name: "web",
  stack: "prod",
  props: { adopt: { imageId: "ami-12345678" }, whenInUse: "warn" },
};

async function messages(
  spec: ResourceSpec,
  config: object = {},
  stackTags: Record<string, string> = {},
): Promise<string[]> {
  const args = { ...resourceArgs(spec, config), stackTags: new Map(Object.entries(stackTags)) };
  return (await runResourcePolicy(policy, args)).map((v) => v.message);
}

const expected = (where: string) =>
  `ManagedAmi "web" in ${where} sets whenInUse: "warn": its delete (destroy, replacement, or retirement by a ` +
  `ManagedAmiFamily) deregisters the image even while a launch template's $Default/$Latest version, an SSM ` +
  `parameter or an Image Builder recipe still launches from it, and the next scale-out fails. Remove whenInUse ` +
  `(default "fail") so the delete stops and names what still uses the image.`;

describe("policy managed-ami-when-in-use-production", () => {
  it("is in the pack, advisory by default", () => {
    assert.ok(policies.includes(policy));
    assert.equal(policy.enforcementLevel, "advisory");
  });

  it('flags whenInUse: "warn" in a stack named prod', async () => {
    assert.deepEqual(await messages(base), [expected('production stack "prod"')]);
  });

  it("flags it in production-<region> and Production stacks (case-insensitive)", async () => {
    assert.equal((await messages({ ...base, stack: "production-eu" })).length, 1);
    assert.equal((await messages({ ...base, stack: "Prod" })).length, 1);
  });

  it('passes whenInUse "fail" and unset (the default is "fail")', async () => {
    assert.deepEqual(await messages({ ...base, props: { ...base.props, whenInUse: "fail" } }), []);
    assert.deepEqual(await messages({ ...base, props: { adopt: { imageId: "ami-12345678" } } }), []);
  });

  it("does not guess when whenInUse is unknown at preview", async () => {
    assert.deepEqual(await messages({ ...base, props: { ...base.props, whenInUse: UNKNOWN_VALUE } }), []);
  });

  it("passes in a stack that is not production (dev, preprod, product)", async () => {
    for (const stack of ["dev", "preprod", "product"])
      assert.deepEqual(await messages({ ...base, stack }), [], stack);
  });

  it("flags a stack tagged environment=production (default tags), whatever its name", async () => {
    assert.deepEqual(await messages({ ...base, stack: "blue" }, {}, { environment: "Production" }), [
      expected('stack "blue" tagged environment=Production'),
    ]);
    assert.deepEqual(await messages({ ...base, stack: "blue" }, {}, { environment: "staging" }), []);
  });

  it("configurable: which stack names and tags count as production", async () => {
    const config = { productionStackPattern: "^live$", productionStackTags: ["tier=critical", "pci"] };
    assert.deepEqual(await messages(base, config), [], "prod no longer counts");
    assert.equal((await messages({ ...base, stack: "live" }, config)).length, 1);
    assert.deepEqual(await messages({ ...base, stack: "x" }, config, { tier: "critical" }), [
      expected('stack "x" tagged tier=critical'),
    ]);
    assert.deepEqual(await messages({ ...base, stack: "x" }, config, { pci: "anything" }), [
      expected('stack "x" tagged pci=anything'),
    ]);
    assert.deepEqual(await messages({ ...base, stack: "x" }, config, { environment: "production" }), []);
    assert.deepEqual(
      await messages(base, { productionStackPattern: "" }),
      [],
      "an empty pattern matches no name",
    );
  });

  it("only looks at ManagedAmi, and skips ignored resources", async () => {
    assert.deepEqual(await messages({ ...base, type: TYPES.ami }), []);
    assert.deepEqual(await messages(base, { ignoreResources: ["web"] }), []);
  });

  it("productionReason is undefined without a match", () => {
    assert.equal(
      productionReason("dev", new Map(), {
        productionStackPattern: "^prod$",
        productionStackTags: [],
        ignoreResources: [],
      }),
      undefined,
    );
  });
});
