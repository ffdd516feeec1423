import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ec2For, s3For, withLocalAws, TEST_CREDENTIALS } from "../support/localAws";
import {
  ROOT,
  cliEnv,
  createBucket,
  createImageOrphan,
  liveImage,
  manualSnapshot,
  putBundle,
  runCli,
} from "./seed";

const BIN = join(ROOT, "dist", "cli", "managed-ami.js");

before(function () {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does).`);
});

describe("managed-ami audit (built CLI as a child process)", () => {
  const ctx = withLocalAws();
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(["audit", ...args], cliEnv(ctx.aws, extra));

  it("exits 0 and says so when nothing is orphaned", async () => {
    await liveImage(ctx.aws, ec2For(ctx.aws), "live");
    const r = await cli([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No orphaned AMI storage found/);
  });

  it("exits 1 and prints a table and totals when orphans are found", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "old-web");
    const r = await cli([]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `${orphan.snapshotId}\\s+us-east-1\\s+\\d+ GiB\\s+0d\\s+CreateImage for ${orphan.imageId} \\(gone\\)`,
      ),
    );
    assert.match(r.stdout, /Total: 1 snapshot\(s\)/);
    assert.match(r.stdout, /Estimated cost: \$\d+\.\d\d\/month/);
    assert.match(r.stderr, /--delete/);
  });

  it("--json writes exactly one JSON document of the documented shape on stdout", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await createImageOrphan(ctx.aws, ec2, "json-web");
    const s3 = s3For(ctx.aws);
    await createBucket(s3, "bundles");
    const bundle = await putBundle(s3, "bundles", "b/", "img", 2, 10);
    const r = await cli(["--json", "--bucket", "bundles"]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), [
      "orphanedSnapshots",
      "orphanedBundles",
      "totals",
      "scanned",
      "excluded",
      "accountErrors",
    ]);
    assert.equal(doc.orphanedSnapshots.length, 1);
    const sizeGiB = ctx.aws.state.snapshots.get(orphan.snapshotId)?.volumeSize as number;
    assert.deepEqual(doc.orphanedSnapshots[0], {
      snapshotId: orphan.snapshotId,
      region: "us-east-1",
      accountId: ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId),
      sizeGiB,
      ageDays: 0,
      reason: "create-image-ami-gone",
      imageId: orphan.imageId,
      storageTier: "standard",
      costBasis: "volume-size",
      estimatedMonthlyUsd: Math.round(sizeGiB * 0.05 * 100) / 100,
    });
    assert.deepEqual(doc.scanned, {
      accounts: [ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId)],
      regions: ["us-east-1"],
      buckets: ["bundles"],
      images: doc.scanned.images,
      snapshots: doc.scanned.snapshots,
    });
    assert.ok(doc.scanned.snapshots >= 1 && doc.scanned.images >= 1);
    assert.deepEqual(doc.accountErrors, []);
    assert.deepEqual(Object.keys(doc.orphanedBundles[0]), [
      "bucket",
      "region",
      "manifestKey",
      "partKeys",
      "totalBytes",
      "missingPartKeys",
      "ageDays",
      "reason",
      "accountId",
    ]);
    assert.equal(doc.orphanedBundles[0].manifestKey, bundle.manifestKey);
    assert.deepEqual(doc.orphanedBundles[0].partKeys, bundle.partKeys);
    assert.deepEqual(Object.keys(doc.totals), [
      "orphanedSnapshots",
      "snapshotGiB",
      "orphanedBundles",
      "bundleBytes",
      "estimatedMonthlyUsd",
      "costBasis",
      "priceTable",
      "byAccount",
    ]);
    assert.equal(doc.totals.orphanedSnapshots, 1);
    assert.equal(doc.totals.bundleBytes, bundle.manifestBytes + 20);
    assert.ok(doc.totals.estimatedMonthlyUsd.total > 0);
  });

  it("--delete --yes deletes exactly what it listed, prints what it freed, and exits 0", async () => {
    const ec2 = ec2For(ctx.aws);
    const orphan = await createImageOrphan(ctx.aws, ec2, "to-delete");
    const live = await liveImage(ctx.aws, ec2, "stays");
    const manual = await manualSnapshot(ctx.aws, ec2, "my own backup");
    const r = await cli(["--delete", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`deleted ${orphan.snapshotId}`));
    assert.match(r.stdout, /Freed \d+ GiB of snapshots \(1\)/);
    assert.ok(!ctx.aws.state.snapshots.has(orphan.snapshotId));
    assert.ok(ctx.aws.state.snapshots.has(live.snapshotId));
    assert.ok(ctx.aws.state.snapshots.has(manual));
    const deletes = ctx.aws.log.filter((l) => l.action === "DeleteSnapshot");
    assert.deepEqual(
      deletes.map((l) => l.params.SnapshotId),
      [orphan.snapshotId],
    );
    const again = await cli([]);
    assert.equal(again.code, 0);
  });

  it("--delete --yes --json keeps stdout one JSON document, with what was deleted", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "json-delete");
    const r = await cli(["--delete", "--yes", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.deletion.deletedSnapshots, [orphan.snapshotId]);
  });

  it("--delete without --yes and without a terminal refuses (exit 2) and deletes nothing", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "no-confirm");
    const r = await cli(["--delete"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.ok(ctx.aws.state.snapshots.has(orphan.snapshotId));
    assert.equal(
      ctx.aws.log.filter(
        (l) => l.action !== "CreateImage" && l.action !== "RunInstances" && l.action !== "DeregisterImage",
      ).length,
      0,
    );
  });

  it("--delete --dry-run checks permissions with DryRun, deletes nothing and exits 1", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "dry-run");
    const r = await cli(["--delete", "--dry-run"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Dry run: DeleteSnapshot would be permitted for 1 snapshot/);
    assert.ok(ctx.aws.state.snapshots.has(orphan.snapshotId));
  });

  it("--all-regions scans every enabled region (not the opt-in ones)", async () => {
    const r = await cli(["--all-regions", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const regions = new Set(ctx.aws.log.filter((l) => l.action === "DescribeSnapshots").map((l) => l.region));
    assert.equal(regions.size, 17);
    assert.ok(regions.has("eu-west-1") && !regions.has("af-south-1"));
  });

  describe("exit 2 with a message saying what to do", () => {
    const usage: Array<[string[], RegExp]> = [
      [["--bogus"], /unknown option '--bogus'/],
      [["--older-than", "30x"], /--older-than "30x".*h, d or w/],
      [["--older-than"], /argument missing/],
      [["--exclude-tag", "novalue"], /--exclude-tag "novalue": expected KEY=VALUE/],
      [["--region", "us-east-1", "--all-regions"], /--region and --all-regions/],
      [["--region", "US_EAST"], /unknown region "US_EAST" \(from --region\)/],
      [["--bucket", "s3://x/y"], /--bucket "s3:\/\/x\/y" is not an S3 bucket name/],
      [["--dry-run"], /--delete --dry-run/],
      [["--yes"], /--delete --yes/],
    ];
    for (const [args, message] of usage) {
      it(`audit ${args.join(" ")}: usage error before any AWS call`, async () => {
        const r = await cli(args);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, "");
        assert.deepEqual(ctx.aws.log, []);
      });
    }

    it("an unknown command", async () => {
      const r = await runCli(["audits"], cliEnv(ctx.aws));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command 'audits'/);
    });

    it("a region AWS does not know", async () => {
      const r = await cli(["--region", "xx-fake-1"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown region "xx-fake-1" \(from --region\)\. Use a region name/);
    });

    it("a near miss of a real region: did you mean", async () => {
      const r = await cli(["--region", "us-eest-1"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown region "us-eest-1" \(from --region\): did you mean us-east-1\?/);
    });

    it("a bad AWS_REGION gets the same wording as --region, with did you mean", async () => {
      const r = await cli([], { AWS_REGION: "eu-wset-1" });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /unknown region "eu-wset-1" \(from AWS_REGION\): did you mean eu-west-1\? Use a region name/,
      );
      const r2 = await cli([], { AWS_REGION: "xx-fake-1" });
      assert.match(r2.stderr, /unknown region "xx-fake-1" \(from AWS_REGION\)\. Use a region name/);
    });

    it("an opt-in region the account has not enabled", async () => {
      const r = await cli(["--region", "af-south-1"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /region "af-south-1" is not enabled/);
    });

    it("no credentials anywhere", async () => {
      const r = await cli([], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no AWS credentials found: set AWS_ACCESS_KEY_ID/);
      assert.deepEqual(ctx.aws.log, []);
    });

    it("no region anywhere", async () => {
      const r = await cli([], { AWS_REGION: undefined });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no AWS region: pass --region/);
    });

    it("access denied on DescribeSnapshots names that call's permission and the region, not every mode's", async () => {
      ctx.aws.faults.inject({
        action: "DescribeSnapshots",
        code: "UnauthorizedOperation",
        status: 403,
        message: "You are not authorized to perform this operation.",
      });
      const r = await cli([]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /access denied on ec2:DescribeSnapshots \(us-east-1\): UnauthorizedOperation.*Grant ec2:DescribeSnapshots to the identity/,
      );
      assert.ok(!/s3:GetObject|ec2:DeleteSnapshot/.test(r.stderr), r.stderr);
    });

    it("a bucket that does not exist", async () => {
      const r = await cli(["--bucket", "no-such-bucket-here"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--bucket: bucket no-such-bucket-here does not exist \(NoSuchBucket/);
    });
  });

  it("--help exits 0, documents the exit codes and the v2 flags, and shows no empty defaults", async () => {
    const r = await cli(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes: 0 nothing orphaned.*1 orphans found/s);
    for (const flag of [
      "--accounts",
      "--organization",
      "--role-name",
      "--concurrency",
      "--format",
      "--recycle-bin",
    ])
      assert.ok(r.stdout.includes(flag), flag);
    assert.ok(!r.stdout.includes("(default: [])"), r.stdout);
  });

  it("accepts every flag docs/audit.md documents (the flag table)", async () => {
    const doc = readFileSync(join(ROOT, "docs", "audit.md"), "utf8");
    const documented = [...doc.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]);
    assert.ok(documented.length >= 15, `found ${documented.length} flags in docs/audit.md`);
    const r = await cli(["--help"]);
    for (const flag of documented)
      assert.ok(r.stdout.includes(`${flag} `), `${flag} is documented but not a CLI flag`);
  });

  it("--unused-images AGE lists an idle own image nothing launches from (JSON unusedImages)", async () => {
    const idle = await liveImage(ctx.aws, ec2For(ctx.aws), "idle-web");
    // The CLI runs on the real clock: make the image two days old on it.
    const record = ctx.aws.state.images.get(idle.imageId);
    assert.ok(record);
    record.creationDate = Date.now() - 2 * 86_400_000;
    const r = await cli(["--json", "--unused-images", "1d"]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { unusedImages?: { imageId: string }[] };
    assert.ok(
      doc.unusedImages?.some((u) => u.imageId === idle.imageId),
      JSON.stringify(doc.unusedImages),
    );
  });

  it("prints no AWS SDK Node-version notice", async () => {
    await createImageOrphan(ctx.aws, ec2For(ctx.aws), "quiet");
    const r = await cli([]);
    assert.equal(r.code, 1);
    assert.ok(!/NodeVersionSupportWarning|AWS SDK for JavaScript/.test(r.stderr), r.stderr);
  });

  it("a closed pipe (| head) ends without a stack trace", async () => {
    const ec2 = ec2For(ctx.aws);
    for (let i = 0; i < 3; i++) await createImageOrphan(ctx.aws, ec2, `pipe-${i}`);
    const r = await new Promise<{ stderr: string; code: number | null }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "audit", "--format", "csv"], {
        env: cliEnv(ctx.aws),
        cwd: ROOT,
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.stdout.once("data", () => child.stdout.destroy());
      child.on("error", reject);
      child.on("close", (code) => resolve({ stderr, code }));
    });
    assert.ok(!/EPIPE|at .*\(.*:\d+:\d+\)/.test(r.stderr), r.stderr);
  });

  it("--format csv: the documented header and one row per item", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "csv");
    const r = await cli(["--format", "csv"]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split("\r\n");
    assert.equal(
      lines[0],
      "kind,accountId,region,id,sizeGiB,fullSnapshotSizeBytes,bytes,ageDays,reason,imageId,storageTier,costBasis,estimatedMonthlyUsd,lockMode,lockExpiresOn",
    );
    assert.equal(lines.length, 2);
    assert.match(
      lines[1],
      new RegExp(
        `^snapshot,\\d{12},us-east-1,${orphan.snapshotId},\\d+,,,0,create-image-ami-gone,${orphan.imageId},standard,volume-size,`,
      ),
    );
  });

  it("--format markdown: a summary line, a per-account table, the top items, collapsed details", async () => {
    const orphan = await createImageOrphan(ctx.aws, ec2For(ctx.aws), "markdown");
    const r = await cli(["--format", "markdown"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^\*\*managed-ami audit: 1 orphaned snapshot\(s\)/);
    assert.match(
      r.stdout,
      /\| Account \| Snapshots \| GiB \| Bundles \| Bundle size \| USD\/month \|\n\|---\|/,
    );
    assert.match(r.stdout, /Top 1 by cost:/);
    assert.match(r.stdout, new RegExp(`\\| \`${orphan.snapshotId}\` \\|`));
    assert.match(r.stdout, /<details><summary>All 1 item\(s\)<\/summary>[\s\S]*<\/details>/);
  });

  it("the summary says what the filters hid and that no bucket was scanned", async () => {
    await createImageOrphan(ctx.aws, ec2For(ctx.aws), "new-one");
    const r = await cli(["--older-than", "30d"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no S3 bucket scanned \(pass --bucket/);
    assert.match(r.stdout, /No orphaned AMI storage found\.\nNot listed: 1 newer than --older-than\./);
  });
});

