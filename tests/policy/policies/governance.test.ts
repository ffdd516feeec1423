import assert from "node:assert/strict";
import { amiDeregistrationProtection, amiRequiredTags } from "../../../policy/policies/governance";
import { TYPES } from "../../../policy/props";
import { resourceMessages, ResourceSpec, UNKNOWN_VALUE } from "../util";

describe("policy ami-required-tags", () => {
  const config = { requiredTags: ["owner", "cost-center"] };
  const base: ResourceSpec = {
    type: TYPES.managedAmi,
    name: "web",
    props: {
      name: "web",
      fromInstance: { instanceId: "i-12345678" },
      tags: { owner: "team-a", "cost-center": "42" },
    },
  };
  const missing = (what: string, keys: string, snapshots: string) =>
    `${what} is missing required tags: ${keys}. Without them the AMI and its snapshots cannot be attributed to an ` +
    `owner or cost center, so they outlive their purpose and keep billing every month. Add ${keys} to its tags${snapshots}.`;
  const clause = " (ManagedAmi copies them to the snapshots it owns)";

  it("is advisory and requires nothing by default", async () => {
    assert.equal(amiRequiredTags.enforcementLevel, "advisory");
    assert.deepEqual(await resourceMessages(amiRequiredTags, { ...base, props: { name: "web" } }), []);
  });
  it("passes when every required key is present", async () => {
    assert.deepEqual(await resourceMessages(amiRequiredTags, base, config), []);
  });
  it("flags a ManagedAmi missing a key", async () => {
    const spec = { ...base, props: { ...base.props, tags: { owner: "team-a" } } };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), [
      missing('ManagedAmi "web"', "cost-center", clause),
    ]);
  });
  it("flags an AMI without tags, listing every missing key", async () => {
    const spec = { type: TYPES.amiFromInstance, name: "web", props: { sourceInstanceId: "i-12345678" } };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), [
      missing('aws.ec2.AmiFromInstance "web"', "owner, cost-center", ""),
    ]);
  });
  it("counts the AWS provider's defaultTags for @pulumi/aws resources", async () => {
    const spec = {
      type: TYPES.amiCopy,
      name: "web",
      props: { tags: { owner: "a" } },
      providerProps: { defaultTags: { tags: { "cost-center": "42" } } },
    };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), []);
  });
  it("does not count provider defaultTags for a ManagedAmi, which does not use the AWS provider", async () => {
    const spec = {
      ...base,
      props: { ...base.props, tags: { owner: "a" } },
      providerProps: { defaultTags: { tags: { "cost-center": "42" } } },
    };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), [
      missing('ManagedAmi "web"', "cost-center", clause),
    ]);
  });
  it("counts tagsAll", async () => {
    const spec = { type: TYPES.ami, name: "web", props: { tagsAll: { owner: "a", "cost-center": "1" } } };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), []);
  });
  it("does not guess when the tags are unknown", async () => {
    assert.deepEqual(
      await resourceMessages(
        amiRequiredTags,
        { ...base, props: { ...base.props, tags: UNKNOWN_VALUE } },
        config,
      ),
      [],
    );
  });
  it("counts a key whose value is unknown as present", async () => {
    const spec = { ...base, props: { ...base.props, tags: { owner: UNKNOWN_VALUE, "cost-center": "1" } } };
    assert.deepEqual(await resourceMessages(amiRequiredTags, spec, config), []);
  });
  it("ignores resources that are not AMIs", async () => {
    assert.deepEqual(
      await resourceMessages(amiRequiredTags, { type: TYPES.snapshot, name: "s", props: {} }, config),
      [],
    );
  });
  it("skips ignored resources", async () => {
    const spec = { ...base, props: { name: "web" } };
    assert.deepEqual(
      await resourceMessages(amiRequiredTags, spec, { ...config, ignoreResources: ["web"] }),
      [],
    );
  });
});

describe("policy ami-deregistration-protection", () => {
  const base: ResourceSpec = {
    type: TYPES.managedAmi,
    name: "web",
    stack: "prod",
    protect: true,
    props: { name: "web", fromInstance: { instanceId: "i-12345678" } },
  };
  const unprotected = (what: string, stack: string) =>
    `${what} in production stack "${stack}" is not protected: a single pulumi destroy or an unintended replacement ` +
    "deregisters an image that instances, launch templates and Auto Scaling groups may still launch from, and " +
    "rebuilding it costs a full bake. Set the resource option protect: true.";
  const disabling =
    'ManagedAmi "web" in production stack "prod" sets disableDeregistrationProtection: true, so destroy silently ' +
    "turns off the image's AWS deregistration protection instead of stopping. Remove it; when the image is really " +
    "retired, disable protection deliberately (aws ec2 disable-image-deregistration-protection).";

  it("is disabled by default", () => assert.equal(amiDeregistrationProtection.enforcementLevel, "disabled"));
  it("passes a protected ManagedAmi in prod", async () => {
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, base), []);
  });
  it("flags an unprotected ManagedAmi in prod", async () => {
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, { ...base, protect: false }), [
      unprotected('ManagedAmi "web"', "prod"),
    ]);
  });
  it("flags an unprotected aws.ec2.AmiCopy in production-eu", async () => {
    const spec = { type: TYPES.amiCopy, name: "web", stack: "production-eu", props: {} };
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, spec), [
      unprotected('aws.ec2.AmiCopy "web"', "production-eu"),
    ]);
  });
  it("flags disableDeregistrationProtection: true in prod", async () => {
    const spec = { ...base, props: { ...base.props, disableDeregistrationProtection: true } };
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, spec), [disabling]);
  });
  it("leaves non-production stacks alone", async () => {
    for (const stack of ["dev", "preprod", "staging"]) {
      const spec = {
        ...base,
        stack,
        protect: false,
        props: { ...base.props, disableDeregistrationProtection: true },
      };
      assert.deepEqual(await resourceMessages(amiDeregistrationProtection, spec), [], stack);
    }
  });
  it("uses the configured productionStackPattern", async () => {
    const spec = { ...base, stack: "live", protect: false };
    const config = { productionStackPattern: "^live$" };
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, spec, config), [
      unprotected('ManagedAmi "web"', "live"),
    ]);
    assert.deepEqual(
      await resourceMessages(amiDeregistrationProtection, { ...spec, stack: "prod" }, config),
      [],
    );
  });
  it("ignores resources that are not AMIs", async () => {
    const spec = { type: TYPES.snapshot, name: "s", stack: "prod", props: {} };
    assert.deepEqual(await resourceMessages(amiDeregistrationProtection, spec), []);
  });
  it("skips ignored resources", async () => {
    assert.deepEqual(
      await resourceMessages(
        amiDeregistrationProtection,
        { ...base, protect: false },
        { ignoreResources: ["web"] },
      ),
      [],
    );
  });
});
