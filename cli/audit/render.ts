/**
 * Output of the audit: the JSON document (`--format json`), the human table grouped by account,
 * CSV (one row per item) and Markdown (a pull-request comment). Pure: every function returns a string.
 */
import type { OrphanedSnapshot, ServiceKind, SnapshotLockInfo } from "./classify";
import { describeReason } from "./classify";
import type { OrphanedBundle } from "./bundles";
import type { BinnedItem, Excluded, ListedSnapshot } from "./scan";
import type { UnusedImage } from "./unusedImages";
import {
  PRICE_TABLE_DATE,
  PRICE_TABLE_SOURCE,
  hasRegionPrices,
  pricesFor,
  s3MonthlyUsd,
  snapshotMonthlyUsd,
} from "./pricing";

/** Archive-tier snapshots are billed for at least 90 days (EBS pricing). */
export const ARCHIVE_MINIMUM_DAYS = 90;
const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;

/** Per-account totals (`totals.byAccount`). */
export interface AccountTotals {
  accountId: string;
  orphanedSnapshots: number;
  snapshotGiB: number;
  orphanedBundles: number;
  bundleBytes: number;
  estimatedMonthlyUsd: number;
}

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
  /** How many snapshot estimates used AWS's full snapshot size, and how many the volume size (an upper bound). */
  costBasis: { fullSnapshotSize: number; volumeSize: number };
  priceTable: { date: string; source: string; regionsAtDefaultPrice: string[] };
  byAccount: AccountTotals[];
}

/** One snapshot as the JSON lists it. */
export interface SnapshotEntry extends OrphanedSnapshot {
  storageTier: string;
  /** `full-snapshot-size` when AWS reported FullSnapshotSizeInBytes, else `volume-size`. */
  costBasis: "full-snapshot-size" | "volume-size";
  estimatedMonthlyUsd: number;
  lock?: SnapshotLockInfo;
  /** Archive tier, archived less than 90 days ago: deleting now is charged for the remaining days. */
  earlyDeletion?: { archivedOn: string; daysRemaining: number; chargeUsd: number };
}

/** What was looked at (CI evidence). */
export interface Scanned {
  accounts: string[];
  regions: string[];
  buckets: string[];
  images: number;
  snapshots: number;
}

/** The JSON document. */
export interface AuditReport {
  orphanedSnapshots: SnapshotEntry[];
  orphanedBundles: OrphanedBundle[];
  totals: Totals;
  scanned: Scanned;
  excluded: Excluded;
  accountErrors: Array<{ accountId: string; message: string }>;
  recycleBin?: { snapshots: BinnedItem[]; images: BinnedItem[] };
  unusedImages?: UnusedImage[];
}

