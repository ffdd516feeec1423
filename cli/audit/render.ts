/**
 * Output of the audit: the `--json` document (one JSON value, nothing else on stdout) and the human
 * table with totals. Pure: both return strings.
 */
import type { OrphanedSnapshot } from "./classify";
import { describeReason } from "./classify";
import type { OrphanedBundle } from "./bundles";
import type { ListedSnapshot } from "./scan";
import { PRICE_TABLE_DATE, PRICE_TABLE_SOURCE, hasRegionPrices, s3MonthlyUsd, snapshotMonthlyUsd } from "./pricing";

/** Totals over everything listed. Costs are estimates in USD per month. */
export interface Totals {
  orphanedSnapshots: number;
  snapshotGiB: number;
  orphanedBundles: number;
  bundleBytes: number;
  estimatedMonthlyUsd: {
    /** Listed snapshots in the standard tier, at each region's standard price. */
    snapshotsStandardTier: number;
    /** Listed snapshots in the archive tier, at each region's archive price. */
    snapshotsArchiveTier: number;
    /** Listed bundles at each region's S3 Standard price. */
    bundles: number;
    total: number;
  };
  priceTable: { date: string; source: string; regionsAtDefaultPrice: string[] };
}

/** The `--json` document. */
export interface AuditReport {
  orphanedSnapshots: OrphanedSnapshot[];
  orphanedBundles: OrphanedBundle[];
  totals: Totals;
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** Totals and cost estimate over the listed storage. */
export function computeTotals(snapshots: readonly ListedSnapshot[], bundles: readonly OrphanedBundle[]): Totals {
  let snapshotGiB = 0;
  let standard = 0;
  let archive = 0;
  const unpriced = new Set<string>();
  for (const s of snapshots) {
    snapshotGiB += s.sizeGiB;
    const usd = snapshotMonthlyUsd(s.region, s.sizeGiB, s.storageTier);
    if (s.storageTier === "archive") archive += usd;
    else standard += usd;
    if (!hasRegionPrices(s.region)) unpriced.add(s.region);
  }
  let bundleBytes = 0;
  let bundleUsd = 0;
  for (const b of bundles) {
    bundleBytes += b.totalBytes;
    bundleUsd += s3MonthlyUsd(b.region, b.totalBytes);
    if (!hasRegionPrices(b.region)) unpriced.add(b.region);
  }
  return {
    orphanedSnapshots: snapshots.length,
    snapshotGiB,
    orphanedBundles: bundles.length,
    bundleBytes,
    estimatedMonthlyUsd: {
      snapshotsStandardTier: cents(standard),
      snapshotsArchiveTier: cents(archive),
      bundles: cents(bundleUsd),
      total: cents(standard + archive + bundleUsd),
    },
    priceTable: { date: PRICE_TABLE_DATE, source: PRICE_TABLE_SOURCE, regionsAtDefaultPrice: [...unpriced].sort() },
  };
}

/** The JSON document: each snapshot exactly `{ snapshotId, region, sizeGiB, ageDays, reason, imageId }`. */
export function buildReport(snapshots: readonly ListedSnapshot[], bundles: readonly OrphanedBundle[]): AuditReport {
  return {
    orphanedSnapshots: snapshots.map((s) => ({
      snapshotId: s.snapshotId,
      region: s.region,
      sizeGiB: s.sizeGiB,
      ageDays: s.ageDays,
      reason: s.reason,
      imageId: s.imageId,
    })),
    orphanedBundles: bundles.map((b) => ({ ...b })),
    totals: computeTotals(snapshots, bundles),
  };
}

/** Bytes in a human unit (B, KiB, MiB, GiB, TiB). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const usd = (n: number): string => `$${n.toFixed(2)}`;

/** A plain left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** The human report: a table per kind, then totals and the cost estimate. */
export function renderHuman(report: AuditReport, scanned: { regions: readonly string[]; snapshots: number; images: number; buckets: readonly string[] }): string {
  const out: string[] = [];
  const t = report.totals;
  const where = `${scanned.regions.join(", ")}${scanned.buckets.length ? `; buckets ${scanned.buckets.join(", ")}` : ""}`;
  out.push(`Scanned ${scanned.images} images and ${scanned.snapshots} snapshots in ${where}.`);
  out.push("");
  if (report.orphanedSnapshots.length > 0) {
    out.push(`Orphaned EBS snapshots (${report.orphanedSnapshots.length}):`);
    out.push(
      table(
        ["SNAPSHOT", "REGION", "SIZE", "AGE", "BELONGED TO"],
        report.orphanedSnapshots.map((s) => [s.snapshotId, s.region, `${s.sizeGiB} GiB`, `${s.ageDays}d`, describeReason(s.reason, s.imageId)]),
      ),
    );
    out.push("");
  }
  if (report.orphanedBundles.length > 0) {
    out.push(`Orphaned S3 bundles (${report.orphanedBundles.length}):`);
    out.push(
      table(
        ["MANIFEST", "REGION", "PARTS", "SIZE", "AGE"],
        report.orphanedBundles.map((b) => [
          `s3://${b.bucket}/${b.manifestKey}`,
          b.region,
          b.missingPartKeys.length ? `${b.partKeys.length} (${b.missingPartKeys.length} missing)` : `${b.partKeys.length}`,
          formatBytes(b.totalBytes),
          `${b.ageDays}d`,
        ]),
      ),
    );
    out.push("");
  }
  if (t.orphanedSnapshots === 0 && t.orphanedBundles === 0) {
    out.push("No orphaned AMI storage found.");
    return out.join("\n") + "\n";
  }
  const e = t.estimatedMonthlyUsd;
  out.push(
    `Total: ${t.orphanedSnapshots} snapshot(s), ${t.snapshotGiB} GiB; ${t.orphanedBundles} bundle(s), ${formatBytes(t.bundleBytes)}.`,
  );
  out.push(
    `Estimated cost: ${usd(e.total)}/month (snapshots ${usd(e.snapshotsStandardTier)} standard tier + ${usd(e.snapshotsArchiveTier)} archive tier; bundles ${usd(e.bundles)}).`,
  );
  out.push(
    `Prices: list prices as of ${t.priceTable.date} (${t.priceTable.source}); snapshot sizes are volume sizes, an upper bound for incremental snapshots.` +
      (t.priceTable.regionsAtDefaultPrice.length ? ` Priced at us-east-1 rates: ${t.priceTable.regionsAtDefaultPrice.join(", ")}.` : ""),
  );
  return out.join("\n") + "\n";
}
