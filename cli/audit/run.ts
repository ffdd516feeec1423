/**
 * `managed-ami audit`, top to bottom: check flags, resolve region and credentials, pick regions,
 * scan, print, then (only with `--delete`) confirm and delete. Returns the exit code:
 * 0 nothing found or all deleted, 1 orphans found (CI can gate on it), 2 usage or AWS error.
 */
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { S3Client } from "@aws-sdk/client-s3";
import { createInterface } from "node:readline";
import {
  ec2Client,
  EndpointUnreachableError,
  InvalidEndpointError,
  s3Client,
} from "../../provider/aws/clients";
import {
  errorCode,
  errorMessage,
  isAccessDenied,
  isNoSuchBucket,
  isThrottling,
  isTransient,
} from "../../provider/aws/errors";
import { resolveRegion } from "../../provider/aws/region";
import {
  assumedRoleCredentials,
  callerAccount,
  enterError,
  organizationAccounts,
  organizationsClient,
  roleArnFor,
  stsClient,
} from "./accounts";
import type { OrphanedBundle } from "./bundles";
import type { UnusedImage } from "./unusedImages";
import { SERVICE_KINDS, TagFilter } from "./classify";
import { DeleteReport, DryRunReport, deleteListed, dryRunDelete } from "./delete";
import {
  UsageError,
  badRegionMessage,
  checkBucketNames,
  checkRegionNames,
  isRegionName,
  parseDuration,
  parseTagFilter,
} from "./options";
import { ProgressStream, progressBar } from "./progress";
import {
  AuditReport,
  Scanned,
  buildReport,
  formatBytes,
  renderCsv,
  renderHuman,
  renderMarkdown,
} from "./render";
import {
  AuditClients,
  BinnedItem,
  Excluded,
  Limiter,
  ListedSnapshot,
  ScanCallError,
  ScanResult,
  emptyExcluded,
  forEachLimited,
  scan,
} from "./scan";

/** Exit codes (documented in the README). */
export const EXIT = { CLEAN: 0, ORPHANS_FOUND: 1, ERROR: 2 } as const;

/** The audit's flags as commander hands them over. */
export interface AuditFlags {
  region?: string[];
  allRegions?: boolean;
  json?: boolean;
  format?: string;
  bucket?: string[];
  olderThan?: string;
  excludeTag?: string[];
  delete?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  accounts?: string;
  organization?: boolean;
  roleName?: string;
  concurrency?: string;
  recycleBin?: boolean;
  unusedImages?: string;
}

/** Where the audit reads and writes; the CLI passes the process's streams. */
export interface AuditIo {
  stdout: { write(chunk: string): unknown };
  stderr: ProgressStream;
  /** Asks a yes/no question; default: a readline prompt on stdin/stderr when both are terminals. */
  confirm?: (question: string) => Promise<boolean>;
  /** Whether a person can answer `confirm` (stdin and stderr are terminals). */
  interactive?: boolean;
}

/** Injected for tests; defaults build the package's clients (bounded retries) per region. */
export interface AuditDeps {
  /** Clients of the caller's own account. */
  clients?: AuditClients;
  /** Clients acting with other credentials (an assumed role); default: the package's clients with them. */
  clientsFor?: (credentials: AwsCredentialIdentityProvider) => AuditClients;
  sts?: () => STSClient;
  organizations?: () => OrganizationsClient;
  now?: () => Date;
}

/** A failure the CLI reports with exit code 2 and this message (already says what to do). */
export class AuditError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AuditError";
  }
}

export type Format = "table" | "json" | "csv" | "markdown";
const FORMATS: readonly Format[] = ["table", "json", "csv", "markdown"];

interface Plan {
  regions: string[];
  allRegions: boolean;
  buckets: string[];
  olderThanMs?: number;
  excludeTags: TagFilter[];
  format: Format;
  accounts: string[];
  organization: boolean;
  roleName?: string;
  concurrency: number;
  unusedImagesMs?: number;
}

