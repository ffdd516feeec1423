import assert from "node:assert/strict";
import { ec2For, withLocalAws } from "../support/localAws";
import { AuditIo, EXIT, runAudit } from "../../cli/audit/run";
import { createImageOrphan } from "./seed";

/** In-process runs of the audit, for the confirmation prompt (the child-process tests have no terminal). */
describe("audit --delete confirmation", () => {
  const ctx = withLocalAws();
  const io = (answer: boolean, asked: string[]): AuditIo & { out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      interactive: true,
      confirm: async (q) => {
        asked.push(q);
        return answer;
      },
    };
  };

  it("asks with the counts and sizes, and deletes nothing when the answer is no (exit 1)", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "asked-no");
    const asked: string[] = [];
    const code = await runAudit({ delete: true }, io(false, asked));
    assert.equal(code, EXIT.ORPHANS_FOUND);
    assert.equal(asked.length, 1);
    assert.match(asked[0], /Delete 1 snapshot\(s\) \(\d+ GiB\) and 0 bundle\(s\)/);
    assert.ok(ctx.aws.state.snapshots.has(orphan.snapshotId));
    assert.equal(ctx.aws.log.filter((l) => l.action === "DeleteSnapshot").length, 0);
  });

  it("deletes after a yes (exit 0)", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "asked-yes");
    const asked: string[] = [];
    const code = await runAudit({ delete: true }, io(true, asked));
    assert.equal(code, EXIT.CLEAN);
    assert.equal(asked.length, 1);
    assert.ok(!ctx.aws.state.snapshots.has(orphan.snapshotId));
  });

  it("does not ask when nothing is orphaned (exit 0)", async () => {
    const asked: string[] = [];
    const code = await runAudit({ delete: true }, io(true, asked));
    assert.equal(code, EXIT.CLEAN);
    assert.deepEqual(asked, []);
  });

  it("--yes does not ask", async () => {
    await createImageOrphan(ctx.aws, ec2For(ctx.aws), "not-asked");
    const asked: string[] = [];
    assert.equal(await runAudit({ delete: true, yes: true }, io(false, asked)), EXIT.CLEAN);
    assert.deepEqual(asked, []);
  });
});
