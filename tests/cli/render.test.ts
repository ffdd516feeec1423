import assert from "node:assert/strict";
import { buildReport, computeTotals, formatBytes, renderCsv, renderHuman } from "../../cli/audit/render";
import { DEFAULT_PRICES, PRICE_TABLE_DATE, pricesFor } from "../../cli/audit/pricing";
import type { ListedSnapshot } from "../../cli/audit/scan";
import type { OrphanedBundle } from "../../cli/audit/bundles";
import { progressBar, progressLine } from "../../cli/audit/progress";

const snap = (id: string, region: string, sizeGiB: number, storageTier = "standard"): ListedSnapshot => ({
  snapshotId: id,
  region,
  accountId: "111111111111",
  sizeGiB,
  ageDays: 3,
  reason: "create-image-ami-gone",
  imageId: "ami-0aaaaaaaaaaaaaaaa",
  storageTier,
});
const bundle: OrphanedBundle = {
  bucket: "b",
  region: "us-east-1",
  manifestKey: "x.manifest.xml",
  partKeys: ["x.part.0"],
  totalBytes: 2 * 1024 ** 3,
  missingPartKeys: [],
  ageDays: 1,
  reason: "manifest-not-registered",
};

describe("audit report", () => {
  it("JSON snapshot entries carry exactly the documented keys, with the account, tier and cost basis", () => {
    const r = buildReport({ snapshots: [snap("snap-1", "us-east-1", 8)], bundles: [] });
    assert.deepEqual(r.orphanedSnapshots, [
      {
        snapshotId: "snap-1",
        region: "us-east-1",
        accountId: "111111111111",
        sizeGiB: 8,
        ageDays: 3,
        reason: "create-image-ami-gone",
        imageId: "ami-0aaaaaaaaaaaaaaaa",
        storageTier: "standard",
        costBasis: "volume-size",
        estimatedMonthlyUsd: 0.4,
      },
    ]);
  });

  it("prices each snapshot at its region's rate for its tier, and bundles at S3 Standard", () => {
    const t = computeTotals(
      [snap("a", "us-east-1", 100), snap("b", "sa-east-1", 100), snap("c", "us-east-1", 100, "archive")],
      [bundle],
    );
    assert.equal(t.snapshotGiB, 300);
    assert.equal(
      t.estimatedMonthlyUsd.snapshotsStandardTier,
      Math.round((100 * 0.05 + 100 * pricesFor("sa-east-1").snapshotStandard) * 100) / 100,
    );
    assert.equal(t.estimatedMonthlyUsd.snapshotsArchiveTier, 1.25);
    assert.equal(t.estimatedMonthlyUsd.bundles, Math.round(2 * DEFAULT_PRICES.s3Standard * 100) / 100);
    assert.equal(t.priceTable.date, PRICE_TABLE_DATE);
    assert.ok(pricesFor("sa-east-1").snapshotStandard > DEFAULT_PRICES.snapshotStandard);
  });

  it("names regions priced at the default (us-east-1) rate", () => {
    const t = computeTotals([snap("a", "mx-central-1", 10)], []);
    assert.deepEqual(t.priceTable.regionsAtDefaultPrice, ["mx-central-1"]);
    assert.equal(t.estimatedMonthlyUsd.total, 0.5);
  });

  it("human output has a row per orphan and the totals", () => {
    const text = renderHuman(
      buildReport({
        snapshots: [snap("snap-1", "us-east-1", 8)],
        bundles: [bundle],
        scanned: {
          accounts: ["111111111111"],
          regions: ["us-east-1"],
          snapshots: 5,
          images: 2,
          buckets: ["b"],
        },
      }),
    );
    assert.match(text, /snap-1\s+us-east-1\s+8 GiB\s+3d\s+CreateImage for ami-0aaaaaaaaaaaaaaaa \(gone\)/);
    assert.match(text, /s3:\/\/b\/x\.manifest\.xml\s+us-east-1\s+1\s+2\.0 GiB\s+1d/);
    assert.match(text, /Total: 1 snapshot\(s\), 8 GiB; 1 bundle\(s\), 2\.0 GiB\./);
  });

  it("formats bytes", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(3 * 1024 ** 4), "3.0 TiB");
  });
});