/** Checks the flags before any AWS call; throws UsageError naming the flag and the fix. */
export function planFromFlags(flags: AuditFlags, interactive: boolean): Plan {
  const regions = checkRegionNames(flags.region ?? []);
  if (flags.allRegions && regions.length > 0)
    throw new UsageError("--region and --all-regions exclude each other: pass one of them.");
  if (flags.dryRun && !flags.delete)
    throw new UsageError("--dry-run checks the permissions of --delete: pass --delete --dry-run.");
  if (flags.yes && !flags.delete)
    throw new UsageError("--yes confirms --delete: pass --delete --yes, or drop --yes.");
  if (flags.delete && !flags.dryRun && !flags.yes && !interactive) {
    throw new UsageError(
      "--delete needs a confirmation and there is no terminal to ask on: pass --yes to delete without asking.",
    );
  }
  if (flags.json && flags.format && flags.format !== "json")
    throw new UsageError(`--json is --format json: drop --json or --format ${flags.format}.`);
  const format = (flags.json ? "json" : (flags.format ?? "table")) as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`--format "${flags.format}": expected one of ${FORMATS.join(", ")}.`);
  const accounts =
    flags.accounts === undefined
      ? []
      : flags.accounts
          .split(",")
          .map((a) => a.trim())
          .filter(Boolean);
  for (const a of accounts) {
    if (!/^\d{12}$/.test(a))
      throw new UsageError(
        `--accounts "${a}" is not an AWS account id: expected 12 digits, comma-separated (e.g. --accounts 111111111111,222222222222).`,
      );
  }
  if (flags.accounts !== undefined && accounts.length === 0)
    throw new UsageError("--accounts needs at least one 12-digit account id.");
  if (flags.organization && accounts.length)
    throw new UsageError("--accounts and --organization exclude each other: pass one of them.");
  if (flags.organization && !flags.roleName) {
    throw new UsageError(
      "--organization needs --role-name NAME: the role the audit assumes in each account (e.g. --role-name OrganizationAccountAccessRole).",
    );
  }
  if (flags.roleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(flags.roleName)) {
    throw new UsageError(
      `--role-name "${flags.roleName}" is not an IAM role name (1-64 of letters, digits and +=,.@_-); pass the name, not the ARN.`,
    );
  }
  const concurrency = flags.concurrency === undefined ? 4 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(
      `--concurrency "${flags.concurrency}": expected a whole number from 1 to 64 (account × region scans at once; default 4).`,
    );
  }
  return {
    regions,
    allRegions: flags.allRegions ?? false,
    buckets: checkBucketNames(flags.bucket ?? []),
    olderThanMs: flags.olderThan !== undefined ? parseDuration(flags.olderThan) : undefined,
    excludeTags: (flags.excludeTag ?? []).map(parseTagFilter),
    format,
    accounts,
    organization: flags.organization ?? false,
    roleName: flags.roleName,
    concurrency,
    unusedImagesMs:
      flags.unusedImages !== undefined ? parseDuration(flags.unusedImages, "--unused-images") : undefined,
  };
}

/** Clients built by `provider/aws/clients.ts`, one per region and service (with `credentials` when given). */
export function defaultClients(credentials?: AwsCredentialIdentityProvider): AuditClients {
  const ec2 = new Map<string, EC2Client>();
  const s3 = new Map<string, S3Client>();
  const options = credentials ? { credentials } : {};
  return {
    ec2: (region) =>
      ec2.get(region) ?? (ec2.set(region, ec2Client(region, options)).get(region) as EC2Client),
    s3: (region) => s3.get(region) ?? (s3.set(region, s3Client(region, options)).get(region) as S3Client),
  };
}

/** The endpoint could not be reached or is not a URL: its own message says which and how to fix it. */
function unreachable(err: unknown): boolean {
  return err instanceof EndpointUnreachableError || err instanceof InvalidEndpointError;
}

/** One account to scan: its id and the clients acting in it. */
interface Target {
  accountId: string;
  clients: AuditClients;
  /** Enters the account (AssumeRole); throws when it cannot. */
  enter?: () => Promise<unknown>;
  roleArn?: string;
}

/** One account's scan, or why it could not be scanned. */
interface AccountScan {
  target: Target;
  found?: ScanResult;
  error?: string;
}

