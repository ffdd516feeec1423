// Shared set-up of the reliability tests: ONE local endpoint per suite (reset between generated
// cases), the SDK environment pointing at it with short retry budgets and fast polling, the provider
// as the dynamic-provider host runs it, and quick seeding of accounts straight into the endpoint's state.
import { EC2Client, RegisterImageCommand } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { startLocalAws, type LocalAws, type LocalAwsOptions } from "../../local-aws";
import { seedBundle, type SeededBundle } from "../../local-aws/s3/manifest";
import { scaledRateLimits } from "../../provider/aws/pacer";
import { ManagedAmiProvider } from "../../provider/provider";
import { AWS_ENV_KEYS, MANAGED_AMI_ENV_KEYS, replaceEnv } from "../support/env";

export const ACCESS_KEY = "AKIARELIABILITYTEST1";
/** Unique values: the secrets tests assert they never reach state or the serialized provider. */
export const SECRET_KEY = "reliability-secret-5d1f0c9e7a3b42";
export const SESSION_TOKEN = "reliability-session-token-8e6b2a417c";

export const DEFAULT_REGION = "us-east-1";

/** Short budgets so an exhausted budget is reached in well under a second of real time. */
export const FAST_RETRY = {
  MANAGED_AMI_RETRY_BUDGET_MS: "3000",
  MANAGED_AMI_RETRY_BASE_MS: "2",
  MANAGED_AMI_RETRY_MAX_DELAY_MS: "40",
};

export interface Endpoint {
  aws: LocalAws;
  accountId: string;
  /** The provider exactly as the host runs it (methods load `pulumi-managed-ami/runtime` from dist/). */
  provider: ManagedAmiProvider;
  /** A direct EC2 client (no retries) for seeding and out-of-band changes. */
  ec2(region?: string): EC2Client;
  s3(region?: string): S3Client;
  /** Warnings the provider sent to pulumi.log.warn since the suite started. */
  warnings: string[];
}

/**
 * Mocha hooks: start one endpoint for the suite, point the SDK environment (and the provider's
 * retry/wait tuning) at it, capture pulumi.log.warn; restore everything afterwards.
 */
export function useEndpoint(options: LocalAwsOptions = {}, env: Record<string, string> = {}): Endpoint {
  let restoreEnv = () => {};
  const handle = { warnings: [] as string[], provider: new ManagedAmiProvider() } as Endpoint;
  const clients = new Map<string, EC2Client | S3Client>();
  const originalWarn = pulumi.log.warn;
  before(async () => {
    handle.aws = await startLocalAws({ timeScale: 0.001, imageAvailableAfterMs: 0, ...options });
    restoreEnv = replaceEnv([...AWS_ENV_KEYS, ...MANAGED_AMI_ENV_KEYS], {
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_REGION: DEFAULT_REGION,
      AWS_ENDPOINT_URL_EC2: handle.aws.endpoint,
      AWS_ENDPOINT_URL_S3: handle.aws.endpoint,
      MANAGED_AMI_WAIT_POLL_MS: "5",
      // AWS's request buckets refill on the endpoint's clock, 1000x faster than real time here.
      MANAGED_AMI_EC2_RATE_LIMITS: scaledRateLimits(1000),
      ...FAST_RETRY,
      ...env,
    });
    handle.accountId = handle.aws.state.accountIdFor(ACCESS_KEY);
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = async (message: string) =>
      void handle.warnings.push(message);
  });
  after(async () => {
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = originalWarn;
    restoreEnv();
    for (const c of clients.values()) c.destroy();
    await handle.aws?.stop();
  });
  const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };
  handle.ec2 = (region = DEFAULT_REGION) => {
    const key = `ec2:${region}`;
    if (!clients.has(key))
      clients.set(key, new EC2Client({ region, endpoint: handle.aws.endpoint, credentials, maxAttempts: 1 }));
    return clients.get(key) as EC2Client;
  };
  handle.s3 = (region = DEFAULT_REGION) => {
    const key = `s3:${region}`;
    if (!clients.has(key)) {
      clients.set(
        key,
        new S3Client({
          region,
          endpoint: handle.aws.endpoint,
          credentials,
          forcePathStyle: true,
          maxAttempts: 1,
        }),
      );
    }
    return clients.get(key) as S3Client;
  };
  return handle;
}

