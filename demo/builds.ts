/**
 * What a Packer-style pipeline leaves in an account: images named `web-<date>`, each made with
 * CreateImage from a builder instance (which is then terminated), and a snapshot shared by two images.
 */
import {
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { REGION } from "./accounts";

/** An image the pipeline built, with the snapshots AWS made for it. */
export interface Build {
  name: string;
  imageId: string;
  snapshotIds: string[];
}

/** The public base image every builder launches from (the endpoint seeds one per region). */
async function baseImage(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }));
  const id = out.Images?.[0]?.ImageId;
  if (!id) throw new Error(`no public base image in ${REGION}`);
  return id;
}

/** Waits (on the endpoint's fast clock) until `imageId` is available. */
async function available(ec2: EC2Client, imageId: string): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    if (image?.State === "available") {
      return (image.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((s): s is string => !!s);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${imageId} did not become available`);
}

/** Builds one image the way Packer does: launch, CreateImage, terminate the builder. */
export async function build(ec2: EC2Client, name: string): Promise<Build> {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: await baseImage(ec2),
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
    }),
  );
  const instanceId = run.Instances![0].InstanceId!;
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
  const snapshotIds = await available(ec2, ImageId!);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  return { name, imageId: ImageId!, snapshotIds };
}

/** A standalone 8 GiB snapshot, and an unmanaged image registered from it (another team's image). */
export async function sharedSnapshot(ec2: EC2Client): Promise<{ snapshotId: string; otherImageId: string }> {
  const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 8 }));
  const snap = await ec2.send(
    new CreateSnapshotCommand({ VolumeId: volume.VolumeId!, Description: "base OS layer" }),
  );
  const registered = await ec2.send(
    new RegisterImageCommand({
      Name: "base-os-platform-team",
      RootDeviceName: "/dev/xvda",
      VirtualizationType: "hvm",
      Architecture: "x86_64",
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snap.SnapshotId! } }],
    }),
  );
  await available(ec2, registered.ImageId!);
  return { snapshotId: snap.SnapshotId!, otherImageId: registered.ImageId! };
}

/** What aws.ec2.Ami's destroy does: DeregisterImage, and nothing else. */
export async function deregisterOnly(ec2: EC2Client, imageIds: string[]): Promise<void> {
  for (const ImageId of imageIds) await ec2.send(new DeregisterImageCommand({ ImageId }));
}