/** Runs the audit; returns the exit code. Messages for exit 2 go to stderr. */
export async function runAudit(flags: AuditFlags, io: AuditIo, deps: AuditDeps = {}): Promise<number> {
  const interactive = io.interactive ?? false;
  try {
    const plan = planFromFlags(flags, interactive || io.confirm !== undefined);
    const clients = deps.clients ?? defaultClients();
    const home = await homeRegion(plan.regions[0], plan.allRegions);
    await checkCredentials(clients.ec2(home));
    const regions = await chooseRegions(clients.ec2(home), plan, home, io);
    const sts = deps.sts?.() ?? stsClient(home);
    const targets = await chooseAccounts(plan, clients, sts, deps, io);

    const bar = progressBar(io.stderr);
    const limiter = new Limiter(plan.concurrency);
    const scans: AccountScan[] = targets.map((target) => ({ target }));
    try {
      await forEachLimited(scans, plan.concurrency, async (entry) => {
        const { target } = entry;
        if (target.enter) {
          try {
            await target.enter();
          } catch (err) {
            entry.error = enterError(target.accountId, target.roleArn ?? "", err);
            return;
          }
        }
        try {
          entry.found = await scan({
            regions,
            accountId: target.accountId,
            limiter,
            recycleBin: flags.recycleBin,
            unusedImagesMs: plan.unusedImagesMs,
            buckets: plan.buckets,
            olderThanMs: plan.olderThanMs,
            excludeTags: plan.excludeTags,
            clients: target.clients,
            homeRegion: home,
            onProgress: (p) => bar.update(p),
            now: deps.now,
          });
        } catch (err) {
          if (targets.length === 1) throw err;
          entry.error = `scan failed: ${explainError(err)}`;
        }
      });
    } finally {
      bar.done();
    }
    const merged = mergeScans(scans, plan, regions);
    for (const w of merged.warnings) io.stderr.write(`warning: ${w}\n`);
    const report = buildReport({
      snapshots: merged.snapshots,
      bundles: merged.bundles,
      scanned: merged.scanned,
      excluded: merged.excluded,
      accountErrors: merged.accountErrors,
      recycleBin: flags.recycleBin ? merged.recycleBin : undefined,
      unusedImages: plan.unusedImagesMs !== undefined ? merged.unusedImages : undefined,
      now: (deps.now ?? (() => new Date()))(),
    });
    const anything = merged.snapshots.length + merged.bundles.length > 0;
    const failedAccounts = merged.accountErrors.length > 0;
    for (const e of merged.accountErrors)
      io.stderr.write(`managed-ami audit: account ${e.accountId} not scanned: ${e.message}\n`);
    const print = (doc: AuditReport, extra: Record<string, unknown> = {}): void => {
      if (plan.format === "json") io.stdout.write(JSON.stringify({ ...doc, ...extra }, null, 2) + "\n");
      else if (plan.format === "csv") io.stdout.write(renderCsv(doc));
      else if (plan.format === "markdown") io.stdout.write(renderMarkdown(doc));
      else io.stdout.write(renderHuman(doc));
    };

    if (!flags.delete || !anything) {
      print(report);
      if (anything && plan.format === "table") {
        io.stderr.write(
          "Orphaned storage found (exit code 1). Review the list, then run again with --delete to delete exactly these.\n",
        );
      }
      if (failedAccounts) return EXIT.ERROR;
      return anything ? EXIT.ORPHANS_FOUND : EXIT.CLEAN;
    }

    if (plan.format !== "json") print(report);
    const byAccount = new Map(scans.map((s) => [s.target.accountId, s.target]));
    const deletable = merged.snapshots.filter((s) => !s.lock);
    const locked = merged.snapshots.filter((s) => s.lock);
    if (flags.dryRun) {
      const dry = await perAccount(
        byAccount,
        deletable,
        merged.bundles,
        (snaps, bundles, c) => dryRunDelete(snaps, bundles, c),
        mergeDry,
      );
      if (plan.format === "json")
        io.stdout.write(JSON.stringify({ ...report, dryRun: dryRunJson(dry) }, null, 2) + "\n");
      else io.stdout.write(renderDryRun(dry));
      for (const d of dry.denied) io.stderr.write(d.message + "\n");
      return dry.denied.length > 0 || failedAccounts ? EXIT.ERROR : EXIT.ORPHANS_FOUND;
    }

    if (!flags.yes) {
      const t = report.totals;
      const perAcct =
        t.byAccount.length > 1
          ? "\n" +
            t.byAccount
              .map(
                (a) =>
                  `  account ${a.accountId}: ${a.orphanedSnapshots} snapshot(s), ${a.snapshotGiB} GiB; ${a.orphanedBundles} bundle(s)`,
              )
              .join("\n") +
            "\n"
          : " ";
      const question =
        `Delete ${deletable.length} snapshot(s) (${deletable.reduce((n, x) => n + x.sizeGiB, 0)} GiB) and ${t.orphanedBundles} bundle(s) ` +
        `(${formatBytes(t.bundleBytes)}) listed above${t.byAccount.length > 1 ? ` in ${t.byAccount.length} accounts:` : "?"}${perAcct}` +
        (locked.length ? `${locked.length} locked snapshot(s) will be kept. ` : "") +
        `This cannot be undone. Type "yes" to delete: `;
      const ok = await (io.confirm ?? promptYes)(question);
      if (!ok) {
        if (plan.format === "json") io.stdout.write(JSON.stringify(report, null, 2) + "\n");
        io.stderr.write("Nothing deleted.\n");
        return EXIT.ORPHANS_FOUND;
      }
    }
    const done = await perAccount(
      byAccount,
      deletable,
      merged.bundles,
      (snaps, bundles, c) => deleteListed(snaps, bundles, c),
      mergeDeletes,
    );
    const lockedJson = locked.map((s) => ({
      snapshotId: s.snapshotId,
      accountId: s.accountId,
      reason: `locked (${s.lock?.mode}); never attempted`,
    }));
    if (plan.format === "json")
      io.stdout.write(
        JSON.stringify(
          { ...report, deletion: { ...deletionJson(done), lockedSnapshots: lockedJson } },
          null,
          2,
        ) + "\n",
      );
    else io.stdout.write(renderDeletion(done, locked));
    for (const f of [...done.failedSnapshots, ...done.failedBundles]) io.stderr.write(f.message + "\n");
    if (done.failedSnapshots.length + done.failedBundles.length > 0 || failedAccounts) return EXIT.ERROR;
    return locked.length > 0 ? EXIT.ORPHANS_FOUND : EXIT.CLEAN;
  } catch (err) {
    io.stderr.write(`managed-ami audit: ${explainError(err)}\n`);
    return EXIT.ERROR;
  }
}

