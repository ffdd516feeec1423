import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SimClock } from "./clock";
import {
  Ec2Store,
  deriveAccountId,
  type Ec2Timing,
  type ImageRecord,
  type InstanceRecord,
  type RecycleBinRules,
  type SnapshotRecord,
  type VolumeRecord,
} from "./ec2/state";
import { Faults } from "./faults";
import { S3Store } from "./s3";
import { createHandler, type RequestLogEntry } from "./server";
import { OrganizationStore, type OrganizationSpec } from "./organizations";
import { StsStore } from "./sts";
import { Throttle, type BucketSize } from "./throttle";

export type { FaultSpec } from "./faults";
export type { OrganizationSpec, OrgAccount } from "./organizations";
export type { RequestLogEntry } from "./server";
export type { BucketSize } from "./throttle";
export type {
  ImageRecord,
  SnapshotRecord,
  VolumeRecord,
  InstanceRecord,
  LaunchTemplateRecord,
  Ec2Settings,
  ImageReferenceType,
  RecycleBinRule,
  RecycleBinRules,
  FastLaunchRecord,
} from "./ec2/state";
export { AMAZON_ACCOUNT } from "./ec2/state";

/** Options of `startLocalAws`; every delay is simulated milliseconds, scaled by `timeScale`. */
export interface LocalAwsOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Real ms per simulated ms: 1 = real time (default), 0.001 = 1000x faster. Applies to delays and bucket refill. */
  timeScale?: number;
  /** pending -> available for images (and pending -> completed for snapshots); default 3000. */
  imageAvailableAfterMs?: number;
  /** Deregistered images are still described as `deregistered` this long; default 60000. */
  deregisteredVisibleForMs?: number;
  /** DeleteSnapshot keeps answering InvalidSnapshot.InUse this long after deregistration; default 0. */
  snapshotInUseAfterDeregisterMs?: number;
  /** Deregistration-protection cooldown (AWS: 24h); default 24h. */
  protectionCooldownMs?: number;
  /** Default true; false = DeregisterImage ignores DeleteAssociatedSnapshots and omits the result set. */
  supportsDeleteAssociatedSnapshots?: boolean;
  /** Default false (off); true = AWS's bucket sizes; a record overrides sizes per action. */
  throttling?: boolean | Record<string, BucketSize>;
  /** accessKeyId -> 12-digit account id; unknown keys get a stable derived id. */
  accounts?: Record<string, string>;
  /** Seed one public Amazon-owned base image per region (for RunInstances); default true. */
  seedBaseImages?: boolean;
  /**
   * DescribeImageReferences: "supported" (default); "unsupported" answers InvalidAction like an endpoint
   * that does not know the action; "denied" answers UnauthorizedOperation (403). Changeable at runtime
   * on `aws.state.ec2.settings.imageReferences`.
   */
  imageReferences?: "supported" | "unsupported" | "denied";
  /**
   * "aws-documented" (default): protected DeregisterImage → OperationNotPermitted, locked DeleteSnapshot →
   * SnapshotLocked. "alternate": UnauthorizedOperation (403) and InvalidParameterValue with neutral messages,
   * to prove a client decides by state. Runtime: `aws.state.ec2.settings.errorCodes`.
   */
  errorCodes?: "aws-documented" | "alternate";
  /**
   * Recycle Bin retention rules: `{ snapshots?: rule | rule[], images?: rule | rule[] }`, rule =
   * `{ retentionDays, tags?, accountId?, region? }`. Default none. Runtime: `aws.state.ec2.settings.recycleBin`.
   */
  recycleBin?: RecycleBinRules;
  /** Fast launch `enabling` → `enabled` (snapshots made) and `disabling` → gone (snapshots deleted); default 5000. */
  fastLaunchTransitionMs?: number;
  /** Serve STS (GetCallerIdentity, AssumeRole); default true. false = an EC2/S3-only endpoint. */
  sts?: boolean;
  /** Role ARNs whose AssumeRole answers AccessDenied; default none. */
  deniedRoleArns?: string[];
  /** An AWS Organization served by Organizations `ListAccounts` (JSON 1.1); default none. Runtime: `aws.organizations.set(…)`. */
  organization?: OrganizationSpec;
}

/** Validate the recycleBin option: retention 1–365 days, as rbin CreateRule allows. */
function checkRecycleBin(rules: RecycleBinRules): RecycleBinRules {
  for (const kind of ["snapshots", "images"] as const) {
    const r = rules[kind];
    for (const rule of r === undefined ? [] : Array.isArray(r) ? r : [r]) {
      if (!Number.isInteger(rule.retentionDays) || rule.retentionDays < 1 || rule.retentionDays > 365) {
        throw new Error(
          `local-aws: recycleBin.${kind}.retentionDays must be a whole number of days from 1 to 365 (got ${rule.retentionDays}).`,
        );
      }
    }
  }
  return rules;
}

