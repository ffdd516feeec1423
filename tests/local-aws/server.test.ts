import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { DescribeImagesCommand, DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { startLocalAws } from "../../local-aws";
import {
  OTHER_CREDENTIALS,
  TEST_CREDENTIALS,
  ec2For,
  expectAwsError,
  seedEbsImage,
  withLocalAws,
} from "../support/localAws";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(endpoint: string, body: string, authorization?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}/`,
      {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          ...(authorization ? { authorization } : {}),
        },
      },
      (res) => {
        let data = "";
        res.on("data", (c: Buffer) => (data += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const AUTH = (service: string, region = "eu-central-1", key = "AKIARAW") =>
  `AWS4-HMAC-SHA256 Credential=${key}/20240101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe("local-aws server", () => {
  const ctx = withLocalAws({ accounts: { AKIAMAPPED: "123456789012" } });

  it("binds 127.0.0.1 and answers in the EC2 namespace with matching request ids", async () => {
    assert.match(ctx.aws.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await post(ctx.aws.endpoint, "Action=DescribeRegions&Version=2016-11-15", AUTH("ec2"));
    assert.equal(res.status, 200);
    assert.match(
      res.body,
      /<DescribeRegionsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/">/,
    );
    const id = /<requestId>([^<]+)<\/requestId>/.exec(res.body)?.[1];
    assert.ok(id);
    assert.equal(res.headers["x-amzn-requestid"], id);
  });

  it("answers errors as <Response><Errors><Error> with a RequestID", async () => {
    const res = await post(ctx.aws.endpoint, "Action=FlyToTheMoon&Version=2016-11-15", AUTH("ec2"));
    assert.equal(res.status, 400);
    assert.match(
      res.body,
      /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[^<]+<\/RequestID><\/Response>$/,
    );
  });

  it("rejects an unsigned request with AuthFailure and an unknown service by name", async () => {
    const unsigned = await post(ctx.aws.endpoint, "Action=DescribeRegions&Version=2016-11-15");
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.body, /<Code>AuthFailure<\/Code>/);
    const sqs = await post(ctx.aws.endpoint, "Action=ListQueues", AUTH("sqs"));
    assert.match(sqs.body, /<Code>InvalidAction<\/Code>/);
  });

  it("reads region and account from the credential scope: mapped keys and stable derived ids", async () => {
    await post(
      ctx.aws.endpoint,
      "Action=DescribeRegions&Version=2016-11-15",
      AUTH("ec2", "ap-south-1", "AKIAMAPPED"),
    );
    await post(
      ctx.aws.endpoint,
      "Action=DescribeRegions&Version=2016-11-15",
      AUTH("ec2", "ap-south-1", "AKIAOTHER"),
    );
    const [mapped, derived] = ctx.aws.log.slice(-2);
    assert.equal(mapped.region, "ap-south-1");
    assert.equal(mapped.accountId, "123456789012");
    assert.match(derived.accountId, /^\d{12}$/);
    assert.equal(derived.accountId, ctx.aws.state.accountIdFor("AKIAOTHER"));
    assert.notEqual(
      ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId),
      ctx.aws.state.accountIdFor(OTHER_CREDENTIALS.accessKeyId),
    );
  });

  it("logs every call with service, action, params, region, account, status and code", async () => {
    const ec2 = ec2For(ctx.aws, "eu-west-1");
    await expectAwsError(
      ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-0123456789abcdef0"] })),
      "InvalidAMIID.NotFound",
    );
    const entry = ctx.aws.log[ctx.aws.log.length - 1];
    assert.equal(entry.service, "ec2");
    assert.equal(entry.action, "DescribeImages");
    assert.equal(entry.params["ImageId.1"], "ami-0123456789abcdef0");
    assert.equal(entry.region, "eu-west-1");
    assert.equal(entry.accountId, ctx.aws.state.accountIdFor(TEST_CREDENTIALS.accessKeyId));
    assert.equal(entry.status, 400);
    assert.equal(entry.code, "InvalidAMIID.NotFound");
    assert.ok(Math.abs(entry.time - ctx.aws.clock.now()) < 60000);
    assert.equal(
      ctx.aws.log.filter((l) => l.action === "DeleteSnapshot").length,
      0,
      "no DeleteSnapshot call was made",
    );
  });

  it("uses the env vars set by withLocalAws for clients built from the default chain", async () => {
    const ec2 = new EC2Client({ maxAttempts: 1 });
    const out = await ec2.send(new DescribeRegionsCommand({}));
    assert.ok((out.Regions?.length ?? 0) > 0);
    assert.equal(ctx.aws.log[ctx.aws.log.length - 1].region, "us-east-1");
  });

  it("rejects a bad accounts option before starting", async () => {
    await assert.rejects(startLocalAws({ accounts: { K: "12" } }), /12-digit/);
  });

  it("stop() closes the port", async () => {
    const aws = await startLocalAws();
    const ec2 = new EC2Client({
      endpoint: aws.endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: TEST_CREDENTIALS,
    });
    await ec2.send(new DescribeRegionsCommand({}));
    await aws.stop();
    await assert.rejects(ec2.send(new DescribeRegionsCommand({})));
    const fresh = new EC2Client({
      endpoint: aws.endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: TEST_CREDENTIALS,
    });
    await assert.rejects(fresh.send(new DescribeRegionsCommand({})), /ECONNREFUSED/);
  });

  it("reset() forgets resources, log and faults", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "forget-me");
    ctx.aws.faults.inject({ action: "DescribeImages", code: "InternalError", times: 5 });
    ctx.aws.reset();
    assert.equal(ctx.aws.log.length, 0);
    await expectAwsError(
      ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
      "InvalidAMIID.NotFound",
    );
  });

  it("npm run local-aws (cli.ts) prints the endpoint and env lines, serves, and exits on SIGINT", async function () {
    this.timeout(20000);
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register",
        join(__dirname, "../../local-aws/cli.ts"),
        "--port",
        "0",
        "--time-scale",
        "0.5",
      ],
      {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /export AWS_ENDPOINT_URL_EC2=(\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`cli exited ${code}: ${out}`)));
    });
    assert.match(out, /export AWS_ENDPOINT_URL_S3=http:\/\/127\.0\.0\.1:\d+/);
    const ec2 = new EC2Client({
      endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: TEST_CREDENTIALS,
    });
    assert.ok((await ec2.send(new DescribeRegionsCommand({}))).Regions?.length);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });
});
