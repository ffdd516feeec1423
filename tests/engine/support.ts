// Shared setup of the engine tests: a local AWS endpoint, credentials in the environment (this process
// and the provider host), a project dir laid out like a user's install, and the real provider host.
import { randomBytes } from "crypto";
import { EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { ManagedAmiProvider } from "pulumi-managed-ami";
import { createProjectDir, LocalEngine, ProjectDir, ProviderHost, serializeProvider } from "../../engine";
import { LocalAws, LocalAwsOptions, startLocalAws } from "../../local-aws";

export const TYPE = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";
export const REGION = "us-east-1";

export interface Stack {
  aws: LocalAws;
  env: Record<string, string>;
  dir: ProjectDir;
  host: ProviderHost;
  engine: LocalEngine;
  /** `__provider` as ManagedAmi stores it (current build). */
  provider: string;
  ec2(region?: string): EC2Client;
  s3(region?: string): S3Client;
  stop(): Promise<void>;
}

/** Starts everything; `hostEnv` is added to the host's environment only. */
export async function startStack(
  opts: { aws?: LocalAwsOptions; hostEnv?: Record<string, string>; config?: Record<string, string> } = {},
): Promise<Stack> {
  const aws = await startLocalAws({ timeScale: 0.001, ...opts.aws });
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: "AKIAENGINETEST000001",
    AWS_SECRET_ACCESS_KEY: `engine-test-secret-${randomBytes(12).toString("hex")}`,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const dir = createProjectDir();
  const host = await ProviderHost.start({
    cwd: dir.path,
    env: { ...env, MANAGED_AMI_WAIT_POLL_MS: "5", ...opts.hostEnv },
    config: opts.config,
  });
  const provider = (await serializeProvider(new ManagedAmiProvider())).text;
  return {
    aws,
    env,
    dir,
    host,
    engine: new LocalEngine(host),
    provider,
    ec2: (region = REGION) => new EC2Client({ region }),
    s3: (region = REGION) => new S3Client({ region, forcePathStyle: true }),
    async stop() {
      await host.stop();
      dir.remove();
      await aws.stop();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** The test account's images (deregistered ones excluded) and snapshots, in every region. */
export function inventory(stack: Stack): { images: string[]; snapshots: string[] } {
  const owner = stack.aws.state.accountIdFor(stack.env.AWS_ACCESS_KEY_ID);
  return {
    images: [...stack.aws.state.images.values()]
      .filter((i) => i.ownerId === owner && i.state !== "deregistered")
      .map((i) => i.imageId),
    snapshots: [...stack.aws.state.snapshots.values()]
      .filter((s) => s.ownerId === owner)
      .map((s) => s.snapshotId),
  };
}

/** Launches an instance from the region's public base image; returns its id. */
export async function launchInstance(stack: Stack, region = REGION): Promise<string> {
  const out = await stack.ec2(region).send(
    new RunInstancesCommand({
      ImageId: stack.aws.state.baseImageId(region),
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
    }),
  );
  return out.Instances![0].InstanceId!;
}
