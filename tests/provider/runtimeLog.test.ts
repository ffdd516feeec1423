// Defect 5 (issue 10): the runtime's warnings must go through the @pulumi/pulumi copy the
// dynamic-provider host runs, not through a second (nested) copy the host never initialised.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostPulumiLog } from "../../provider/runtime";

/** A stand-in SDK copy whose `log` records into `globalThis[key]`. */
function fakeSdk(root: string, key: string): string {
  const pkg = join(root, "node_modules", "@pulumi", "pulumi");
  mkdirSync(join(pkg, "log"), { recursive: true });
  mkdirSync(join(pkg, "cmd", "dynamic-provider"), { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "@pulumi/pulumi", version: "0.0.0-copy" }));
  const record = (level: string) =>
    `exports.${level} = (m) => { (globalThis[${JSON.stringify(key)}] ||= []).push(["${level}", m]); return Promise.resolve(); };`;
  writeFileSync(join(pkg, "log", "index.js"), [record("warn"), record("debug")].join("\n"));
  writeFileSync(join(pkg, "cmd", "dynamic-provider", "index.js"), "");
  return join(pkg, "cmd", "dynamic-provider", "index.js");
}

describe("runtime log: the host's @pulumi/pulumi copy", () => {
  let dir = "";
  const g = globalThis as Record<string, unknown>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "managed-ami-sdk-copies-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    delete g.__hostLog;
    delete g.__projectLog;
  });

  it("uses the copy the dynamic-provider host was started from, over the project's and our own", () => {
    const hostMain = fakeSdk(join(dir, "host"), "__hostLog");
    fakeSdk(join(dir, "project"), "__projectLog");
    const log = hostPulumiLog({ mainFilename: hostMain, cwd: join(dir, "project") });
    void log.warn("kept snapshot snap-1 (shared)");
    assert.deepEqual(g.__hostLog, [["warn", "kept snapshot snap-1 (shared)"]]);
    assert.equal(g.__projectLog, undefined);
    assert.notEqual(log, require("@pulumi/pulumi/log"));
  });

  it("without a host main module, uses the project's copy (the program's SDK)", () => {
    fakeSdk(join(dir, "project2"), "__projectLog");
    const log = hostPulumiLog({ mainFilename: "/usr/bin/mocha", cwd: join(dir, "project2") });
    void log.warn("w");
    assert.deepEqual(g.__projectLog, [["warn", "w"]]);
  });

  it("falls back to this package's own copy when nothing else resolves", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty, { recursive: true });
    assert.equal(hostPulumiLog({ cwd: empty }), require("@pulumi/pulumi/log"));
  });
});