describe("progress bar", () => {
  const p = {
    phase: "snapshots" as const,
    region: "us-east-1",
    regionsDone: 1,
    regionsTotal: 4,
    imagesScanned: 20000,
    snapshotsScanned: 5000,
    manifestsScanned: 0,
    orphansFound: 7,
  };
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, columns: 200, write: (s: string) => chunks.push(s) } };
  };

  it("draws on a terminal and clears itself when done", () => {
    const s = sink(true);
    const bar = progressBar(s.stream, true, () => 1000);
    bar.update(p);
    bar.done();
    assert.match(
      s.chunks[0],
      /\[#####-+\] 1\/4 regions \| 20,000 images, 5,000 snapshots \| 7 orphaned \| snapshots in us-east-1/,
    );
    assert.equal(s.chunks[1], "\r\x1b[2K");
  });

  it("draws nothing when stderr is not a terminal", () => {
    const s = sink(false);
    const bar = progressBar(s.stream, true, () => 1000);
    bar.update(p);
    bar.done();
    assert.deepEqual(s.chunks, []);
  });

  it("redraws at most every 100 ms", () => {
    const s = sink(true);
    let t = 1000;
    const bar = progressBar(s.stream, true, () => t);
    bar.update(p);
    t += 50;
    bar.update(p);
    t += 60;
    bar.update(p);
    assert.equal(s.chunks.length, 2);
    assert.ok(progressLine(p).length < 120);
  });
});

describe("audit report v2 fields", () => {
  const base: ListedSnapshot = {
    snapshotId: "snap-1",
    region: "us-east-1",
    accountId: "111111111111",
    sizeGiB: 100,
    ageDays: 3,
    reason: "create-image-ami-gone",
    imageId: "ami-0aaaaaaaaaaaaaaaa",
    storageTier: "standard",
  };

  it("prices on AWS's full snapshot size when reported, and says so", () => {
    const r = buildReport({
      snapshots: [
        { ...base, fullSnapshotSizeBytes: 10 * 1024 ** 3 },
        { ...base, snapshotId: "snap-2" },
      ],
      bundles: [],
    });
    assert.equal(r.orphanedSnapshots[0].costBasis, "full-snapshot-size");
    assert.equal(r.orphanedSnapshots[0].estimatedMonthlyUsd, 0.5);
    assert.equal(r.orphanedSnapshots[1].costBasis, "volume-size");
    assert.equal(r.orphanedSnapshots[1].estimatedMonthlyUsd, 5);
    assert.deepEqual(r.totals.costBasis, { fullSnapshotSize: 1, volumeSize: 1 });
  });

  it("notes the early-deletion charge of an archive-tier snapshot archived less than 90 days ago", () => {
    const now = new Date("2026-06-30T00:00:00Z");
    const archived = {
      ...base,
      storageTier: "archive",
      archivedAt: new Date(now.getTime() - 30 * 86_400_000),
    };
    const e = buildReport({ snapshots: [archived], bundles: [], now }).orphanedSnapshots[0];
    assert.equal(e.estimatedMonthlyUsd, 1.25);
    assert.deepEqual(e.earlyDeletion, {
      archivedOn: archived.archivedAt.toISOString(),
      daysRemaining: 60,
      chargeUsd: 2.5,
    });
    const old = { ...archived, archivedAt: new Date(now.getTime() - 100 * 86_400_000) };
    assert.equal(
      buildReport({ snapshots: [old], bundles: [], now }).orphanedSnapshots[0].earlyDeletion,
      undefined,
    );
  });

  it("totals by account", () => {
    const r = buildReport({
      snapshots: [base, { ...base, snapshotId: "snap-2", accountId: "222222222222", sizeGiB: 10 }],
      bundles: [],
    });
    assert.deepEqual(r.totals.byAccount, [
      {
        accountId: "111111111111",
        orphanedSnapshots: 1,
        snapshotGiB: 100,
        orphanedBundles: 0,
        bundleBytes: 0,
        estimatedMonthlyUsd: 5,
      },
      {
        accountId: "222222222222",
        orphanedSnapshots: 1,
        snapshotGiB: 10,
        orphanedBundles: 0,
        bundleBytes: 0,
        estimatedMonthlyUsd: 0.5,
      },
    ]);
  });

  it("CSV quotes cells with commas and quotes", () => {
    const csv = renderCsv(
      buildReport({ snapshots: [], bundles: [{ ...bundle, manifestKey: 'a,"b".manifest.xml' }] }),
    );
    assert.match(csv, /,"s3:\/\/b\/a,""b"".manifest.xml",/);
  });
});