/** Direct read/seed access to the simulated account state. */
export class LocalAwsState {
  constructor(
    readonly ec2: Ec2Store,
    /** Buckets and objects (seed with putObject / seedBundle from local-aws/s3). */
    readonly s3: S3Store,
    private readonly accounts: Record<string, string>,
  ) {}

  get images(): Map<string, ImageRecord> {
    this.ec2.tick();
    return this.ec2.images;
  }
  get snapshots(): Map<string, SnapshotRecord> {
    this.ec2.tick();
    return this.ec2.snapshots;
  }
  get volumes(): Map<string, VolumeRecord> {
    this.ec2.tick();
    return this.ec2.volumes;
  }
  get instances(): Map<string, InstanceRecord> {
    this.ec2.tick();
    return this.ec2.instances;
  }

  /** The account id local-aws uses for an access key id. */
  accountIdFor(accessKeyId: string): string {
    return this.accounts[accessKeyId] ?? deriveAccountId(accessKeyId);
  }

  /** The public base image id of `region` (RunInstances with it to get an instance to image). */
  baseImageId(region: string): string {
    this.ec2.ensureRegion(region);
    return this.ec2.baseImageId(region);
  }
}

export interface LocalAws {
  /** "http://127.0.0.1:PORT": EC2, S3 and STS, routed by the SigV4 credential scope's service. */
  endpoint: string;
  port: number;
  state: LocalAwsState;
  faults: Faults;
  log: RequestLogEntry[];
  clock: SimClock;
  /** The resolved timing options (simulated ms). */
  timing: Readonly<Ec2Timing>;
  /** STS sessions and the roles that refuse AssumeRole (`aws.sts.deniedRoles.add(arn)`). */
  sts: StsStore;
  /** The simulated organization (`aws.organizations.set({ managementAccountId, accounts })`). */
  organizations: OrganizationStore;
  /** Push simulated time forward (delays, cooldowns, lock expiry, token refill). */
  advance(ms: number): void;
  /** Forget every resource, log entry, fault and token-bucket level (the server keeps running). */
  reset(): void;
  stop(): Promise<void>;
}

/** Start the local EC2 + S3 endpoint on 127.0.0.1. `stop()` closes it and every open connection. */
export async function startLocalAws(opts: LocalAwsOptions = {}): Promise<LocalAws> {
  const clock = new SimClock(opts.timeScale ?? 1);
  for (const [key, id] of Object.entries(opts.accounts ?? {})) {
    if (!/^\d{12}$/.test(id))
      throw new Error(`local-aws: accounts["${key}"] must be a 12-digit account id, got "${id}".`);
  }
  const ec2 = new Ec2Store(
    clock,
    {
      imageAvailableAfterMs: opts.imageAvailableAfterMs ?? 3000,
      deregisteredVisibleForMs: opts.deregisteredVisibleForMs ?? 60000,
      snapshotInUseAfterDeregisterMs: opts.snapshotInUseAfterDeregisterMs ?? 0,
      protectionCooldownMs: opts.protectionCooldownMs ?? 24 * 3600 * 1000,
      fastLaunchTransitionMs: opts.fastLaunchTransitionMs ?? 5000,
    },
    opts.seedBaseImages ?? true,
    {
      imageReferences: opts.imageReferences ?? "supported",
      errorCodes: opts.errorCodes ?? "aws-documented",
      recycleBin: checkRecycleBin(opts.recycleBin ?? {}),
    },
  );
  const s3Store = new S3Store();
  const state = new LocalAwsState(ec2, s3Store, { ...(opts.accounts ?? {}) });
  const faults = new Faults();
  const sts = new StsStore(clock, opts.deniedRoleArns ?? []);
  const organizations = new OrganizationStore(opts.organization);
  const log: RequestLogEntry[] = [];
  const throttle = opts.throttling
    ? new Throttle(clock, typeof opts.throttling === "object" ? opts.throttling : {})
    : undefined;
  const server = createServer(
    createHandler({
      clock,
      ec2,
      faults,
      throttle,
      log,
      s3: s3Store,
      accountIdFor: (k) => state.accountIdFor(k),
      supportsDeleteAssociatedSnapshots: opts.supportsDeleteAssociatedSnapshots ?? true,
      sts: (opts.sts ?? true) ? sts : undefined,
      organizations,
    }),
  );
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    state,
    faults,
    log,
    clock,
    sts,
    organizations,
    timing: ec2.timing,
    advance: (ms) => clock.advance(ms),
    reset: () => {
      ec2.reset();
      s3Store.buckets.clear();
      log.length = 0;
      faults.clear();
      throttle?.reset();
      sts.reset();
      organizations.reset();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export type { Faults };