/** The accounts to scan: the caller's alone, `--accounts`, or `--organization`'s ACTIVE ones. */
async function chooseAccounts(
  plan: Plan,
  clients: AuditClients,
  sts: STSClient,
  deps: AuditDeps,
  io: AuditIo,
): Promise<Target[]> {
  const multi = plan.organization || plan.accounts.length > 0;
  let caller: string;
  try {
    caller = await callerAccount(sts);
  } catch (err) {
    if (unreachable(err)) throw new AuditError(errorMessage(err), { cause: err });
    if (multi) {
      throw new AuditError(
        `sts:GetCallerIdentity failed (${errorCode(err) || "error"}: ${errorMessage(err)}): the audit needs it to tell the caller's account from the others. Grant it, or check AWS_ENDPOINT_URL_STS.`,
        { cause: err },
      );
    }
    caller = "self";
  }
  if (!multi) return [{ accountId: caller, clients }];
  let ids = plan.accounts;
  if (plan.organization) {
    const org = deps.organizations?.() ?? organizationsClient();
    try {
      const listed = await organizationAccounts(org);
      ids = listed.active;
      for (const s of listed.skipped)
        io.stderr.write(`note: account ${s.accountId} is ${s.status} in the organization; not scanned.\n`);
    } catch (err) {
      if (unreachable(err)) throw new AuditError(errorMessage(err), { cause: err });
      throw new AuditError(
        `organizations:ListAccounts failed (${errorCode(err) || "error"}: ${errorMessage(err)}). Run --organization with credentials of the management account (or a delegated administrator) allowed organizations:ListAccounts, or pass --accounts.`,
        { cause: err },
      );
    }
  }
  const make = deps.clientsFor ?? ((c: AwsCredentialIdentityProvider) => defaultClients(c));
  return [...new Set(ids)].map((accountId): Target => {
    if (accountId === caller) return { accountId, clients };
    if (!plan.roleName) {
      return {
        accountId,
        clients,
        roleArn: "(none)",
        enter: () =>
          Promise.reject(
            new AuditError(
              `account ${accountId} is not the caller's (${caller}): pass --role-name NAME to assume a role in it.`,
            ),
          ),
      };
    }
    const roleArn = roleArnFor(accountId, plan.roleName);
    const credentials = assumedRoleCredentials(sts, roleArn, "managed-ami-audit");
    return { accountId, clients: make(credentials), roleArn, enter: () => credentials() };
  });
}

