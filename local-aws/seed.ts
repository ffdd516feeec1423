/**
 * Seeding helpers over the endpoint's own HTTP API (real SDK clients), for tests, benchmarks and
 * `npm run local-aws -- --seed demo`: a multi-account organization, and an account holding each
 * kind of orphan the audit reports next to the look-alikes it must leave alone.
 */
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeregisterImageCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { LocalAws } from "./index";
import type { OrgAccount } from "./organizations";
import { seedBundle } from "./s3";

const SECRET = "local-aws-secret";

/** A member of a seeded organization: its account id and an access key that acts as it. */
export interface SeededMember {
  accountId: string;
  accessKeyId: string;
  name: string;
  status: OrgAccount["status"];
  /** False when AssumeRole on its role is refused. */
  assumable: boolean;
}

export interface SeedOrganizationOptions {
  /** Access key of the management account (default the endpoint's usual AKIALOCALAWSEXAMPLE). */
  managementAccessKeyId?: string;
  /** Members to create (the management account is added in front). */
  members: Array<{ name: string; status?: OrgAccount["status"]; assumable?: boolean }>;
  /** The role each member trusts the management account with; its ARN is refused for non-assumable members. */
  roleName: string;
}

/**
 * Sets up an organization: a management account and members, each member with its own access key
 * (so tests can seed resources in it) and a role the management account can assume unless `assumable: false`.
 */
export function seedOrganization(
  aws: LocalAws,
  opts: SeedOrganizationOptions,
): { managementAccountId: string; members: SeededMember[] } {
  const managementKey = opts.managementAccessKeyId ?? "AKIALOCALAWSEXAMPLE";
  const managementAccountId = aws.state.accountIdFor(managementKey);
  const members = opts.members.map((m, i): SeededMember => {
    const accessKeyId = `AKIALOCALORGMEMBER${String(i).padStart(2, "0")}`;
    return {
      accountId: aws.state.accountIdFor(accessKeyId),
      accessKeyId,
      name: m.name,
      status: m.status ?? "ACTIVE",
      assumable: m.assumable ?? true,
    };
  });
  for (const m of members) {
    const arn = `arn:aws:iam::${m.accountId}:role/${opts.roleName}`;
    if (m.assumable) aws.sts.deniedRoles.delete(arn);
    else aws.sts.deniedRoles.add(arn);
  }
  aws.organizations.set({
    managementAccountId,
    accounts: [
      { id: managementAccountId, name: "management", status: "ACTIVE" },
      ...members.map((m) => ({ id: m.accountId, name: m.name, status: m.status })),
    ],
  });
  return { managementAccountId, members };
}

/** An EC2 client acting as `accessKeyId` on the endpoint. */
export function ec2As(aws: LocalAws, accessKeyId: string, region = "us-east-1"): EC2Client {
  return new EC2Client({
    endpoint: aws.endpoint,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey: SECRET },
  });
}

/** CreateImage from a fresh instance; returns the image and its root snapshot. */
export async function imageFromInstance(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotId: string }> {
  const region = await ec2.config.region();
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: aws.state.baseImageId(region), MinCount: 1, MaxCount: 1 }),
  );
  const created = await ec2.send(
    new CreateImageCommand({ InstanceId: run.Instances?.[0]?.InstanceId, Name: name }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  const imageId = created.ImageId as string;
  const snapshotId = aws.state.images.get(imageId)?.blockDeviceMappings.find((b) => b.snapshotId)
    ?.snapshotId as string;
  return { imageId, snapshotId };
}

/**
 * A snapshot of a fresh volume with `description` and `tags` (a user's, or one a service made).
 * `aws:` tags are reserved for AWS (CreateTags refuses them), so they are written into the store directly.
 */
export async function snapshotWith(
  aws: LocalAws,
  ec2: EC2Client,
  description: string,
  tags: Record<string, string> = {},
  size = 8,
): Promise<string> {
  const region = await ec2.config.region();
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: size }));
  const reserved = Object.entries(tags).filter(([k]) => k.startsWith("aws:"));
  const Tags = Object.entries(tags)
    .filter(([k]) => !k.startsWith("aws:"))
    .map(([Key, Value]) => ({ Key, Value }));
  const snap = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: vol.VolumeId,
      Description: description,
      ...(Tags.length ? { TagSpecifications: [{ ResourceType: "snapshot", Tags }] } : {}),
    }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  const record = aws.state.snapshots.get(snap.SnapshotId as string);
  for (const [key, value] of reserved) record?.tags.push({ key, value });
  return snap.SnapshotId as string;
}