/** A completed snapshot in the caller's account, written straight into the endpoint's state. */
export function seedSnapshot(ep: Endpoint, region: string, locked = false): string {
  const snap = ep.aws.state.ec2.addSnapshot({
    region,
    ownerId: ep.accountId,
    volumeId: "vol-0123456789abcdef0",
    volumeSize: 8,
    description: "seeded by the reliability tests",
    encrypted: false,
  });
  snap.state = "completed";
  if (locked) lockSnapshot(ep, snap.snapshotId);
  return snap.snapshotId;
}

/** A governance-mode EBS snapshot lock for a day (DeleteSnapshot answers SnapshotLocked). */
export function lockSnapshot(ep: Endpoint, snapshotId: string): void {
  const snap = ep.aws.state.ec2.snapshots.get(snapshotId);
  if (!snap) return;
  const now = ep.aws.clock.now();
  snap.lock = { mode: "governance", createdOn: now, expiresOn: now + 86_400_000, durationDays: 1 };
}

export function unlockSnapshot(ep: Endpoint, snapshotId: string): void {
  const snap = ep.aws.state.ec2.snapshots.get(snapshotId);
  if (snap) delete snap.lock;
}

const DEVICES = [
  "/dev/xvda",
  "/dev/xvdb",
  "/dev/xvdc",
  "/dev/xvdd",
  "/dev/xvde",
  "/dev/xvdf",
  "/dev/xvdg",
  "/dev/xvdh",
];

/** The `fromSnapshots` source over `snapshotIds` (the first is the root device). */
export function mappingsFor(snapshotIds: string[]): {
  rootDeviceName: string;
  blockDeviceMappings: { deviceName: string; snapshotId: string }[];
} {
  return {
    rootDeviceName: DEVICES[0],
    blockDeviceMappings: snapshotIds.map((snapshotId, i) => ({ deviceName: DEVICES[i], snapshotId })),
  };
}

/** RegisterImage of an EBS image outside the provider (an unmanaged image, e.g. built by Packer). */
export async function registerEbsImage(
  ep: Endpoint,
  region: string,
  name: string,
  snapshotIds: string[],
): Promise<string> {
  const m = mappingsFor(snapshotIds);
  const out = await ep.ec2(region).send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: m.rootDeviceName,
      Architecture: "x86_64",
      VirtualizationType: "hvm",
      BlockDeviceMappings: m.blockDeviceMappings.map((b) => ({
        DeviceName: b.deviceName,
        Ebs: { SnapshotId: b.snapshotId },
      })),
    }),
  );
  return out.ImageId as string;
}

/** RegisterImage of an instance-store image from a bundle manifest, outside the provider. */
export async function registerBundleImage(
  ep: Endpoint,
  region: string,
  name: string,
  imageLocation: string,
): Promise<string> {
  const out = await ep
    .ec2(region)
    .send(new RegisterImageCommand({ Name: name, ImageLocation: imageLocation }));
  return out.ImageId as string;
}

/** A bundle (manifest + parts) in `bucket` (created in the caller's account and `region` when missing). */
export function seedBundleObjects(
  ep: Endpoint,
  region: string,
  bucket: string,
  prefix: string,
  name: string,
  parts: number,
): SeededBundle {
  return seedBundle(ep.aws.state.s3, {
    bucket,
    prefix,
    name,
    parts,
    partSize: 16,
    ownerAccountId: ep.accountId,
    region,
  });
}

/** Every snapshot id that exists now. */
export function existingSnapshotIds(ep: Endpoint): Set<string> {
  return new Set(ep.aws.state.snapshots.keys());
}

/** Every S3 object that exists now, as `bucket/key`. */
export function existingObjects(ep: Endpoint): Set<string> {
  const out = new Set<string>();
  for (const b of ep.aws.state.s3.buckets.values())
    for (const key of b.objects.keys()) out.add(`${b.name}/${key}`);
  return out;
}

/** Members of `before` missing from `after`. */
export function removed(before: Set<string>, after: Set<string>): string[] {
  return [...before].filter((x) => !after.has(x));
}

/** Log entries (service-qualified action names) since `mark`. */
export function actionsSince(ep: Endpoint, mark: number): string[] {
  return ep.aws.log.slice(mark).map((e) => (e.service === "ec2" ? e.action : `${e.service}:${e.action}`));
}

/** Actions that change an account: none may be sent when the provider must change nothing. */
export const MUTATING =
  /^(s3:)?(Create|Register|Copy|Modify|Delete|Deregister|Put|Run|Terminate|Enable|Disable|Lock|Unlock)/;