describe("managed-ami audit through throttling (local endpoint buckets on)", () => {
  const ctx = withLocalAws({
    throttling: { DescribeSnapshots: { burst: 1, perSecond: 2 }, DescribeImages: { burst: 1, perSecond: 2 } },
  });

  it("retries RequestLimitExceeded and still reports exactly the orphan (exit 1)", async () => {
    const ec2 = ec2For(ctx.aws, "us-east-1", TEST_CREDENTIALS.accessKeyId, 10);
    const orphan = await createImageOrphan(ctx.aws, ec2, "throttled");
    const owner = ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId);
    for (let i = 0; i < 2200; i++) {
      ctx.aws.state.ec2.addSnapshot({
        region: "us-east-1",
        ownerId: owner,
        volumeId: "vol-ffffffff",
        volumeSize: 1,
        description: "",
        encrypted: false,
      }).state = "completed";
    }
    ctx.aws.log.length = 0;
    // Lookups not shared and client-side pacing off, so the endpoint's buckets throttle and the retries are exercised.
    const r = await runCli(
      ["audit", "--json"],
      cliEnv(ctx.aws, { MANAGED_AMI_BATCH_WINDOW_MS: "0", MANAGED_AMI_EC2_RATE_LIMITS: "off" }),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).orphanedSnapshots.map((s: { snapshotId: string }) => s.snapshotId),
      [orphan.snapshotId],
    );
    assert.ok(
      ctx.aws.log.some((l) => l.code === "RequestLimitExceeded"),
      "went through throttling",
    );
  });
});
