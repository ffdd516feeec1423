import assert from "node:assert/strict";
import { DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startLocalAws } from "../../local-aws";
import { TEST_CREDENTIALS, TEST_REGION, expectAwsError, withLocalAws } from "../support/localAws";

const CALLER_ACCOUNT = "111111111111";
const ROLE_ACCOUNT = "222222222222";
const ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/auditor`;
const DENIED_ROLE = `arn:aws:iam::${ROLE_ACCOUNT}:role/locked`;

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

describe("local-aws STS", () => {
  const ctx = withLocalAws({
    timeScale: 0.001,
    accounts: { [TEST_CREDENTIALS.accessKeyId]: CALLER_ACCOUNT },
    deniedRoleArns: [DENIED_ROLE],
  });
  const sts = (credentials: Creds = TEST_CREDENTIALS): STSClient =>
    new STSClient({ endpoint: ctx.aws.endpoint, region: TEST_REGION, maxAttempts: 1, credentials });
  const ec2 = (credentials: Creds): EC2Client =>
    new EC2Client({ endpoint: ctx.aws.endpoint, region: TEST_REGION, maxAttempts: 1, credentials });

  it("GetCallerIdentity answers the account local-aws maps the access key id to", async () => {
    const id = await sts().send(new GetCallerIdentityCommand({}));
    assert.equal(id.Account, CALLER_ACCOUNT);
    assert.match(id.Arn ?? "", new RegExp(`^arn:aws:iam::${CALLER_ACCOUNT}:user/`));
    assert.match(id.UserId ?? "", /^AIDA[0-9A-F]+$/);
    const other = await sts({ accessKeyId: "AKIASOMEONEELSE0001", secretAccessKey: "x" }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(other.Account, ctx.aws.state.accountIdFor("AKIASOMEONEELSE0001"));
    assert.notEqual(other.Account, CALLER_ACCOUNT);
    assert.equal(ctx.aws.log.at(-1)?.service, "sts");
    assert.equal(ctx.aws.log.at(-1)?.action, "GetCallerIdentity");
  });

  it("the SDK's default chain finds it through AWS_ENDPOINT_URL_STS", async () => {
    assert.equal(process.env.AWS_ENDPOINT_URL_STS, ctx.aws.endpoint);
    const id = await new STSClient({ region: TEST_REGION, maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(id.Account, CALLER_ACCOUNT);
  });

  it("AssumeRole hands out temporary credentials that act as the role's account for STS, EC2 and S3", async () => {
    const before = ctx.aws.clock.now();
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "audit-run", DurationSeconds: 900 }),
    );
    const after = ctx.aws.clock.now();
    const c = out.Credentials;
    assert.ok(c?.AccessKeyId?.startsWith("ASIA"));
    assert.ok(c?.SecretAccessKey && c.SessionToken);
    const expires = c?.Expiration?.getTime() ?? 0;
    // On the simulated clock, 900 s after the call (Expiration has whole seconds).
    assert.ok(
      expires >= before + 900_000 - 1000 && expires <= after + 900_000,
      `expiration ${c?.Expiration}`,
    );
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/auditor/audit-run`);
    const creds: Creds = {
      accessKeyId: c?.AccessKeyId ?? "",
      secretAccessKey: c?.SecretAccessKey ?? "",
      sessionToken: c?.SessionToken,
    };
    const who = await sts(creds).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, ROLE_ACCOUNT);
    assert.equal(who.Arn, `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/auditor/audit-run`);
    assert.match(who.UserId ?? "", /^AROA[0-9A-F]+:audit-run$/);

    await ec2(creds).send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.equal(ctx.aws.log.at(-1)?.accountId, ROLE_ACCOUNT);
    const s3 = new S3Client({
      endpoint: ctx.aws.endpoint,
      region: TEST_REGION,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: creds,
    });
    await s3.send(new ListBucketsCommand({}));
    assert.equal(ctx.aws.log.at(-1)?.accountId, ROLE_ACCOUNT);
  });

  it("expired temporary credentials answer ExpiredToken (STS, S3) and RequestExpired (EC2)", async () => {
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "short" }));
    const creds: Creds = {
      accessKeyId: out.Credentials?.AccessKeyId ?? "",
      secretAccessKey: out.Credentials?.SecretAccessKey ?? "",
      sessionToken: out.Credentials?.SessionToken,
    };
    await sts(creds).send(new GetCallerIdentityCommand({}));
    ctx.aws.advance(3600_000);
    await expectAwsError(sts(creds).send(new GetCallerIdentityCommand({})), "ExpiredToken", 400);
    await expectAwsError(
      ec2(creds).send(new DescribeImagesCommand({ Owners: ["self"] })),
      "RequestExpired",
      400,
    );
    const s3 = new S3Client({
      endpoint: ctx.aws.endpoint,
      region: TEST_REGION,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: creds,
    });
    await expectAwsError(s3.send(new ListBucketsCommand({})), "ExpiredToken", 400);
  });

  it("a temporary key without its session token is refused", async () => {
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "tokenless" }));
    const creds: Creds = {
      accessKeyId: out.Credentials?.AccessKeyId ?? "",
      secretAccessKey: out.Credentials?.SecretAccessKey ?? "",
    };
    await expectAwsError(sts(creds).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    await expectAwsError(
      ec2(creds).send(new DescribeImagesCommand({ Owners: ["self"] })),
      "AuthFailure",
      401,
    );
  });

  it("roles listed in deniedRoleArns answer AccessDenied; bad input answers ValidationError", async () => {
    await expectAwsError(
      sts().send(new AssumeRoleCommand({ RoleArn: DENIED_ROLE, RoleSessionName: "nope" })),
      "AccessDenied",
      403,
    );
    await expectAwsError(
      sts().send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::12:role/x", RoleSessionName: "s1" })),
      "ValidationError",
      400,
    );
    await expectAwsError(
      sts().send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "s1", DurationSeconds: 60 })),
      "ValidationError",
      400,
    );
    await expectAwsError(
      sts().send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "bad name!" })),
      "ValidationError",
      400,
    );
  });

  it("injected faults reach STS only when they name service 'sts'", async () => {
    ctx.aws.faults.inject({ action: "*", code: "InternalError", status: 500 });
    await sts().send(new GetCallerIdentityCommand({}));
    assert.equal(ctx.aws.faults.pending.length, 1, "an unscoped fault is for EC2/S3");
    ctx.aws.faults.clear();
    ctx.aws.faults.inject({ action: "GetCallerIdentity", service: "sts", code: "Throttling", status: 400 });
    await expectAwsError(sts().send(new GetCallerIdentityCommand({})), "Throttling", 400);
  });
});

describe("local-aws without STS (sts: false)", () => {
  it("answers STS requests as an unknown action, while EC2 works", async () => {
    const aws = await startLocalAws({ sts: false, timeScale: 0.001 });
    try {
      const client = new STSClient({
        endpoint: aws.endpoint,
        region: TEST_REGION,
        maxAttempts: 1,
        credentials: TEST_CREDENTIALS,
      });
      await expectAwsError(client.send(new GetCallerIdentityCommand({})), "InvalidAction", 400);
      const ec2 = new EC2Client({
        endpoint: aws.endpoint,
        region: TEST_REGION,
        maxAttempts: 1,
        credentials: TEST_CREDENTIALS,
      });
      await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    } finally {
      await aws.stop();
    }
  });
});
