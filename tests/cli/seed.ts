/**
 * Seeding for the audit tests: each kind of orphan and each kind of look-alike, built with the
 * real SDK the way AWS users make them (CreateImage, CopyImage, RegisterImage, CreateSnapshot).
 */
import {
  CopyImageCommand,
  CreateTagsCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeregisterImageCommand,
  EC2Client,
  RegisterImageCommand,
} from "@aws-sdk/client-ec2";
import { PutObjectCommand, S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { LocalAws } from "../../local-aws";
import { seedEbsImage } from "../support/localAws";
import { MANAGED_AMI_IMAGE_TAG } from "../../cli/audit/ownership";

export const ROOT = join(__dirname, "..", "..");

/** A snapshot EC2 made for an image that was deregistered without its snapshots (Terraform, console). */
export async function createImageOrphan(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotId: string }> {
  const { imageId, snapshotIds } = await seedEbsImage(aws, ec2, name);
  await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
  return { imageId, snapshotId: snapshotIds[0] };
}

/** A live image made by CreateImage; its snapshot is in use. */
export async function liveImage(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotId: string }> {
  const { imageId, snapshotIds } = await seedEbsImage(aws, ec2, name);
  return { imageId, snapshotId: snapshotIds[0] };
}

/** A CopyImage copy deregistered without its snapshots; the source stays. */
export async function copyImageOrphan(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotId: string; sourceImageId: string }> {
  const source = await seedEbsImage(aws, ec2, `${name}-source`);
  const region = await ec2.config.region();
  const copy = await ec2.send(
    new CopyImageCommand({ SourceImageId: source.imageId, SourceRegion: region, Name: name }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  const imageId = copy.ImageId as string;
  const snapshotId = aws.state.images.get(imageId)?.blockDeviceMappings.find((b) => b.snapshotId)
    ?.snapshotId as string;
  await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
  return { imageId, snapshotId, sourceImageId: source.imageId };
}

/** A user's own snapshot (CreateVolume -> CreateSnapshot) with a free-text description and tags. */
export async function manualSnapshot(
  aws: LocalAws,
  ec2: EC2Client,
  description: string,
  tags: Record<string, string> = {},
  size = 10,
): Promise<string> {
  const region = await ec2.config.region();
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: size }));
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const snap = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: vol.VolumeId,
      Description: description,
      ...(Tags.length ? { TagSpecifications: [{ ResourceType: "snapshot", Tags }] } : {}),
    }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  return snap.SnapshotId as string;
}

/** A fromSnapshots image over a user snapshot (tagged as its ManagedAmi does), deregistered out of band. */
export async function managedAmiOrphan(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotId: string }> {
  const snapshotId = await manualSnapshot(aws, ec2, "golden root volume, built by hand");
  const reg = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: "/dev/xvda",
      Architecture: "x86_64",
      VirtualizationType: "hvm",
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snapshotId } }],
    }),
  );
  const imageId = reg.ImageId as string;
  aws.advance(aws.timing.imageAvailableAfterMs);
  await ec2.send(
    new CreateTagsCommand({
      Resources: [snapshotId],
      Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: imageId }],
    }),
  );
  await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
  return { imageId, snapshotId };
}

/** Registers a second image over `snapshotId` (a snapshot shared by two images). */
export async function registerOver(
  aws: LocalAws,
  ec2: EC2Client,
  snapshotId: string,
  name: string,
): Promise<string> {
  const reg = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: "/dev/xvda",
      Architecture: "x86_64",
      VirtualizationType: "hvm",
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snapshotId } }],
    }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  return reg.ImageId as string;
}

/** A minimal AMI bundle manifest listing `parts`. */
export function manifestXml(parts: string[]): string {
  return (
    `<?xml version="1.0" ?><manifest><version>2007-10-10</version><bundler><name>ec2-ami-tools</name></bundler>` +
    `<image><name>image</name><parts count="${parts.length}">` +
    parts
      .map(
        (p, i) => `<part index="${i}"><filename>${p}</filename><digest algorithm="SHA1">00</digest></part>`,
      )
      .join("") +
    `</parts></image></manifest>`
  );
}

/** Uploads a bundle (manifest + parts of `partBytes` each) under `folder`; returns its keys. */
export async function putBundle(
  s3: S3Client,
  bucket: string,
  folder: string,
  name: string,
  partCount: number,
  partBytes = 1024,
): Promise<{ manifestKey: string; partKeys: string[]; manifestBytes: number }> {
  const parts = Array.from({ length: partCount }, (_, i) => `${name}.part.${i}`);
  const xml = manifestXml(parts);
  const manifestKey = `${folder}${name}.manifest.xml`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: xml }));
  for (const p of parts)
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: folder + p, Body: Buffer.alloc(partBytes, 7) }),
    );
  return { manifestKey, partKeys: parts.map((p) => folder + p), manifestBytes: Buffer.byteLength(xml) };
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Registers an instance-store image from `bucket/manifestKey`. */
export async function registerBundle(
  aws: LocalAws,
  ec2: EC2Client,
  location: string,
  name: string,
): Promise<string> {
  const reg = await ec2.send(
    new RegisterImageCommand({ Name: name, ImageLocation: location, Architecture: "x86_64" }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  return reg.ImageId as string;
}

/** Runs the built CLI (`dist/cli/managed-ami.js`) as a child process; never blocks the event loop. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "cli", "managed-ami.js"), ...args], {
      env,
      cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The env a child CLI needs to talk to `aws` (credentials from the current process's test env). */
export function cliEnv(aws: LocalAws, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: "/nonexistent-home-for-audit-tests",
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    AWS_REGION: process.env.AWS_REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_ENDPOINT_URL_STS: aws.endpoint,
    AWS_ENDPOINT_URL_ORGANIZATIONS: aws.endpoint,
    AWS_CONFIG_FILE: "/nonexistent-aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent-aws-credentials",
    MANAGED_AMI_RETRY_BUDGET_MS: "20000",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}
