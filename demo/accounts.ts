/**
 * The demo's two accounts on the local endpoint (each access key id is its own account there) and
 * EC2 clients for them. Account A runs the ManagedAmi stack; account B gets the same builds and the
 * deregister-only teardown that aws.ec2.Ami performs.
 */
import { EC2Client } from "@aws-sdk/client-ec2";

export const REGION = "us-east-1";

export interface DemoAccount {
  label: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const STACK_ACCOUNT: DemoAccount = {
  label: "A (ManagedAmi)",
  accessKeyId: "AKIADEMO000000000001",
  secretAccessKey: "demo-secret-not-a-real-key",
};
export const DEREGISTER_ONLY_ACCOUNT: DemoAccount = {
  label: "B (deregister-only)",
  accessKeyId: "AKIADEMO000000000002",
  secretAccessKey: "demo-secret-not-a-real-key",
};

/** The environment that points the AWS SDK (and the CLI, and the provider host) at `endpoint` as `account`. */
export function awsEnv(endpoint: string, account: DemoAccount): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: account.accessKeyId,
    AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
  };
}

/** An EC2 client acting as `account` on `endpoint`. */
export function ec2For(endpoint: string, account: DemoAccount): EC2Client {
  return new EC2Client({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
  });
}
