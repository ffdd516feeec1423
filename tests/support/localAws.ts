/**
 * Shared test helpers for the local AWS endpoint.
 *
 *   const ctx = withLocalAws({ timeScale: 0.001 });     // mocha before/after: start, set env, stop
 *   const ec2 = ec2For(ctx.aws);                          // real EC2Client, us-east-1, test credentials
 *   const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "my-image");
 *
 * While the hooks run, process.env has AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION /
 * AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_STS pointing at the endpoint (restored afterwards), so
 * code that builds its own SDK clients from the default chain talks to it too.
 */
import { CreateImageCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { startLocalAws, type LocalAws, type LocalAwsOptions } from "../../local-aws";
import { AWS_ENV_KEYS, replaceEnv } from "./env";

export const TEST_REGION = "us-east-1";
/** The default test credentials (any key works; each key id is its own account). */
export const TEST_CREDENTIALS = { accessKeyId: "AKIALOCALAWSEXAMPLE", secretAccessKey: "local-aws-secret" };
/** A second caller, i.e. a different AWS account, for isolation tests. */
export const OTHER_CREDENTIALS = { accessKeyId: "AKIALOCALAWSOTHER01", secretAccessKey: "local-aws-secret" };

export interface LocalAwsHandle {
  /** The running endpoint (throws outside the hooks). */
  readonly aws: LocalAws;
}

/**
 * Register mocha hooks: start the endpoint before the suite (`before`), reset its state before each
 * test when `resetEachTest` (default true), stop it and restore the environment after the suite.
 */
export function withLocalAws(opts: LocalAwsOptions & { resetEachTest?: boolean } = {}): LocalAwsHandle {
  let current: LocalAws | undefined;
  let restoreEnv = () => {};
  before(async () => {
    current = await startLocalAws(opts);
    restoreEnv = replaceEnv(AWS_ENV_KEYS, {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: TEST_REGION,
      AWS_ENDPOINT_URL_EC2: current.endpoint,
      AWS_ENDPOINT_URL_S3: current.endpoint,
      ...(opts.sts === false ? {} : { AWS_ENDPOINT_URL_STS: current.endpoint }),
    });
  });
  if (opts.resetEachTest ?? true) {
    beforeEach(() => current?.reset());
  }
  after(async () => {
    restoreEnv();
    await current?.stop();
    current = undefined;
  });
  return {
    get aws(): LocalAws {
      if (!current)
        throw new Error("withLocalAws: the endpoint is only available inside tests/hooks of the suite.");
      return current;
    },
  };
}

/** A real EC2Client for the endpoint; maxAttempts 1 so errors and throttling are seen as they are. */
export function ec2For(
  aws: LocalAws,
  region = TEST_REGION,
  accessKeyId = TEST_CREDENTIALS.accessKeyId,
  maxAttempts = 1,
): EC2Client {
  return new EC2Client({
    endpoint: aws.endpoint,
    region,
    maxAttempts,
    credentials: { accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey },
  });
}

/** A real S3Client for the endpoint (path-style). */
export function s3For(
  aws: LocalAws,
  region = TEST_REGION,
  accessKeyId = TEST_CREDENTIALS.accessKeyId,
  maxAttempts = 1,
): S3Client {
  return new S3Client({
    endpoint: aws.endpoint,
    region,
    maxAttempts,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey },
  });
}

/**
 * Seed an available EBS-backed image the AWS way: RunInstances (base image) -> CreateImage, then
 * advance the simulated clock past imageAvailableAfterMs. Returns the image, its snapshots and instance.
 */
export async function seedEbsImage(
  aws: LocalAws,
  ec2: EC2Client,
  name: string,
): Promise<{ imageId: string; snapshotIds: string[]; instanceId: string }> {
  const region = await ec2.config.region();
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: aws.state.baseImageId(region), MinCount: 1, MaxCount: 1 }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId as string;
  const created = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
  const imageId = created.ImageId as string;
  aws.advance(aws.timing.imageAvailableAfterMs);
  const img = aws.state.images.get(imageId);
  const snapshotIds = (img?.blockDeviceMappings ?? [])
    .map((b) => b.snapshotId)
    .filter((s): s is string => !!s);
  return { imageId, snapshotIds, instanceId };
}

/** Await `p`, expecting an AWS error named `code` (and HTTP `status`, if given); returns the error. */
export async function expectAwsError(
  p: Promise<unknown>,
  code: string,
  status?: number,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  let result: unknown;
  try {
    result = await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    if (e.name !== code) throw new Error(`expected AWS error ${code}, got ${e.name}: ${e.message}`);
    if (status !== undefined && e.$metadata?.httpStatusCode !== status) {
      throw new Error(`expected HTTP ${status} for ${code}, got ${e.$metadata?.httpStatusCode}`);
    }
    return e;
  }
  throw new Error(`expected AWS error ${code}, but the call succeeded: ${JSON.stringify(result)}`);
}