interface Merged {
  snapshots: ListedSnapshot[];
  bundles: OrphanedBundle[];
  scanned: Scanned;
  excluded: Excluded;
  accountErrors: Array<{ accountId: string; message: string }>;
  recycleBin: { snapshots: BinnedItem[]; images: BinnedItem[] };
  warnings: string[];
  unusedImages: UnusedImage[];
}

/** One result over every account's scan. */
function mergeScans(scans: AccountScan[], plan: Plan, regions: string[]): Merged {
  const m: Merged = {
    snapshots: [],
    bundles: [],
    scanned: { accounts: [], regions, buckets: plan.buckets, images: 0, snapshots: 0 },
    excluded: emptyExcluded(),
    accountErrors: [],
    recycleBin: { snapshots: [], images: [] },
    warnings: [],
    unusedImages: [],
  };
  for (const { target, found, error } of scans) {
    if (error || !found) {
      m.accountErrors.push({ accountId: target.accountId, message: error ?? "not scanned" });
      continue;
    }
    m.scanned.accounts.push(target.accountId);
    m.snapshots.push(...found.orphanedSnapshots);
    m.bundles.push(...found.orphanedBundles.map((b) => ({ ...b, accountId: target.accountId })));
    m.scanned.images += found.imagesScanned;
    m.scanned.snapshots += found.snapshotsScanned;
    m.excluded.olderThan += found.excluded.olderThan;
    m.excluded.excludeTag += found.excluded.excludeTag;
    for (const k of SERVICE_KINDS) m.excluded.managedByService[k] += found.excluded.managedByService[k];
    m.recycleBin.snapshots.push(...found.recycleBin.snapshots);
    m.recycleBin.images.push(...found.recycleBin.images);
    m.unusedImages.push(...found.unusedImages);
    m.warnings.push(
      ...found.warnings.map((w) => (scans.length > 1 ? `account ${target.accountId}: ${w}` : w)),
    );
    for (const key of found.unreadableManifests)
      m.warnings.push(`s3://${key} is not an AMI bundle manifest; left out.`);
  }
  m.snapshots.sort(
    (a, b) =>
      a.accountId.localeCompare(b.accountId) ||
      a.region.localeCompare(b.region) ||
      a.snapshotId.localeCompare(b.snapshotId),
  );
  return m;
}

/** Runs `fn` for each account's share of the listed items with that account's clients, then merges. */
async function perAccount<R>(
  targets: Map<string, Target>,
  snapshots: readonly ListedSnapshot[],
  bundles: readonly OrphanedBundle[],
  fn: (s: ListedSnapshot[], b: OrphanedBundle[], c: AuditClients) => Promise<R>,
  merge: (a: R, b: R) => R,
): Promise<R> {
  const accounts = [
    ...new Set([...snapshots.map((s) => s.accountId), ...bundles.map((b) => b.accountId ?? "self")]),
  ].sort();
  let out: R | undefined;
  for (const accountId of accounts) {
    const target = targets.get(accountId) ?? [...targets.values()][0];
    const r = await fn(
      snapshots.filter((s) => s.accountId === accountId),
      bundles.filter((b) => (b.accountId ?? "self") === accountId),
      target.clients,
    );
    out = out === undefined ? r : merge(out, r);
  }
  return out ?? (await fn([], [], [...targets.values()][0].clients));
}

function mergeDeletes(a: DeleteReport, b: DeleteReport): DeleteReport {
  return {
    deletedSnapshots: [...a.deletedSnapshots, ...b.deletedSnapshots],
    alreadyGoneSnapshots: [...a.alreadyGoneSnapshots, ...b.alreadyGoneSnapshots],
    keptSnapshots: [...a.keptSnapshots, ...b.keptSnapshots],
    failedSnapshots: [...a.failedSnapshots, ...b.failedSnapshots],
    deletedBundles: [...a.deletedBundles, ...b.deletedBundles],
    keptBundles: [...a.keptBundles, ...b.keptBundles],
    failedBundles: [...a.failedBundles, ...b.failedBundles],
    freedGiB: a.freedGiB + b.freedGiB,
    freedBytes: a.freedBytes + b.freedBytes,
  };
}

