/**
 * Benchmark (audit v2, organization scale): ACCOUNTS accounts × REGIONS regions, each with SNAPSHOTS
 * snapshots and IMAGES images seeded straight into the local endpoint's state, AWS's request buckets on
 * (scaled clock), then `managed-ami audit --organization --role-name … --json` as a child process at
 * `--concurrency` 4 and 16. Reports calls per account-region, wall time, peak RSS, throttling as Markdown.
 * Run: `npm run bench:org` (builds first); writes bench/RESULTS.org.md (RESULTS.md, from `npm run bench`, links to it).
 * (env AUDIT_ORG_ACCOUNTS / _REGIONS / _SNAPSHOTS / _IMAGES to resize; defaults 50 × 4 × 2,000 / 400).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cpus, tmpdir, totalmem } from "node:os";
import { BIN, rssProbe, runCli } from "./auditProcess";
import { writeMarkdown } from "./markdown";
import { startLocalAws, type ImageRecord, type LocalAws } from "../local-aws";
import { seedOrganization } from "../local-aws/seed";

const KEY = "AKIALOCALAWSEXAMPLE";
const ROLE = "AuditRole";
const ACCOUNTS = Number(process.env.AUDIT_ORG_ACCOUNTS ?? 50);
const REGIONS = [
  "us-east-1",
  "us-west-2",
  "eu-west-1",
  "ap-southeast-1",
  "eu-central-1",
  "ap-northeast-1",
].slice(0, Number(process.env.AUDIT_ORG_REGIONS ?? 4));
const SNAPSHOTS = Number(process.env.AUDIT_ORG_SNAPSHOTS ?? 2000);
const IMAGES = Number(process.env.AUDIT_ORG_IMAGES ?? 400);
/**
 * Real time: AssumeRole sessions expire on the endpoint's clock, and the CLI refreshes them by its own
 * clock (as against AWS), so a scaled endpoint clock would expire sessions the CLI still thinks fresh.
 */
const TIME_SCALE = 1;
const hex = (n: number, width = 17): string => n.toString(16).padStart(width, "0");

