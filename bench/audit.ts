/**
 * Benchmark 3 (audit scale): 100,000 snapshots and 20,000 images seeded straight into the local
 * endpoint's state, AWS's request buckets on (scaled clock), then `managed-ami audit --json` run as
 * a child process. Reports calls, wall time and the CLI's peak RSS as Markdown on stdout.
 * Run: `npm run build && npx ts-node --transpile-only bench/audit.ts` (env AUDIT_BENCH_SNAPSHOTS / _IMAGES to resize).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { BIN, rssProbe, runCli } from "./auditProcess";
import { startLocalAws, type ImageRecord, type LocalAws } from "../local-aws";

const REGION = "us-east-1";
const KEY = { id: "AKIABENCHAUDIT000001", secret: "bench-secret" };
const SNAPSHOTS = Number(process.env.AUDIT_BENCH_SNAPSHOTS ?? 100_000);
const IMAGES = Number(process.env.AUDIT_BENCH_IMAGES ?? 20_000);
/** Each image owns this many snapshots; the rest are orphans (10%) and users' manual snapshots. */
const SNAPSHOTS_PER_IMAGE = 2;
const TIME_SCALE = 0.01;

const hex = (n: number, width = 17): string => n.toString(16).padStart(width, "0");

interface Seeded {
  orphanIds: Set<string>;
  referenced: number;
  manual: number;
}

/** Seeds images (each with its snapshots), orphaned CreateImage/CopyImage snapshots, and manual ones. */
function seed(aws: LocalAws, owner: string): Seeded {
  const store = aws.state.ec2;
  const now = aws.clock.now();
  const snapshot = (id: string, description: string, ageDays: number): void => {
    const t = now - ageDays * 86_400_000;
    store.snapshots.set(id, {
      snapshotId: id,
      region: REGION,
      ownerId: owner,
      volumeId: "vol-ffffffff",
      volumeSize: 8 + (ageDays % 5) * 8,
      description,
      state: "completed",
      startTime: t,
      completedAt: t,
      encrypted: false,
      tags: [],
    });
  };
  let n = 0;
  for (let i = 0; i < IMAGES; i++) {
    const imageId = `ami-${hex(0x1000000 + i)}`;
    const mappings = [];
    for (let d = 0; d < SNAPSHOTS_PER_IMAGE; d++) {
      const snapId = `snap-${hex(++n)}`;
      snapshot(snapId, `Created by CreateImage(i-${hex(i)}) for ${imageId}`, i % 400);
      mappings.push({
        deviceName: d === 0 ? "/dev/xvda" : `/dev/xvd${String.fromCharCode(98 + d)}`,
        snapshotId: snapId,
        volumeSize: 8,
        volumeType: "gp3",
        deleteOnTermination: true,
        encrypted: false,
      });
    }
    const img: ImageRecord = {
      imageId,
      region: REGION,
      ownerId: owner,
      name: `bench-${i}`,
      state: "available",
      creationDate: now,
      availableAt: now,
      rootDeviceType: "ebs",
      rootDeviceName: "/dev/xvda",
      architecture: "x86_64",
      virtualizationType: "hvm",
      blockDeviceMappings: mappings,
      tags: [],
      isPublic: false,
      launchPermissions: new Set(),
      protection: { enabled: false, withCooldown: false },
    };
    store.images.set(imageId, img);
  }
  const referenced = n;
  const orphanIds = new Set<string>();
  const orphans = Math.floor(SNAPSHOTS / 10);
  for (let i = 0; i < orphans; i++) {
    const id = `snap-${hex(++n)}`;
    const gone = `ami-${hex(0x9000000 + i)}`;
    snapshot(
      id,
      i % 2 === 0
        ? `Created by CreateImage(i-${hex(i)}) for ${gone}`
        : `Copied for DestinationAmi ${gone} from SourceAmi ami-${hex(i)} for SourceSnapshot snap-${hex(i)}. Task created on 1,700,000,000,000.`,
      30 + (i % 300),
    );
    orphanIds.add(id);
  }
  const manual = SNAPSHOTS - n;
  for (let i = 0; i < manual; i++) snapshot(`snap-${hex(++n)}`, `nightly backup of vol ${i}`, i % 90);
  return { orphanIds, referenced, manual };
}