function mergeDry(a: DryRunReport, b: DryRunReport): DryRunReport {
  return {
    permitted: [...a.permitted, ...b.permitted],
    denied: [...a.denied, ...b.denied],
    gone: [...a.gone, ...b.gone],
    inUse: [...a.inUse, ...b.inUse],
    bundlesNotChecked: a.bundlesNotChecked + b.bundlesNotChecked,
  };
}

/** Where the region in use came from, for messages. */
function regionSource(region: string, plan: Plan): string {
  if (plan.regions.includes(region)) return "--region";
  if (process.env.AWS_REGION === region) return "AWS_REGION";
  return "the AWS profile (region setting)";
}

/** The region for region-independent calls: the first --region, else the SDK's; us-east-1 for --all-regions. */
async function homeRegion(first: string | undefined, allRegions: boolean): Promise<string> {
  if (first) return first;
  let region: string;
  try {
    region = await resolveRegion(undefined);
  } catch {
    if (allRegions) return "us-east-1";
    throw new AuditError(
      "no AWS region: pass --region R (or --all-regions), or set AWS_REGION or a region in your AWS profile.",
    );
  }
  if (!isRegionName(region)) {
    throw new AuditError(
      badRegionMessage(
        region,
        process.env.AWS_REGION === region ? "AWS_REGION" : "the AWS profile (region setting)",
      ),
    );
  }
  return region;
}

/** Resolves credentials through the SDK's chain before any request, so "none found" gets its own message. */
async function checkCredentials(ec2: EC2Client): Promise<void> {
  try {
    const creds = await ec2.config.credentials();
    if (!creds?.accessKeyId) throw new Error("empty credentials");
  } catch (err) {
    throw new AuditError(
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (run `aws sso login` for SSO profiles), then run again.",
      { cause: err },
    );
  }
}

/** `--all-regions`: every region enabled for the account. `--region`: each must exist and be enabled. */
async function chooseRegions(ec2: EC2Client, plan: Plan, home: string, io: AuditIo): Promise<string[]> {
  let known: Map<string, string>;
  try {
    const out = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    known = new Map(
      (out.Regions ?? []).map((r) => [r.RegionName ?? "", r.OptInStatus ?? "opt-in-not-required"]),
    );
  } catch (err) {
    if (plan.allRegions) throw err;
    io.stderr.write(
      `warning: could not list regions to check --region (${errorCode(err) || "error"}: ${errorMessage(err)}); scanning as given.\n`,
    );
    return plan.regions.length ? plan.regions : [home];
  }
  if (plan.allRegions)
    return [...known]
      .filter(([, status]) => status !== "not-opted-in")
      .map(([name]) => name)
      .sort();
  const wanted = plan.regions.length ? plan.regions : [home];
  for (const r of wanted) {
    const status = known.get(r);
    if (status === undefined)
      throw new AuditError(badRegionMessage(r, regionSource(r, plan), [...known.keys()]));
    if (status === "not-opted-in") {
      throw new AuditError(
        `region "${r}" is not enabled for this account: enable it (Account settings → AWS Regions) or leave it out.`,
      );
    }
  }
  return wanted;
}

/** One message for an exit-2 failure: what went wrong and what to do. */
export function explainError(err: unknown): string {
  if (err instanceof UsageError || err instanceof AuditError) return err.message;
  if (err instanceof ScanCallError) {
    const inner = err.cause;
    const code = errorCode(inner) || "Error";
    if (isAccessDenied(inner)) {
      return `access denied on ${err.permission} (${err.where}): ${code}: ${errorMessage(inner)}. Grant ${err.permission} to the identity running the audit, or check that its credentials are valid and not expired.`;
    }
    if (isNoSuchBucket(inner))
      return `--bucket: ${err.where} does not exist (${code}: ${errorMessage(inner)}). Check the bucket name.`;
    return `${err.permission} (${err.where}): ${explainError(inner)}`;
  }
  const code = errorCode(err) || "Error";
  const text = errorMessage(err);
  if (isAccessDenied(err)) {
    return (
      `access denied (${code}: ${text}). The audit needs ec2:DescribeRegions, ec2:DescribeImages and ec2:DescribeSnapshots; ` +
      "with --bucket also s3:GetBucketLocation, s3:ListBucket and s3:GetObject; with --delete also ec2:DeleteSnapshot and s3:DeleteObject. " +
      "Grant them to the identity in use, or check that its credentials are valid and not expired."
    );
  }
  if (isNoSuchBucket(err)) return `a --bucket does not exist (${code}: ${text}). Check the bucket name.`;
  if (isThrottling(err)) {
    return `AWS kept throttling requests (${code}) for the whole retry budget. Run again later, or raise MANAGED_AMI_RETRY_BUDGET_MS.`;
  }
  if (isTransient(err)) {
    return `could not reach AWS (${code}: ${text}). Check the network, the region and any AWS_ENDPOINT_URL* setting, then run again.`;
  }
  return `${code}: ${text}`;
}

