import assert from "node:assert/strict";
import { unknownCheckingProxy } from "@pulumi/policy";
import {
  configOf,
  friendlyType,
  isIgnored,
  read,
  readArray,
  readBoolean,
  readKeys,
  stackOf,
  TYPES,
  UNKNOWN,
} from "../../policy/props";
import {
  deleteSnapshotsOf,
  registeredSnapshotIds,
  snapshotResourceId,
  sourceOf,
} from "../../policy/managedAmi";
import { UNKNOWN_VALUE } from "./util";

describe("policy property reading", () => {
  const props = unknownCheckingProxy({
    known: { a: [1, 2], b: "x" },
    computed: UNKNOWN_VALUE,
    list: ["snap-1", UNKNOWN_VALUE],
    flag: "false",
  }) as Record<string, unknown>;

  it("reads known nested values through the policy SDK's unknown-checking proxy", () => {
    assert.equal(read(props, "known", "b"), "x");
    assert.equal(read(props, "known", "a", 1), 2);
    assert.equal(read(props, "missing", "deeper"), undefined);
  });
  it("returns UNKNOWN instead of throwing for preview unknowns, at any depth", () => {
    assert.equal(read(props, "computed"), UNKNOWN);
    assert.equal(read(props, "computed", "deeper"), UNKNOWN);
    assert.deepEqual(readArray(props, "list"), ["snap-1", UNKNOWN]);
    assert.equal(readArray(props, "computed"), UNKNOWN);
    assert.equal(readKeys(props, "computed"), UNKNOWN);
  });
  it("reads the raw wire sentinel as UNKNOWN without a proxy", () => {
    assert.equal(read({ x: UNKNOWN_VALUE }, "x"), UNKNOWN);
  });
  it("accepts booleans sent as text", () => assert.equal(readBoolean(props, "flag"), false));
  it("names types the way users write them", () => {
    assert.equal(friendlyType(TYPES.amiCopy), "aws.ec2.AmiCopy");
    assert.equal(friendlyType(TYPES.managedAmi), "ManagedAmi");
    assert.equal(friendlyType("custom"), "custom");
  });
  it("reads the stack from a URN", () => {
    assert.equal(stackOf("urn:pulumi:prod-eu::proj::aws:ec2/ami:Ami::web"), "prod-eu");
    assert.equal(stackOf("nonsense"), undefined);
  });
  it("fills config defaults and keeps given values", () => {
    const args = {
      getConfig: <T extends object>() => ({ requiredTags: ["a"], ignoreResources: null }) as unknown as T,
    };
    assert.deepEqual(configOf(args, { requiredTags: [] as string[], ignoreResources: [] as string[] }), {
      requiredTags: ["a"],
      ignoreResources: [],
    });
  });
  it("matches ignoreResources by name or URN", () => {
    assert.equal(isIgnored({ ignoreResources: ["web"] }, { name: "web", urn: "u" }), true);
    assert.equal(isIgnored({ ignoreResources: ["u"] }, { name: "web", urn: "u" }), true);
    assert.equal(isIgnored({}, { name: "web", urn: "u" }), false);
  });
});

describe("ManagedAmi property reading", () => {
  it("finds the source, even when its value is unknown", () => {
    assert.equal(sourceOf({ copyOf: {} }), "copyOf");
    assert.equal(sourceOf(unknownCheckingProxy({ adopt: UNKNOWN_VALUE })), "adopt");
    assert.equal(sourceOf({}), undefined);
  });
  it("applies the deleteSnapshots default (true)", () => {
    assert.equal(deleteSnapshotsOf({}), true);
    assert.equal(deleteSnapshotsOf({ deleteSnapshots: false }), false);
  });
  it("lists the snapshot ids a fromSnapshots ManagedAmi registers", () => {
    const p = {
      fromSnapshots: {
        rootDeviceName: "/dev/xvda",
        blockDeviceMappings: [{ snapshotId: "snap-1" }, { deviceName: "/dev/sdb" }],
      },
    };
    assert.deepEqual(registeredSnapshotIds(p), ["snap-1"]);
    assert.deepEqual(registeredSnapshotIds({ fromInstance: { instanceId: "i-1" } }), []);
  });
  it("reads a snapshot resource's id, or the id in its arn", () => {
    assert.equal(snapshotResourceId({ props: { id: "snap-0abc" } }), "snap-0abc");
    assert.equal(
      snapshotResourceId({ props: { arn: "arn:aws:ec2:us-east-1::snapshot/snap-0abc" } }),
      "snap-0abc",
    );
    assert.equal(snapshotResourceId({ props: unknownCheckingProxy({ id: UNKNOWN_VALUE }) }), UNKNOWN);
    assert.equal(snapshotResourceId({ props: {} }), undefined);
  });
});