/** What `seedDemo` made, by kind. */
export interface DemoSeed {
  orphans: { createImage: string; copyImage: string; managedAmi: string; bundle: string };
  kept: { liveImageSnapshot: string; manualSnapshot: string; dlm: string; backup: string };
}

/**
 * One account with each kind of orphan the audit lists (a CreateImage snapshot, a CopyImage copy's
 * snapshot, a ManagedAmi-tagged snapshot, an unregistered bundle in `demo-ami-bundles`) and what it
 * must leave alone (a live image, a manual snapshot, DLM and AWS Backup snapshots).
 */
export async function seedDemo(
  aws: LocalAws,
  accessKeyId = "AKIALOCALAWSEXAMPLE",
  region = "us-east-1",
): Promise<DemoSeed> {
  const ec2 = ec2As(aws, accessKeyId, region);
  const gone = await imageFromInstance(aws, ec2, "web-2024-01");
  await ec2.send(new DeregisterImageCommand({ ImageId: gone.imageId }));
  const source = await imageFromInstance(aws, ec2, "api-base");
  const copy = await ec2.send(
    new CopyImageCommand({ SourceImageId: source.imageId, SourceRegion: region, Name: "api-copy" }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  const copySnapshot = aws.state.images
    .get(copy.ImageId as string)
    ?.blockDeviceMappings.find((b) => b.snapshotId)?.snapshotId as string;
  await ec2.send(new DeregisterImageCommand({ ImageId: copy.ImageId }));
  const userSnap = await snapshotWith(aws, ec2, "golden root volume", {}, 20);
  const reg = await ec2.send(
    new RegisterImageCommand({
      Name: "managed-golden",
      RootDeviceName: "/dev/xvda",
      Architecture: "x86_64",
      VirtualizationType: "hvm",
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: userSnap } }],
    }),
  );
  aws.advance(aws.timing.imageAvailableAfterMs);
  await ec2.send(
    new CreateTagsCommand({
      Resources: [userSnap],
      Tags: [{ Key: "managed-ami:image-id", Value: reg.ImageId as string }],
    }),
  );
  await ec2.send(new DeregisterImageCommand({ ImageId: reg.ImageId }));
  const bundle = seedBundle(aws.state.s3, {
    bucket: "demo-ami-bundles",
    prefix: "bundles/legacy/",
    name: "legacy-app",
    parts: 3,
    ownerAccountId: aws.state.accountIdFor(accessKeyId),
    region,
  });
  return {
    orphans: {
      createImage: gone.snapshotId,
      copyImage: copySnapshot,
      managedAmi: userSnap,
      bundle: bundle.manifestKey,
    },
    kept: {
      liveImageSnapshot: source.snapshotId,
      manualSnapshot: await snapshotWith(aws, ec2, "db before upgrade"),
      dlm: await snapshotWith(
        aws,
        ec2,
        "Created for policy: policy-0123456789abcdef0 schedule: Default Schedule",
        {
          "aws:dlm:lifecycle-policy-id": "policy-0123456789abcdef0",
        },
      ),
      backup: await snapshotWith(aws, ec2, "This snapshot is created by the AWS Backup service.", {
        "aws:backup:source-resource": "volume",
      }),
    },
  };
}
