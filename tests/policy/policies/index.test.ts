import assert from "node:assert/strict";
import { policies } from "../../../policy/policies";

describe("policy pack metadata (awsguard style)", () => {
  it("lists the required policies", () => {
    const names = policies.map((p) => p.name);
    for (const required of [
      "ami-storage-owned",
      "managed-ami-deletes-storage",
      "no-public-amis",
      "snapshot-single-owner",
      "ami-required-tags",
      "ami-deregistration-protection",
    ]) {
      assert.ok(names.includes(required), `missing policy ${required}`);
    }
    assert.equal(new Set(names).size, names.length, "policy names are unique");
  });

  for (const policy of policies) {
    describe(policy.name, () => {
      it("has a kebab-case name", () => assert.match(policy.name, /^[a-z0-9]+(-[a-z0-9]+)+$/));
      it("has a one-sentence description", () => {
        assert.match(policy.description, /^[A-Z].*\.$/);
        assert.doesNotMatch(policy.description.slice(0, -1), /[.!?]\s/, "one sentence only");
      });
      it("sets its default enforcement level", () => {
        assert.ok(["advisory", "mandatory", "disabled"].includes(String(policy.enforcementLevel)));
      });
      it("has remediation steps", () => assert.ok((policy.remediationSteps ?? "").length > 20));
      it("has a config schema whose every property has a default and no enforcementLevel", () => {
        const props = policy.configSchema?.properties ?? {};
        assert.ok(Object.keys(props).length > 0);
        assert.ok(!("enforcementLevel" in props));
        for (const [key, schema] of Object.entries(props)) {
          assert.ok("default" in schema, `${policy.name}.${key} has no default`);
        }
      });
    });
  }
});