/** Per account-region: IMAGES images with 2 snapshots each, 10% orphans, the rest manual snapshots. */
function seed(aws: LocalAws, accounts: string[]): number {
  const store = aws.state.ec2;
  const now = aws.clock.now();
  let n = 0;
  let orphans = 0;
  const snapshot = (owner: string, region: string, description: string): string => {
    const id = `snap-${hex(++n)}`;
    store.snapshots.set(id, {
      snapshotId: id,
      region,
      ownerId: owner,
      volumeId: "vol-ffffffff",
      volumeSize: 8,
      description,
      state: "completed",
      startTime: now - 40 * 86_400_000,
      completedAt: now,
      encrypted: false,
      tags: [],
    });
    return id;
  };
  for (const owner of accounts) {
    for (const region of REGIONS) {
      let made = 0;
      for (let i = 0; i < IMAGES; i++) {
        const imageId = `ami-${hex(++n)}`;
        const mappings = [0, 1].map((d) => ({
          deviceName: d === 0 ? "/dev/xvda" : "/dev/xvdb",
          snapshotId: snapshot(owner, region, `Created by CreateImage(i-${hex(i)}) for ${imageId}`),
          volumeSize: 8,
          volumeType: "gp3",
          deleteOnTermination: true,
          encrypted: false,
        }));
        made += 2;
        const img: ImageRecord = {
          imageId,
          region,
          ownerId: owner,
          name: `bench-${n}`,
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
      for (let i = 0; i < SNAPSHOTS / 10; i++, made++, orphans++)
        snapshot(owner, region, `Created by CreateImage(i-${hex(i)}) for ami-${hex(0xfff0000000 + n)}`);
      for (; made < SNAPSHOTS; made++) snapshot(owner, region, "nightly backup");
    }
  }
  return orphans;
}

function run(
  aws: LocalAws,
  concurrency: number,
  probe: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    AWS_ACCESS_KEY_ID: KEY,
    AWS_SECRET_ACCESS_KEY: "local-aws-secret",
    AWS_REGION: REGIONS[0],
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_ENDPOINT_URL_STS: aws.endpoint,
    AWS_ENDPOINT_URL_ORGANIZATIONS: aws.endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
    ...probe,
  };
  const args = [
    "audit",
    "--organization",
    "--role-name",
    ROLE,
    "--json",
    "--concurrency",
    String(concurrency),
    ...REGIONS.flatMap((r) => ["--region", r]),
  ];
  return runCli(args, env);
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first.`);
  const { dir, rssFile, env: probe } = rssProbe("audit-org-bench-");
  const aws = await startLocalAws({ throttling: true, timeScale: TIME_SCALE, seedBaseImages: false });
  try {
    const org = seedOrganization(aws, {
      roleName: ROLE,
      members: Array.from({ length: ACCOUNTS - 1 }, (_, i) => ({ name: `member-${i}` })),
    });
    const accounts = [org.managementAccountId, ...org.members.map((m) => m.accountId)];
    const orphans = seed(aws, accounts);
    const rows: string[] = [];
    for (const concurrency of [4, 16]) {
      aws.log.length = 0;
      const r = await run(aws, concurrency, probe);
      if (r.code !== 1) throw new Error(`audit exited ${r.code} (expected 1):\n${r.stderr.slice(0, 2000)}`);
      const doc = JSON.parse(r.stdout) as {
        orphanedSnapshots: unknown[];
        accountErrors: unknown[];
        scanned: { accounts: string[]; snapshots: number };
      };
      const ec2 = aws.log.filter((l) => l.service === "ec2");
      const perAr = new Map<string, number>();
      for (const l of ec2)
        perAr.set(`${l.accountId}/${l.region}`, (perAr.get(`${l.accountId}/${l.region}`) ?? 0) + 1);
      const counts = [...perAr.values()];
      const byAction = new Map<string, number>();
      for (const l of aws.log) byAction.set(l.action, (byAction.get(l.action) ?? 0) + 1);
      const rss = JSON.parse(readFileSync(rssFile, "utf8")) as { maxRssKiB: number };
      rows.push(
        `| ${concurrency} | ${(r.ms / 1000).toFixed(1)} s | ${aws.log.length} (${[...byAction].map(([a, c]) => `${a} ${c}`).join(", ")}) | ` +
          `${Math.min(...counts)}-${Math.max(...counts)} | ${aws.log.filter((l) => l.code === "RequestLimitExceeded").length} | ` +
          `${aws.log.filter((l) => l.status >= 400 && l.code !== "RequestLimitExceeded").length} | ${Math.round(rss.maxRssKiB / 1024)} MB | ` +
          `${doc.orphanedSnapshots.length === orphans && doc.accountErrors.length === 0 && doc.scanned.accounts.length === ACCOUNTS ? `${orphans} (exact)` : `MISMATCH ${doc.orphanedSnapshots.length}/${orphans}`} |`,
      );
    }
    const doc =
      [
        `# Audit, organization scale`,
        "",
        `Produced by \`npm run bench:org\` (bench/audit-org.ts), run separately from \`npm run bench\` (it takes minutes).`,
        "",
        `### Run of ${new Date().toISOString()} (Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 1024 ** 3)} GiB RAM)`,
        "",
        `${ACCOUNTS} accounts × ${REGIONS.length} regions × ${SNAPSHOTS.toLocaleString("en-US")} snapshots / ${IMAGES} images ` +
          `(${(ACCOUNTS * REGIONS.length * SNAPSHOTS).toLocaleString("en-US")} snapshots, ${orphans.toLocaleString("en-US")} orphaned); local endpoint, AWS's buckets on, clock ×${Math.round(1 / TIME_SCALE)}; ` +
          "`managed-ami audit --organization --role-name AuditRole --json` in a child process.",
        "",
        "| --concurrency | wall | API calls | EC2 calls per account-region | throttled | failed | peak RSS | orphans reported |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
      ].join("\n") + "\n";
    process.stdout.write(doc);
    await writeMarkdown(join(__dirname, "RESULTS.org.md"), doc);
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/audit-org: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
