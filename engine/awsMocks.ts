/**
 * Mocks for the standard @pulumi/aws resources the examples use, backed by an AWS-compatible endpoint
 * (the local one in tests and the demo): an instance is really launched so `fromInstance` has something
 * to image, a snapshot really taken so `fromSnapshots` has something to register. Anything else is a
 * plain mock (id `<name>-id`, outputs = inputs).
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
} from "@aws-sdk/client-ec2";
import type * as pulumi from "@pulumi/pulumi";
import { ProgramResource, ResourceMocks } from "./program";

/** Where the mocked resources live: the SDK's default endpoint/credential chain, this region. */
export interface AwsMockOptions {
  region: string;
  /** Called when a mocked resource really creates something (for progress output). */
  onCreate?(type: string, id: string): void;
}

/** Resource/invoke mocks for aws.ec2.Instance, aws.ebs.Snapshot and aws.ec2.getAmi; the rest plain. */
export function awsMocks(opts: AwsMockOptions): ResourceMocks {
  const ec2 = () => new EC2Client({ region: opts.region });
  return {
    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
      const inputs = args.inputs as Record<string, unknown>;
      if (args.type === "aws:ec2/instance:Instance") {
        const out = await ec2().send(
          new RunInstancesCommand({
            ImageId: String(inputs.ami),
            InstanceType: String(inputs.instanceType ?? "t3.micro") as _InstanceType,
            MinCount: 1,
            MaxCount: 1,
          }),
        );
        const id = out.Instances?.[0]?.InstanceId ?? "";
        opts.onCreate?.(args.type, id);
        return { id, state: { ...inputs, arn: `arn:aws:ec2:${opts.region}::instance/${id}` } };
      }
      if (args.type === "aws:ebs/snapshot:Snapshot") {
        const out = await ec2().send(
          new CreateSnapshotCommand({
            VolumeId: String(inputs.volumeId),
            Description: inputs.description as string | undefined,
          }),
        );
        const id = out.SnapshotId ?? "";
        opts.onCreate?.(args.type, id);
        return { id, state: { ...inputs, volumeSize: out.VolumeSize } };
      }
      return { id: `${args.name}-id`, state: { ...inputs } };
    },

    async deleteResource(resource: ProgramResource): Promise<void> {
      if (resource.type === "aws:ec2/instance:Instance") {
        await ec2().send(new TerminateInstancesCommand({ InstanceIds: [resource.id] }));
      } else if (resource.type === "aws:ebs/snapshot:Snapshot") {
        // It owns its snapshot (the example's ManagedAmi sets deleteSnapshots: false); gone is success, as in the aws provider.
        await ec2()
          .send(new DeleteSnapshotCommand({ SnapshotId: resource.id }))
          .catch((err: { name?: string }) => {
            if (err.name !== "InvalidSnapshot.NotFound") throw err;
          });
      }
    },

    async call(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> {
      if (args.token === "aws:ec2/getAmi:getAmi") {
        const owners = (args.inputs.owners as string[] | undefined) ?? ["amazon"];
        const out = await ec2().send(new DescribeImagesCommand({ Owners: owners }));
        const image = out.Images?.[0];
        if (!image?.ImageId)
          throw new Error(`getAmi mock: no image owned by ${owners.join(",")} in ${opts.region}`);
        return {
          id: image.ImageId,
          imageId: image.ImageId,
          name: image.Name,
          architecture: image.Architecture,
        };
      }
      return args.inputs as Record<string, unknown>;
    },
  };
}
