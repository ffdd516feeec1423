// Fail fast when AWS cannot be reached: a closed port, an unresolvable host (`.invalid` never
// resolves) and an invalid endpoint fail within ~10 s, naming the endpoint and what set it; throttling
// and 5xx keep the retry budget, and a call retrying for long says so through the retry notifier.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeImagesCommand } from "@aws-sdk/client-ec2";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { ec2Client, s3Client, setRetryNotifier } from "../../../provider/aws/clients";
import { endpointInUse, forgetUnreachableEndpoints } from "../../../provider/aws/failFast";
import { AWS_ENV_KEYS, replaceEnv } from "../../support/env";
import { REGION, startEnv, type Env } from "../teardownFixtures";

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(p: Promise<unknown>): Promise<{ err: Error; seconds: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { err: err as Error, seconds: (Date.now() - started) / 1000 };
  }
  throw new Error("expected the call to fail");
}

const TEST_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDFAILFAST",
  AWS_SECRET_ACCESS_KEY: "secret",
  AWS_REGION: REGION,
  AWS_CONFIG_FILE: "/nonexistent-aws-config",
};

describe("aws/failFast", () => {
  let restore = (): void => {};
  beforeEach(() => {
    // A closed port the OS hands out again may have been found unreachable by an earlier test.
    forgetUnreachableEndpoints();
    restore = replaceEnv(
      [...AWS_ENV_KEYS, "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "MANAGED_AMI_CONNECT_BUDGET_MS"],
      TEST_ENV,
    );
  });
  afterEach(() => restore());

  it("connection refused fails within 10 s with the default budget, naming the endpoint and AWS_ENDPOINT_URL_EC2", async function () {
    this.timeout(20_000);
    const url = `http://127.0.0.1:${await closedPort()}`;
    process.env.AWS_ENDPOINT_URL_EC2 = url;
    const { err, seconds } = await failure(
      ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })),
    );
    assert.equal(err.name, "EndpointUnreachable");
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.ok(
      seconds > 1,
      `retried for a few seconds first (${seconds} s): a restarting endpoint gets a chance`,
    );
    assert.ok(err.message.includes(url), err.message);
    assert.match(err.message, /set by AWS_ENDPOINT_URL_EC2/);
    assert.match(err.message, /connection refused/);
    assert.match(err.message, /DescribeImages/);
    assert.match(err.message, /attempts in \d+\.\d s/);
  });

  it("an unresolvable host fails fast, naming it and AWS_ENDPOINT_URL", async () => {
    process.env.MANAGED_AMI_CONNECT_BUDGET_MS = "1000";
    process.env.AWS_ENDPOINT_URL = "http://nonexistent.invalid:4566";
    const { err, seconds } = await failure(
      ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })),
    );
    assert.equal(err.name, "EndpointUnreachable");
    assert.ok(seconds < 5, `took ${seconds} s`);
    assert.match(err.message, /nonexistent\.invalid:4566 \(set by AWS_ENDPOINT_URL\)/);
    assert.match(err.message, /does not resolve \(DNS/);
  });

  it("once an endpoint was found unreachable, the next call to it makes one attempt, not another series", async () => {
    process.env.MANAGED_AMI_CONNECT_BUDGET_MS = "1500";
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${await closedPort()}`;
    const first = await failure(ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })));
    assert.match(first.err.message, /gave up after ([2-9]|\d\d+) attempts/);
    const second = await failure(ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })));
    assert.equal(second.err.name, "EndpointUnreachable");
    assert.match(second.err.message, /gave up after 1 attempt in/);
  });

  it("an invalid endpoint is refused before any request, naming the variable", async () => {
    for (const bad of ["localhost:4566", "not a url", "ftp://example.com"]) {
      process.env.AWS_ENDPOINT_URL_EC2 = bad;
      const { err, seconds } = await failure(
        ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })),
      );
      assert.equal(err.name, "InvalidEndpoint", bad);
      assert.ok(seconds < 1);
      assert.ok(err.message.includes(`"${bad}" (set by AWS_ENDPOINT_URL_EC2)`), err.message);
      assert.match(err.message, /http:\/\/ or https:\/\//);
    }
  });

  it("S3 clients fail fast too, naming AWS_ENDPOINT_URL_S3", async () => {
    process.env.MANAGED_AMI_CONNECT_BUDGET_MS = "1000";
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${await closedPort()}`;
    const { err } = await failure(s3Client(REGION).send(new ListBucketsCommand({})));
    assert.equal(err.name, "EndpointUnreachable");
    assert.match(err.message, /S3 endpoint .* \(set by AWS_ENDPOINT_URL_S3\)/);
  });

  it("names a profile's endpoint_url as the source", async () => {
    process.env.MANAGED_AMI_CONNECT_BUDGET_MS = "1000";
    const dir = mkdtempSync(join(tmpdir(), "managed-ami-failfast-"));
    const url = `http://127.0.0.1:${await closedPort()}`;
    writeFileSync(
      join(dir, "config"),
      `[profile ci]\nendpoint_url = ${url}\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n`,
    );
    process.env.AWS_CONFIG_FILE = join(dir, "config");
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
    process.env.AWS_PROFILE = "ci";
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const { err } = await failure(ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] })));
    assert.equal(err.name, "EndpointUnreachable");
    assert.ok(
      err.message.includes(`${url} (set by endpoint_url of AWS profile "ci" in ${join(dir, "config")})`),
      err.message,
    );
  });

  it("endpointInUse: the SDK's order, and AWS's default when nothing is set", async () => {
    const none = { serviceConfiguredEndpoint: async () => undefined };
    assert.deepEqual(
      await endpointInUse("EC2", REGION, "http://opt:1", none, { AWS_ENDPOINT_URL_EC2: "http://env:1" }),
      { url: "http://opt:1", source: "the client's endpoint option" },
    );
    assert.equal(
      (
        await endpointInUse("EC2", REGION, undefined, none, {
          AWS_ENDPOINT_URL_EC2: "http://a:1",
          AWS_ENDPOINT_URL: "http://b:1",
        })
      ).source,
      "AWS_ENDPOINT_URL_EC2",
    );
    assert.equal(
      (
        await endpointInUse("S3", REGION, undefined, none, {
          AWS_ENDPOINT_URL_EC2: "http://a:1",
          AWS_ENDPOINT_URL: "http://b:1",
        })
      ).source,
      "AWS_ENDPOINT_URL",
    );
    const fallback = await endpointInUse("EC2", REGION, undefined, none, {
      AWS_ENDPOINT_URL_EC2: "http://a:1",
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true",
    });
    assert.equal(fallback.url, undefined);
    assert.match(fallback.source, /AWS's default EC2 endpoint for us-east-1/);
  });

  describe("what keeps the retry budget", () => {
    let env: Env | undefined;
    const notices: string[] = [];
    beforeEach(() => {
      notices.length = 0;
      setRetryNotifier((m) => notices.push(m));
    });
    afterEach(async () => {
      setRetryNotifier(undefined);
      delete process.env.MANAGED_AMI_RETRY_NOTICE_MS;
      await env?.stop();
      env = undefined;
    });

    it("throttling and 5xx are retried well past the connect budget", async () => {
      process.env.MANAGED_AMI_CONNECT_BUDGET_MS = "50";
      env = await startEnv({}, { budgetMs: 5_000, baseDelayMs: 40, maxDelayMs: 80, random: () => 0.99 });
      env.aws.faults.inject({ action: "DescribeImages", code: "InternalError", status: 500, times: 3 });
      env.aws.faults.inject({
        action: "DescribeImages",
        code: "RequestLimitExceeded",
        status: 503,
        times: 3,
      });
      const started = Date.now();
      const out = await env.ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
      assert.equal(out.$metadata.attempts, 7);
      assert.ok(Date.now() - started > 50, "retried for longer than the connect budget");
    });

    it("a call retrying longer than the notice delay says so once, naming the action and the last answer", async () => {
      process.env.MANAGED_AMI_RETRY_NOTICE_MS = "100";
      env = await startEnv({}, { budgetMs: 5_000, baseDelayMs: 40, maxDelayMs: 60, random: () => 0.99 });
      env.aws.faults.inject({ action: "DescribeImages", code: "InternalError", status: 500, times: 6 });
      await env.ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
      assert.equal(notices.length, 1, notices.join("\n"));
      assert.match(
        notices[0],
        /EC2 DescribeImages at http:\/\/127\.0\.0\.1:\d+ has been retrying for \d+ s \(last answer: InternalError\); it keeps retrying for up to 5 s in all/,
      );
    });

    it("a call that succeeds quickly says nothing", async () => {
      process.env.MANAGED_AMI_RETRY_NOTICE_MS = "10000";
      env = await startEnv();
      env.aws.faults.inject({ action: "DescribeImages", code: "InternalError", status: 500, times: 2 });
      await env.ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
      assert.deepEqual(notices, []);
    });
  });
});
