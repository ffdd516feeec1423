import assert from "node:assert/strict";
import {
  diffTags,
  fromSdkTags,
  MANAGED_AMI_IMAGE_TAG as KEY,
  ownedSnapshotTags,
  tagSpecifications,
  toSdkTags,
} from "../../../provider/aws/tags";

describe("provider/aws/tags", () => {
  const cases: {
    name: string;
    old?: Record<string, string>;
    next?: Record<string, string>;
    set: Record<string, string>;
    remove: string[];
  }[] = [
    { name: "no tags before or after", set: {}, remove: [] },
    { name: "all new", next: { a: "1" }, set: { a: "1" }, remove: [] },
    { name: "all removed", old: { a: "1", b: "2" }, set: {}, remove: ["a", "b"] },
    { name: "unchanged", old: { a: "1" }, next: { a: "1" }, set: {}, remove: [] },
    { name: "value changed", old: { a: "1" }, next: { a: "2" }, set: { a: "2" }, remove: [] },
    {
      name: "mixed",
      old: { keep: "k", change: "x", drop: "d" },
      next: { keep: "k", change: "y", add: "n" },
      set: { change: "y", add: "n" },
      remove: ["drop"],
    },
    { name: "empty value is a value", old: { a: "1" }, next: { a: "" }, set: { a: "" }, remove: [] },
  ];
  for (const c of cases) {
    it(`diffTags: ${c.name}`, () => {
      assert.deepEqual(diffTags(c.old, c.next), { set: c.set, remove: c.remove });
    });
  }

  it("fromSdkTags drops aws: keys and gives undefined when nothing is left", () => {
    assert.deepEqual(
      fromSdkTags([
        { Key: "aws:cloudformation:stack-name", Value: "x" },
        { Key: "team", Value: "a" },
      ]),
      { team: "a" },
    );
    assert.equal(fromSdkTags([{ Key: "aws:backup", Value: "x" }]), undefined);
    assert.equal(fromSdkTags(undefined), undefined);
  });

  it("toSdkTags sorts by key; tagSpecifications covers each resource type, or nothing without tags", () => {
    assert.deepEqual(toSdkTags({ b: "2", a: "1" }), [
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
    ]);
    assert.deepEqual(tagSpecifications({ a: "1" }, ["image", "snapshot"]), [
      { ResourceType: "image", Tags: [{ Key: "a", Value: "1" }] },
      { ResourceType: "snapshot", Tags: [{ Key: "a", Value: "1" }] },
    ]);
    assert.equal(tagSpecifications({}, ["image"]), undefined);
    assert.equal(tagSpecifications(undefined, ["image"]), undefined);
  });
});

describe("ownedSnapshotTags", () => {
  it("adds the ownership tag to the user's tags", () => {
    assert.deepEqual(ownedSnapshotTags({ team: "web" }, "ami-12345678"), {
      team: "web",
      [KEY]: "ami-12345678",
    });
    assert.deepEqual(ownedSnapshotTags(undefined, "ami-12345678"), { [KEY]: "ami-12345678" });
  });
  it("leaves it out when the user's 50 tags fill AWS's limit", () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]));
    assert.deepEqual(ownedSnapshotTags(fifty, "ami-12345678"), fifty);
  });
});
