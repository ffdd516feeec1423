import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("package", () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));

  it("develops against @pulumi/pulumi 3.248.0 (later versions need Node 22), a peer for users", () => {
    assert.equal(pkg.devDependencies["@pulumi/pulumi"], "3.248.0");
    assert.equal(pkg.dependencies["@pulumi/pulumi"], undefined, "a dependency would install a second SDK");
    const range = /^\^3\.(\d+)\.\d+$/.exec(pkg.peerDependencies["@pulumi/pulumi"] ?? "");
    assert.ok(range, `peer range: ${pkg.peerDependencies["@pulumi/pulumi"]}`);
    assert.ok(Number(range[1]) <= 248, "the pinned development version is inside the peer range");
  });

  it("needs no @pulumi/aws or @pulumi/policy at run time", () => {
    for (const name of ["@pulumi/aws", "@pulumi/policy"]) {
      assert.equal(pkg.dependencies[name], undefined, name);
      assert.ok(pkg.devDependencies[name], `${name} stays a dev dependency (examples, tests)`);
    }
  });

  it("uses one version range for every @aws-sdk/* package", () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    const versions = new Set(
      Object.keys(all)
        .filter((k) => k.startsWith("@aws-sdk/"))
        .map((k) => all[k]),
    );
    assert.equal(versions.size, 1, `@aws-sdk versions: ${[...versions].join(", ")}`);
  });

  it("keeps the policy pack's own dependencies, with a committed lockfile", () => {
    const policyDir = join(__dirname, "..", "..", "policy");
    const policy = JSON.parse(readFileSync(join(policyDir, "package.json"), "utf8"));
    assert.ok(policy.dependencies["@pulumi/policy"]);
    const lock = JSON.parse(readFileSync(join(policyDir, "package-lock.json"), "utf8"));
    assert.deepEqual(lock.packages[""].dependencies, policy.dependencies, "policy lockfile in sync");
  });
});
