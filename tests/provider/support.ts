// Shared set-up of the provider tests: a local AWS endpoint per suite, the SDK environment pointing
// at it, clients with a short retry budget, and seeding through the real SDK.
import {
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  Image,
  RunInstancesCommand,
  Snapshot,
} from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { LocalAws, LocalAwsOptions, startLocalAws } from "../../local-aws";
import { seedBundle, SeededBundle } from "../../local-aws/s3/manifest";
import type { S3Store } from "../../local-aws/s3/store";
import { ec2Client, s3Client } from "../../provider/aws/clients";
import { ProviderDeps } from "../../provider/create";
import { AWS_ENV_KEYS, MANAGED_AMI_ENV_KEYS, replaceEnv } from "../support/env";

export const REGION = "us-east-1";
export const OTHER_REGION = "us-west-2";
export const ACCESS_KEY = "AKIAMANAGEDAMITEST01";
export const FOREIGN_KEY = "AKIAFOREIGNACCOUNT01";
/** A unique secret: tests assert it never appears in serialized state. */
export const SECRET_KEY = "managed-ami-test-secret-3f9c1e7a5b";

/** The per-suite handle: the endpoint plus clients and provider deps bound to it. */
export interface Env {
  aws: LocalAws;
  ec2(region?: string, accessKeyId?: string): EC2Client;
  s3(region?: string): S3Client;
  deps(overrides?: Partial<ProviderDeps>): ProviderDeps;
  /** Index into `aws.log`: everything after it was sent since `mark()` was called. */
  mark(): number;
  /** Actions sent since `mark` (service-qualified when not EC2), e.g. ["DescribeImages", "s3:GetObject"]. */
  actionsSince(mark: number): string[];
  accountId: string;
}

/** Mutating actions: none of them may appear when the provider must change nothing. */
export const MUTATING =
  /^(s3:)?(Create|Register|Copy|Modify|Delete|Deregister|Put|Run|Terminate|Enable|Disable|Lock|Unlock)/;

/** Registers before/after hooks that start a local endpoint and point the SDK environment at it. */
export function useLocalAws(options: LocalAwsOptions = {}): Env {
  const env = {} as Env;
  let restoreEnv = () => {};
  before(async () => {
    env.aws = await startLocalAws({ timeScale: 0.001, ...options });
    restoreEnv = replaceEnv([...AWS_ENV_KEYS, ...MANAGED_AMI_ENV_KEYS], {
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_EC2: env.aws.endpoint,
      AWS_ENDPOINT_URL_S3: env.aws.endpoint,
      MANAGED_AMI_RETRY_BUDGET_MS: "2000",
      MANAGED_AMI_WAIT_POLL_MS: "20",
    });
    env.accountId = env.aws.state.accountIdFor(ACCESS_KEY);
  });
  after(async () => {
    restoreEnv();
    await env.aws?.stop();
  });
  env.ec2 = (region = REGION, accessKeyId) => {
    if (!accessKeyId) return ec2Client(region);
    return new EC2Client({
      region,
      endpoint: env.aws.endpoint,
      credentials: { accessKeyId, secretAccessKey: "foreign-secret" },
    });
  };
  env.s3 = (region = REGION) => s3Client(region);
  env.deps = (overrides = {}) => ({
    ec2: (region) => ec2Client(region),
    s3: (region) => s3Client(region),
    wait: { pollMs: 20 },
    ...overrides,
  });
  env.mark = () => env.aws.log.length;
  env.actionsSince = (mark) =>
    env.aws.log.slice(mark).map((e) => (e.service === "ec2" ? e.action : `${e.service}:${e.action}`));
  return env;
}

/** Launches one instance from the region's public base image. */
export async function launchInstance(env: Env, region = REGION): Promise<string> {
  const out = await env.ec2(region).send(
    new RunInstancesCommand({
      ImageId: env.aws.state.baseImageId(region),
      MinCount: 1,
      MaxCount: 1,
      InstanceType: "t3.micro",
    }),
  );
  return out.Instances?.[0]?.InstanceId as string;
}

/** A completed-or-pending snapshot of a fresh volume, in the caller's account. */
export async function makeSnapshot(env: Env, region = REGION, size = 8): Promise<string> {
  const ec2 = env.ec2(region);
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: size }));
  const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
  return snap.SnapshotId as string;
}

/** An available image made by CreateImage outside the provider (as Packer would), in `accessKeyId`'s account. */
export async function makeImage(
  env: Env,
  name: string,
  region = REGION,
  accessKeyId?: string,
): Promise<string> {
  const ec2 = env.ec2(region, accessKeyId);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: env.aws.state.baseImageId(region),
      MinCount: 1,
      MaxCount: 1,
      InstanceType: "t3.micro",
    }),
  );
  const out = await ec2.send(
    new CreateImageCommand({ InstanceId: run.Instances?.[0]?.InstanceId, Name: name }),
  );
  const id = out.ImageId as string;
  for (let i = 0; i < 200; i++) {
    if ((await describe(env, id, region, accessKeyId))?.State === "available") return id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`test image ${id} never became available`);
}

/** The image as the SDK describes it, or undefined. */
export async function describe(
  env: Env,
  imageId: string,
  region = REGION,
  accessKeyId?: string,
): Promise<Image | undefined> {
  try {
    const out = await env.ec2(region, accessKeyId).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return out.Images?.[0];
  } catch {
    return undefined;
  }
}

/** The snapshots as the SDK describes them (only those that exist). */
export async function snapshots(env: Env, ids: string[], region = REGION): Promise<Snapshot[]> {
  const found: Snapshot[] = [];
  for (const id of ids) {
    try {
      const out = await env.ec2(region).send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
      found.push(...(out.Snapshots ?? []));
    } catch {
      // gone
    }
  }
  return found;
}

/** SDK tags as a plain map. */
export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** Seeds an S3 bundle (bucket created in the caller's account) and returns its keys and location. */
export function bundle(env: Env, bucket: string, name = "image", prefix = "bundles/"): SeededBundle {
  return seedBundle(env.aws.state.s3 as S3Store, {
    bucket,
    prefix,
    name,
    ownerAccountId: env.accountId,
    region: REGION,
  });
}
