// Shared fixtures of the teardown / safety / AWS-layer tests: a local endpoint, real SDK clients,
// and seeding helpers that build accounts through the real API (RegisterImage, PutObject, ...).
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  RegisterImageCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { startLocalAws, type LocalAws, type LocalAwsOptions } from "../../local-aws";
import { ec2Client, s3Client, type RetryOptions } from "../../provider/aws/clients";
import type { Clock } from "../../provider/safety";
import type { TeardownDeps } from "../../provider/teardown";
import type { ManagedAmiOutputs, OwnedBundle } from "../../provider/types";

export const REGION = "us-east-1";

export interface Env {
  aws: LocalAws;
  ec2: EC2Client;
  s3: S3Client;
  accountId: string;
  /** Fake clock whose sleep advances local-aws's simulated time (no real waiting). */
  clock: Clock & { slept: number };
  stop(): Promise<void>;
}

const ENV_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_REGION",
  "AWS_ENDPOINT_URL_EC2",
  "AWS_ENDPOINT_URL_S3",
];

/** Start local-aws with fast defaults, set the SDK env vars to it, and build retrying clients with a small budget. */
export async function startEnv(
  opts: LocalAwsOptions = {},
  retry: RetryOptions = { budgetMs: 3000, baseDelayMs: 5, maxDelayMs: 100 },
): Promise<Env> {
  const aws = await startLocalAws({ imageAvailableAfterMs: 0, ...opts });
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "AKIDTEARDOWNTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
  });
  let simulated = 0;
  let stopped = false;
  const clock = {
    slept: 0,
    now: () => simulated,
    sleep: async (ms: number) => {
      simulated += ms;
      clock.slept += ms;
      aws.advance(ms);
    },
  };
  return {
    aws,
    ec2: ec2Client(REGION, { retry }),
    s3: s3Client(REGION, { retry }),
    accountId: aws.state.accountIdFor("AKIDTEARDOWNTEST"),
    clock,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await aws.stop();
    },
  };
}

/** A completed snapshot of a fresh 8 GiB volume. */
export async function makeSnapshot(ec2: EC2Client): Promise<string> {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 8 }));
  const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
  return snap.SnapshotId as string;
}

let counter = 0;

/** RegisterImage of an EBS image over `snapshotIds` (the first is the root). */
export async function registerEbs(
  ec2: EC2Client,
  snapshotIds: string[],
  name = `img-${Date.now()}-${counter++}`,
): Promise<string> {
  const devices = ["/dev/xvda", "/dev/xvdb", "/dev/xvdc", "/dev/xvdd", "/dev/xvde", "/dev/xvdf"];
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: devices[0],
      Architecture: "x86_64",
      VirtualizationType: "hvm",
      BlockDeviceMappings: snapshotIds.map((id, i) => ({ DeviceName: devices[i], Ebs: { SnapshotId: id } })),
    }),
  );
  return out.ImageId as string;
}

/** An EBS image with `n` fresh snapshots, and the outputs a ManagedAmi would have recorded for it. */
export async function ebsAmi(
  env: Env,
  n = 2,
  extra: Partial<ManagedAmiOutputs> = {},
): Promise<ManagedAmiOutputs> {
  const snapshotIds: string[] = [];
  for (let i = 0; i < n; i++) snapshotIds.push(await makeSnapshot(env.ec2));
  const imageId = await registerEbs(env.ec2, snapshotIds);
  return outputsFor(env, imageId, { snapshotIds, rootDeviceType: "ebs", ...extra });
}

export function outputsFor(env: Env, imageId: string, extra: Partial<ManagedAmiOutputs>): ManagedAmiOutputs {
  return {
    name: "web",
    imageId,
    region: REGION,
    ownerId: env.accountId,
    state: "available",
    rootDeviceType: "ebs",
    snapshotIds: [],
    ...extra,
  };
}

export function manifestXml(partNames: string[]): string {
  const parts = partNames.map(
    (name, i) =>
      `    <part index="${i}"><filename>${name}</filename><digest algorithm="SHA1">00</digest></part>`,
  );
  return [
    `<?xml version="1.0" ?>`,
    `<manifest><version>2007-10-10</version><bundler><name>ec2-ami-tools</name></bundler>`,
    `  <machine_configuration><architecture>x86_64</architecture></machine_configuration>`,
    `  <image><name>test</name><size>1024</size>`,
    `  <parts count="${partNames.length}">`,
    ...parts,
    `  </parts></image></manifest>`,
  ].join("\n");
}

/** Upload a bundle (manifest + parts) under `prefix` and return its recorded shape. */
export async function putBundle(
  s3: S3Client,
  bucket: string,
  prefix: string,
  name: string,
  parts = 3,
): Promise<OwnedBundle> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: { name?: string }) => {
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
  const partNames = Array.from({ length: parts }, (_, i) => `${name}.part.${i}`);
  for (const p of partNames)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${p}`, Body: `data of ${p}` }));
  const manifestKey = `${prefix}${name}.manifest.xml`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: manifestXml(partNames) }));
  return { bucket, manifestKey, partKeys: partNames.map((p) => `${prefix}${p}`) };
}

/** Register an instance-store image from a bundle. */
export async function registerBundle(
  ec2: EC2Client,
  bundle: OwnedBundle,
  name = `bundle-${Date.now()}-${counter++}`,
): Promise<string> {
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      ImageLocation: `${bundle.bucket}/${bundle.manifestKey}`,
      Architecture: "x86_64",
    }),
  );
  return out.ImageId as string;
}

/** Calls the endpoint logged (service/action) since `from`. */
export function callsSince(env: Env, from: number): string[] {
  return env.aws.log.slice(from).map((e) => e.action);
}

/** Keys currently stored in `bucket` (via the real API). */
export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

/** Teardown deps on `env`'s clients and fake clock; warnings are collected in `warnings`. */
export function teardownDeps(
  env: Env,
  extra: Partial<TeardownDeps> = {},
): TeardownDeps & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    ec2: env.ec2,
    s3: env.s3,
    clock: env.clock,
    log: { warn: (m) => warnings.push(m) },
    warnings,
    ...extra,
  };
}