/** Everything `buildReport` needs. */
export interface ReportInput {
  snapshots: readonly ListedSnapshot[];
  bundles: readonly OrphanedBundle[];
  scanned?: Scanned;
  excluded?: Excluded;
  accountErrors?: Array<{ accountId: string; message: string }>;
  recycleBin?: { snapshots: BinnedItem[]; images: BinnedItem[] };
  unusedImages?: UnusedImage[];
  now?: Date;
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** The GiB a snapshot is priced on: AWS's full snapshot size when reported, else the volume size. */
export function billedGiB(s: Pick<ListedSnapshot, "sizeGiB" | "fullSnapshotSizeBytes">): number {
  return s.fullSnapshotSizeBytes !== undefined ? s.fullSnapshotSizeBytes / GIB : s.sizeGiB;
}

/** One snapshot's JSON entry: cost, basis, lock and early-deletion note. */
export function snapshotEntry(s: ListedSnapshot, now: Date = new Date()): SnapshotEntry {
  const gib = billedGiB(s);
  const entry: SnapshotEntry = {
    snapshotId: s.snapshotId,
    region: s.region,
    accountId: s.accountId,
    sizeGiB: s.sizeGiB,
    ...(s.fullSnapshotSizeBytes !== undefined ? { fullSnapshotSizeBytes: s.fullSnapshotSizeBytes } : {}),
    ageDays: s.ageDays,
    reason: s.reason,
    imageId: s.imageId,
    storageTier: s.storageTier,
    costBasis: s.fullSnapshotSizeBytes !== undefined ? "full-snapshot-size" : "volume-size",
    estimatedMonthlyUsd: cents(snapshotMonthlyUsd(s.region, gib, s.storageTier)),
  };
  if (s.lock) entry.lock = s.lock;
  if (s.storageTier === "archive" && s.archivedAt) {
    const days = Math.floor((now.getTime() - s.archivedAt.getTime()) / DAY_MS);
    if (days < ARCHIVE_MINIMUM_DAYS) {
      const remaining = ARCHIVE_MINIMUM_DAYS - days;
      entry.earlyDeletion = {
        archivedOn: s.archivedAt.toISOString(),
        daysRemaining: remaining,
        chargeUsd: cents((remaining / 30) * gib * pricesFor(s.region).snapshotArchive),
      };
    }
  }
  return entry;
}

/** Totals and cost estimate over the listed storage, overall and per account. */
export function computeTotals(
  snapshots: readonly ListedSnapshot[],
  bundles: readonly OrphanedBundle[],
): Totals {
  let snapshotGiB = 0;
  let standard = 0;
  let archive = 0;
  const basis = { fullSnapshotSize: 0, volumeSize: 0 };
  const unpriced = new Set<string>();
  const accounts = new Map<string, AccountTotals>();
  const account = (id: string): AccountTotals => {
    let a = accounts.get(id);
    if (!a)
      accounts.set(
        id,
        (a = {
          accountId: id,
          orphanedSnapshots: 0,
          snapshotGiB: 0,
          orphanedBundles: 0,
          bundleBytes: 0,
          estimatedMonthlyUsd: 0,
        }),
      );
    return a;
  };
  for (const s of snapshots) {
    snapshotGiB += s.sizeGiB;
    const usd = snapshotMonthlyUsd(s.region, billedGiB(s), s.storageTier);
    if (s.storageTier === "archive") archive += usd;
    else standard += usd;
    if (s.fullSnapshotSizeBytes !== undefined) basis.fullSnapshotSize++;
    else basis.volumeSize++;
    if (!hasRegionPrices(s.region)) unpriced.add(s.region);
    const a = account(s.accountId);
    a.orphanedSnapshots++;
    a.snapshotGiB += s.sizeGiB;
    a.estimatedMonthlyUsd += usd;
  }
  let bundleBytes = 0;
  let bundleUsd = 0;
  for (const b of bundles) {
    bundleBytes += b.totalBytes;
    const usd = s3MonthlyUsd(b.region, b.totalBytes);
    bundleUsd += usd;
    if (!hasRegionPrices(b.region)) unpriced.add(b.region);
    const a = account(b.accountId ?? "self");
    a.orphanedBundles++;
    a.bundleBytes += b.totalBytes;
    a.estimatedMonthlyUsd += usd;
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
    costBasis: basis,
    priceTable: {
      date: PRICE_TABLE_DATE,
      source: PRICE_TABLE_SOURCE,
      regionsAtDefaultPrice: [...unpriced].sort(),
    },
    byAccount: [...accounts.values()]
      .map((a) => ({ ...a, estimatedMonthlyUsd: cents(a.estimatedMonthlyUsd) }))
      .sort((x, y) => x.accountId.localeCompare(y.accountId)),
  };
}

const NO_EXCLUSIONS: Excluded = {
  olderThan: 0,
  excludeTag: 0,
  managedByService: { "aws-backup": 0, dlm: 0, "image-builder": 0, "fast-launch": 0 },
};

/** The JSON document (field names are the spec's "Audit, version 2"). */
export function buildReport(input: ReportInput): AuditReport {
  const { snapshots, bundles } = input;
  const regions = [...new Set([...snapshots.map((s) => s.region), ...bundles.map((b) => b.region)])].sort();
  const report: AuditReport = {
    orphanedSnapshots: snapshots.map((s) => snapshotEntry(s, input.now)),
    orphanedBundles: bundles.map((b) => ({ ...b })),
    totals: computeTotals(snapshots, bundles),
    scanned: input.scanned ?? { accounts: [], regions, buckets: [], images: 0, snapshots: 0 },
    excluded: input.excluded ?? NO_EXCLUSIONS,
    accountErrors: input.accountErrors ?? [],
  };
  if (input.recycleBin) report.recycleBin = input.recycleBin;
  if (input.unusedImages)
    report.unusedImages = [...input.unusedImages].sort(
      (a, b) => b.estimatedMonthlyUsd - a.estimatedMonthlyUsd || a.imageId.localeCompare(b.imageId),
    );
  return report;
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
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

const gib = (n: number): string => `${Number.isInteger(n) ? n : n.toFixed(1)} GiB`;

/** The size column: volume size, plus AWS's full snapshot size when known. */
function sizeCell(s: SnapshotEntry): string {
  return s.fullSnapshotSizeBytes !== undefined
    ? `${gib(s.sizeGiB)} (full ${formatBytes(s.fullSnapshotSizeBytes)})`
    : gib(s.sizeGiB);
}

/** Notes for a snapshot row: tier, lock, early deletion. */
function notesOf(s: SnapshotEntry): string {
  const notes: string[] = [];
  if (s.storageTier === "archive") notes.push("archive tier");
  if (s.lock)
    notes.push(
      `locked (${s.lock.mode}${s.lock.expiresOn ? ` until ${s.lock.expiresOn.slice(0, 10)}` : ""}): never deleted`,
    );
  if (s.earlyDeletion)
    notes.push(
      `archived ${s.earlyDeletion.archivedOn.slice(0, 10)}: early-deletion charge ~${usd(s.earlyDeletion.chargeUsd)} (${s.earlyDeletion.daysRemaining} days left of 90)`,
    );
  return notes.join("; ");
}

/** What the filters and service rules hid, in words ("" when nothing). */
export function exclusionSummary(e: Excluded): string {
  const parts: string[] = [];
  if (e.olderThan) parts.push(`${e.olderThan} newer than --older-than`);
  if (e.excludeTag) parts.push(`${e.excludeTag} matching --exclude-tag`);
  const services = (Object.entries(e.managedByService) as Array<[ServiceKind, number]>).filter(
    ([, n]) => n > 0,
  );
  if (services.length)
    parts.push(
      `${services.reduce((a, [, n]) => a + n, 0)} managed by AWS services (${services.map(([k, n]) => `${k} ${n}`).join(", ")})`,
    );
  return parts.length ? `Not listed: ${parts.join("; ")}.` : "";
}

/** The human report: per account a table of snapshots and bundles with the account's total, then the grand totals. */
export function renderHuman(report: AuditReport): string {
  const out: string[] = [];
  const t = report.totals;
  const sc = report.scanned;
  const multi = sc.accounts.length > 1;
  out.push(
    `Scanned ${sc.images} images and ${sc.snapshots} snapshots in ${multi ? `${sc.accounts.length} accounts × ` : ""}${sc.regions.join(", ")}` +
      (sc.buckets.length
        ? `; buckets ${sc.buckets.join(", ")}.`
        : "; no S3 bucket scanned (pass --bucket to look for instance-store bundles)."),
  );
  out.push("");
  const accounts = [
    ...new Set([
      ...report.orphanedSnapshots.map((s) => s.accountId),
      ...report.orphanedBundles.map((b) => b.accountId ?? "self"),
    ]),
  ].sort();
  for (const accountId of accounts) {
    const snaps = report.orphanedSnapshots.filter((s) => s.accountId === accountId);
    const bundles = report.orphanedBundles.filter((b) => (b.accountId ?? "self") === accountId);
    if (multi || accounts.length > 1) out.push(`Account ${accountId}:`);
    if (snaps.length > 0) {
      out.push(`Orphaned EBS snapshots (${snaps.length}):`);
      out.push(
        table(
          ["SNAPSHOT", "REGION", "SIZE", "AGE", "BELONGED TO", "NOTES"],
          snaps.map((s) => [
            s.snapshotId,
            s.region,
            sizeCell(s),
            `${s.ageDays}d`,
            describeReason(s.reason, s.imageId),
            notesOf(s),
          ]),
        ),
      );
      out.push("");
    }
    if (bundles.length > 0) {
      out.push(`Orphaned S3 bundles (${bundles.length}):`);
      out.push(
        table(
          ["MANIFEST", "REGION", "PARTS", "SIZE", "AGE"],
          bundles.map((b) => [
            `s3://${b.bucket}/${b.manifestKey}`,
            b.region,
            b.missingPartKeys.length
              ? `${b.partKeys.length} (${b.missingPartKeys.length} missing)`
              : `${b.partKeys.length}`,
            formatBytes(b.totalBytes),
            `${b.ageDays}d`,
          ]),
        ),
      );
      out.push("");
    }
    const a = t.byAccount.find((x) => x.accountId === accountId);
    if (a && (multi || accounts.length > 1)) {
      out.push(
        `Account ${accountId} total: ${a.orphanedSnapshots} snapshot(s), ${a.snapshotGiB} GiB; ${a.orphanedBundles} bundle(s), ${formatBytes(a.bundleBytes)}; ${usd(a.estimatedMonthlyUsd)}/month.`,
      );
      out.push("");
    }
  }
  if (report.recycleBin) {
    const rb = report.recycleBin;
    out.push(
      `In the Recycle Bin (still billed until they leave it; never deleted by the audit): ${rb.snapshots.length} snapshot(s), ${rb.images.length} image(s).`,
    );
    const rows = [
      ...rb.snapshots.map((s) => [s.id, s.accountId, s.region, s.exitTime ?? "?"]),
      ...rb.images.map((s) => [s.id, s.accountId, s.region, s.exitTime ?? "?"]),
    ];
    if (rows.length) out.push(table(["ID", "ACCOUNT", "REGION", "LEAVES THE BIN"], rows));
    out.push("");
  }
  if (report.unusedImages) {
    out.push(
      `Unused images (no blocking reference, not launched recently; never deregistered by the audit): ${report.unusedImages.length}`,
    );
    if (report.unusedImages.length) {
      out.push(
        table(
          ["IMAGE", "NAME", "ACCOUNT", "REGION", "LAST LAUNCHED", "SNAPSHOTS", "USD/MONTH"],
          report.unusedImages.map((u) => [
            u.imageId,
            u.name,
            u.accountId,
            u.region,
            u.lastLaunched?.slice(0, 10) ?? "never",
            gib(u.snapshotGiB),
            usd(u.estimatedMonthlyUsd),
          ]),
        ),
      );
    }
    out.push("");
  }
  for (const e of report.accountErrors) out.push(`Account ${e.accountId} not scanned: ${e.message}`);
  if (report.accountErrors.length) out.push("");
  const hidden = exclusionSummary(report.excluded);
  if (t.orphanedSnapshots === 0 && t.orphanedBundles === 0) {
    out.push("No orphaned AMI storage found.");
    if (hidden) out.push(hidden);
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
    `Prices: list prices as of ${t.priceTable.date} (${t.priceTable.source}); ` +
      `${t.costBasis.fullSnapshotSize} snapshot(s) priced on AWS's full snapshot size, ${t.costBasis.volumeSize} on the volume size (an upper bound for incremental snapshots).` +
      (t.priceTable.regionsAtDefaultPrice.length
        ? ` Priced at us-east-1 rates: ${t.priceTable.regionsAtDefaultPrice.join(", ")}.`
        : ""),
  );
  if (hidden) out.push(hidden);
  return out.join("\n") + "\n";
}

/** The CSV header (one row per snapshot or bundle). */
export const CSV_HEADER = [
  "kind",
  "accountId",
  "region",
  "id",
  "sizeGiB",
  "fullSnapshotSizeBytes",
  "bytes",
  "ageDays",
  "reason",
  "imageId",
  "storageTier",
  "costBasis",
  "estimatedMonthlyUsd",
  "lockMode",
  "lockExpiresOn",
];

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180 CSV: the header, then a row per orphaned snapshot and bundle. */
export function renderCsv(report: AuditReport): string {
  const rows: unknown[][] = [CSV_HEADER];
  for (const s of report.orphanedSnapshots) {
    rows.push([
      "snapshot",
      s.accountId,
      s.region,
      s.snapshotId,
      s.sizeGiB,
      s.fullSnapshotSizeBytes,
      "",
      s.ageDays,
      s.reason,
      s.imageId,
      s.storageTier,
      s.costBasis,
      s.estimatedMonthlyUsd,
      s.lock?.mode,
      s.lock?.expiresOn,
    ]);
  }
  for (const b of report.orphanedBundles) {
    rows.push([
      "bundle",
      b.accountId ?? "",
      b.region,
      `s3://${b.bucket}/${b.manifestKey}`,
      "",
      "",
      b.totalBytes,
      b.ageDays,
      b.reason,
      "",
      "s3-standard",
      "object-size",
      Math.round(s3MonthlyUsd(b.region, b.totalBytes) * 100) / 100,
      "",
      "",
    ]);
  }
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Markdown for a pull-request comment: a summary line, a per-account table, the top items by cost, collapsed details. */
export function renderMarkdown(report: AuditReport, top = 10): string {
  const t = report.totals;
  const out: string[] = [];
  const n = t.orphanedSnapshots + t.orphanedBundles;
  out.push(
    n === 0
      ? `**managed-ami audit: no orphaned AMI storage** in ${report.scanned.accounts.length} account(s), ${report.scanned.regions.length} region(s).`
      : `**managed-ami audit: ${t.orphanedSnapshots} orphaned snapshot(s) (${t.snapshotGiB} GiB) and ${t.orphanedBundles} bundle(s), about ${usd(t.estimatedMonthlyUsd.total)}/month** ` +
          `in ${report.scanned.accounts.length} account(s), ${report.scanned.regions.length} region(s).`,
  );
  out.push("");
  if (t.byAccount.length) {
    out.push("| Account | Snapshots | GiB | Bundles | Bundle size | USD/month |");
    out.push("|---|---:|---:|---:|---:|---:|");
    for (const a of t.byAccount) {
      out.push(
        `| ${a.accountId} | ${a.orphanedSnapshots} | ${a.snapshotGiB} | ${a.orphanedBundles} | ${formatBytes(a.bundleBytes)} | ${usd(a.estimatedMonthlyUsd)} |`,
      );
    }
    out.push("");
  }
  if (report.accountErrors.length) {
    for (const e of report.accountErrors)
      out.push(`> :warning: account ${e.accountId} not scanned: ${mdCell(e.message)}`);
    out.push("");
  }
  const items = [
    ...report.orphanedSnapshots.map((s) => ({
      id: s.snapshotId,
      account: s.accountId,
      region: s.region,
      size: sizeCell(s),
      usd: s.estimatedMonthlyUsd,
      what: describeReason(s.reason, s.imageId) + (notesOf(s) ? `; ${notesOf(s)}` : ""),
    })),
    ...report.orphanedBundles.map((b) => ({
      id: `s3://${b.bucket}/${b.manifestKey}`,
      account: b.accountId ?? "",
      region: b.region,
      size: formatBytes(b.totalBytes),
      usd: Math.round(s3MonthlyUsd(b.region, b.totalBytes) * 100) / 100,
      what: "bundle manifest not registered",
    })),
  ].sort((a, b) => b.usd - a.usd || a.id.localeCompare(b.id));
  const row = (i: (typeof items)[number]): string =>
    `| \`${mdCell(i.id)}\` | ${i.account} | ${i.region} | ${mdCell(i.size)} | ${usd(i.usd)} | ${mdCell(i.what)} |`;
  const head = ["| Item | Account | Region | Size | USD/month | Why listed |", "|---|---|---|---:|---:|---|"];
  if (items.length) {
    out.push(`Top ${Math.min(top, items.length)} by cost:`, "", ...head, ...items.slice(0, top).map(row), "");
    out.push(
      `<details><summary>All ${items.length} item(s)</summary>`,
      "",
      ...head,
      ...items.map(row),
      "",
      "</details>",
      "",
    );
  }
  const hidden = exclusionSummary(report.excluded);
  if (hidden) out.push(hidden, "");
  out.push(
    `<sub>Prices as of ${t.priceTable.date}; ${t.costBasis.fullSnapshotSize} snapshot(s) priced on AWS's full snapshot size, ${t.costBasis.volumeSize} on the volume size.</sub>`,
  );
  return out.join("\n") + "\n";
}