/** Runs the CLI with a preload that records its peak RSS (getrusage maxRSS) at exit. */
function runAudit(
  aws: LocalAws,
  probe: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    AWS_ACCESS_KEY_ID: KEY.id,
    AWS_SECRET_ACCESS_KEY: KEY.secret,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
    ...probe,
  };
  return runCli(["audit", "--json", "--region", REGION], env);
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first.`);
  const { dir, rssFile, env: probe } = rssProbe("audit-bench-");
  const aws = await startLocalAws({
    throttling: true,
    timeScale: TIME_SCALE,
    seedBaseImages: false,
    accounts: { [KEY.id]: "111122223333" },
  });
  try {
    const seedStart = Date.now();
    const seeded = seed(aws, aws.state.accountIdFor(KEY.id));
    const seedMs = Date.now() - seedStart;
    aws.log.length = 0;
    const r = await runAudit(aws, probe);
    if (r.code !== 1) throw new Error(`audit exited ${r.code} (expected 1: orphans found):\n${r.stderr}`);
    const doc = JSON.parse(r.stdout) as {
      orphanedSnapshots: Array<{ snapshotId: string }>;
      totals: { snapshotGiB: number; estimatedMonthlyUsd: { total: number } };
    };
    const found = new Set(doc.orphanedSnapshots.map((s) => s.snapshotId));
    const exact = found.size === seeded.orphanIds.size && [...found].every((id) => seeded.orphanIds.has(id));
    const byAction = new Map<string, number>();
    for (const l of aws.log) byAction.set(l.action, (byAction.get(l.action) ?? 0) + 1);
    const throttled = aws.log.filter((l) => l.code === "RequestLimitExceeded").length;
    const failures = aws.log.filter((l) => l.status >= 400 && l.code !== "RequestLimitExceeded").length;
    const rss = JSON.parse(readFileSync(rssFile, "utf8")) as { maxRssKiB: number };
    const lines = [
      `### Audit scale (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 1024 ** 3)} GiB RAM)`,
      "",
      `Account: ${IMAGES.toLocaleString("en-US")} images, ${SNAPSHOTS.toLocaleString("en-US")} snapshots (${seeded.referenced.toLocaleString("en-US")} used by images, ` +
        `${seeded.orphanIds.size.toLocaleString("en-US")} orphaned, ${seeded.manual.toLocaleString("en-US")} manual) in ${REGION}; ` +
        `local endpoint with AWS's request buckets on, clock scaled ${Math.round(1 / TIME_SCALE)}×. Command: \`managed-ami audit --json --region ${REGION}\` in a child process.`,
      "",
      "| measure | value |",
      "|---|---|",
      `| API calls | ${aws.log.length} (${[...byAction].map(([a, c]) => `${a} ${c}`).join(", ")}) |`,
      `| throttled calls (retried) | ${throttled} |`,
      `| failed calls | ${failures} |`,
      `| wall time (process start to exit) | ${(r.ms / 1000).toFixed(1)} s |`,
      `| peak RSS of the audit process | ${Math.round(rss.maxRssKiB / 1024)} MB |`,
      `| orphans reported | ${found.size.toLocaleString("en-US")} (${exact ? "exactly the seeded orphans" : "MISMATCH with the seeded orphans"}) |`,
      `| orphaned GiB / estimated cost | ${doc.totals.snapshotGiB.toLocaleString("en-US")} GiB / $${doc.totals.estimatedMonthlyUsd.total.toFixed(2)} per month |`,
      `| JSON output | ${(Buffer.byteLength(r.stdout) / 1024 ** 2).toFixed(1)} MB |`,
      "",
      `Goal: a few hundred calls and < 300 MB. Seeding took ${(seedMs / 1000).toFixed(1)} s (not counted).`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    if (!exact) process.exitCode = 1;
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/audit: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