async function promptYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return answer.trim().toLowerCase() === "yes";
  } finally {
    rl.close();
  }
}

function deletionJson(d: DeleteReport): Record<string, unknown> {
  return {
    deletedSnapshots: d.deletedSnapshots.map((s) => s.snapshotId),
    alreadyGoneSnapshots: d.alreadyGoneSnapshots.map((s) => s.snapshotId),
    keptSnapshots: d.keptSnapshots.map((k) => ({ snapshotId: k.snapshot.snapshotId, usedBy: k.usedBy })),
    failedSnapshots: d.failedSnapshots.map((f) => ({
      snapshotId: f.snapshot.snapshotId,
      message: f.message,
    })),
    deletedBundles: d.deletedBundles.map((b) => `${b.bucket}/${b.manifestKey}`),
    keptBundles: d.keptBundles.map((k) => ({
      manifest: `${k.bundle.bucket}/${k.bundle.manifestKey}`,
      usedBy: k.usedBy,
    })),
    failedBundles: d.failedBundles.map((f) => ({
      manifest: `${f.bundle.bucket}/${f.bundle.manifestKey}`,
      message: f.message,
    })),
    freedGiB: d.freedGiB,
    freedBytes: d.freedBytes,
  };
}

function dryRunJson(d: DryRunReport): Record<string, unknown> {
  return {
    permitted: d.permitted.map((s) => s.snapshotId),
    denied: d.denied.map((x) => ({ snapshotId: x.snapshot.snapshotId, message: x.message })),
    gone: d.gone.map((s) => s.snapshotId),
    inUse: d.inUse.map((s) => s.snapshotId),
    bundlesNotChecked: d.bundlesNotChecked,
  };
}

function renderDeletion(d: DeleteReport, locked: readonly ListedSnapshot[] = []): string {
  const lines: string[] = [];
  for (const s of locked)
    lines.push(
      `kept ${s.snapshotId} (${s.accountId}): locked (${s.lock?.mode}${s.lock?.expiresOn ? ` until ${s.lock.expiresOn}` : ""}); never attempted`,
    );
  for (const s of d.deletedSnapshots) lines.push(`deleted ${s.snapshotId} (${s.region}, ${s.sizeGiB} GiB)`);
  for (const b of d.deletedBundles)
    lines.push(
      `deleted s3://${b.bucket}/${b.manifestKey} and ${b.partKeys.length} part(s) (${formatBytes(b.totalBytes)})`,
    );
  for (const s of d.alreadyGoneSnapshots) lines.push(`already gone ${s.snapshotId}`);
  for (const k of d.keptSnapshots)
    lines.push(`kept ${k.snapshot.snapshotId}: now used by ${k.usedBy.join(", ")}`);
  for (const k of d.keptBundles)
    lines.push(`kept s3://${k.bundle.bucket}/${k.bundle.manifestKey}: now used by ${k.usedBy.join(", ")}`);
  const failed = d.failedSnapshots.length + d.failedBundles.length;
  lines.push(
    `Freed ${d.freedGiB} GiB of snapshots (${d.deletedSnapshots.length}) and ${formatBytes(d.freedBytes)} of bundles (${d.deletedBundles.length})` +
      (failed ? `; ${failed} item(s) could not be deleted (see below).` : "."),
  );
  return lines.join("\n") + "\n";
}

function renderDryRun(d: DryRunReport): string {
  const lines = [
    `Dry run: DeleteSnapshot would be permitted for ${d.permitted.length} snapshot(s); denied for ${d.denied.length}; ${d.gone.length} already gone; ${d.inUse.length} in use again (would be kept).`,
  ];
  if (d.bundlesNotChecked) lines.push(`${d.bundlesNotChecked} bundle(s) not checked: S3 has no dry-run.`);
  lines.push("Nothing was deleted.");
  return lines.join("\n") + "\n";
}

export type { AuditReport };
