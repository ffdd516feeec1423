// The demo end to end: `node dist/demo/index.js --json` as `npm run demo` runs it (after `npm test`'s
// build), and the library entry point with one of the stack's snapshots locked (the non-zero exit).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { DemoSummary } from "../../demo/story";

const root = join(__dirname, "..", "..");

function runDemoCli(
  env: Record<string, string> = {},
): Promise<{ code: number; summary: DemoSummary; stderr: string }> {
  const child = spawn(process.execPath, [join(root, "dist", "demo", "index.js"), "--json"], {
    env: { ...process.env, ...env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ code: code ?? -1, summary: JSON.parse(out) as DemoSummary, stderr: err });
      } catch {
        reject(new Error(`demo exited ${code} without a JSON summary:\n${out}\n${err}`));
      }
    });
  });
}

describe("npm run demo", function () {
  this.timeout(180_000);

  it("tells the story with measured figures and exits 0 when the stack left nothing it owned", async () => {
    const { code, summary, stderr } = await runDemoCli();
    assert.equal(code, 0, stderr);
    assert.equal(summary.ok, true);

    // 1. The policy pack stops aws.ec2.Ami and lets the ManagedAmi program through.
    assert.deepEqual(
      summary.policy.map((p) => [p.program, p.stopped]),
      [
        ["legacy-ami", true],
        ["managed-ami", false],
      ],
    );
    assert.deepEqual(summary.policy[0].mandatory, ["ami-storage-owned"]);

    // 2. Up: 2 enabled, 1 disabled spare; the launch template on the latest.
    assert.equal(summary.up.enabled.length, 2);
    assert.equal(summary.up.disabled.length, 1);
    assert.equal(summary.up.latest, summary.up.enabled[0]);

    // 3. web-4 retires the oldest member; with batch-workers on the spare, web-5's update refuses to retire it.
    const [round1, round2] = summary.retire;
    assert.equal(round1.retired.length, 1);
    assert.ok(round1.retired[0].snapshotIds.length > 0);
    assert.equal(round1.refused.length, 0);
    assert.equal(round2.retired.length, 0);
    assert.equal(round2.refused.length, 1);
    assert.match(round2.refused[0].message, /batch-workers|launch-template\/lt-/);
    assert.equal(round2.refused[0].imageId, round1.disabled[0]);

    // 4. Destroy: nothing of the stack's left; the shared snapshot left with a warning naming the other image.
    assert.deepEqual(summary.destroy.stackSnapshotsLeft, []);
    assert.deepEqual(summary.destroy.stackImagesLeft, []);
    assert.equal(summary.destroy.error, undefined);
    assert.ok(
      summary.destroy.warnings.some((w) => /still used by ami-/.test(w)),
      summary.destroy.warnings.join("\n"),
    );

    // 5. Deregister-only left the five builds' snapshots (plus the other team's); the audit found and freed them.
    const side = summary.deregisterOnly;
    assert.ok(side);
    assert.equal(side.audit.orphanedSnapshots.length, 5);
    assert.equal(side.audit.exitCode, 1);
    assert.ok(side.audit.monthlyUsd > 0);
    assert.deepEqual([...side.auditDelete.deletedSnapshots].sort(), [...side.audit.orphanedSnapshots].sort());

    // 6. Final inventory: each account keeps only the other team's image and its snapshot.
    for (const account of summary.inventory) {
      assert.equal(account.images.length, 1, account.account);
      assert.equal(account.snapshots.length, 1, account.account);
    }
  });

  it("exits 1 when storage the stack owned is left (a locked snapshot)", async () => {
    const { code, summary } = await runDemoCli({ MANAGED_AMI_DEMO_LOCK_SNAPSHOT: "1" });
    assert.equal(summary.deregisterOnly, undefined, "the failure drill skips the comparison");
    assert.equal(code, 1);
    assert.equal(summary.ok, false);
    assert.equal(summary.destroy.stackSnapshotsLeft.length, 1);
  });
});
