import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("package", () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));

  it("pins @pulumi/pulumi to 3.248.0 (later versions need Node 22)", () => {
    assert.equal(pkg.dependencies["@pulumi/pulumi"], "3.248.0");
  });

  it("uses one version for every @aws-sdk/* package", () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    const versions = new Set(Object.keys(all).filter((k) => k.startsWith("@aws-sdk/")).map((k) => all[k]));
    assert.equal(versions.size, 1, `@aws-sdk versions: ${[...versions].join(", ")}`);
  });
});
