// Seeds `web-<date>` images the way Packer makes them (an instance, then CreateImage), on whatever EC2
// endpoint the AWS SDK is configured for: `AWS_ENDPOINT_URL_EC2=http://localhost:4566` for local-aws.
// Usage: npx ts-node seed.ts web-2026-06-01 web-2026-06-08 …   (prints the new image ids)
import {
  CreateImageCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
} from "@aws-sdk/client-ec2";

async function main(names: string[]): Promise<void> {
  if (names.length === 0) throw new Error("usage: ts-node seed.ts <image name>… (e.g. web-2026-06-01)");
  const ec2 = new EC2Client({});
  const base = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], MaxResults: 5 }));
  const baseImageId = base.Images?.[0]?.ImageId;
  if (!baseImageId) throw new Error("no Amazon-owned image to launch a builder from");
  for (const name of names) {
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: baseImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }),
    );
    const instanceId = run.Instances![0].InstanceId!;
    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
    await waitUntilImageAvailable({ client: ec2, maxWaitTime: 600 }, { ImageIds: [ImageId!] });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    console.log(`${name} ${ImageId}`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
