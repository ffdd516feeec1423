// The client factories against local-aws: retry budget (throttling, 5xx, resets), no retry of
// client errors, and path-style S3 whenever an endpoint override is in effect.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeImagesCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { BudgetRetryStrategy, ec2Client, s3Client } from "../../../provider/aws/clients";
import { REGION, startEnv, type Env } from "../teardownFixtures";

const FAST = { budgetMs: 2000, baseDelayMs: 2, maxDelayMs: 20 };

describe("aws/clients", () => {
  let env: Env;
  afterEach(async () => env && (await env.stop()));

  it("retries RequestLimitExceeded until it clears (more than the SDK's default 3 attempts)", async () => {
    // Eight throttles in a row also slow the pacer's DescribeSnapshots bucket (x0.7 each), so the
    // retries wait ~2.7 s for tokens in all: a budget that leaves room for that.
    env = await startEnv({}, { ...FAST, budgetMs: 10_000 });
    env.aws.faults.inject({
      action: "DescribeSnapshots",
      code: "RequestLimitExceeded",
      status: 503,
      times: 8,
    });
    const out = await env.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    assert.equal(out.$metadata.attempts, 9);
  });

  it("retries Throttling / 429 answers", async () => {
    env = await startEnv({}, FAST);
    env.aws.faults.inject({ action: "DescribeSnapshots", code: "Throttling", status: 429, times: 3 });
    assert.equal((await env.ec2.send(new DescribeSnapshotsCommand({}))).$metadata.attempts, 4);
  });

  it("retries 500, 503 and connection resets", async () => {
    env = await startEnv({}, FAST);
    env.aws.faults.inject({ action: "DescribeImages", code: "InternalError", status: 500, times: 2 });
    env.aws.faults.inject({ action: "DescribeImages", code: "Unavailable", status: 503, times: 2 });
    env.aws.faults.inject({ action: "DescribeImages", resetConnection: true, times: 2 });
    const out = await env.ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.equal(out.$metadata.attempts, 7);
  });

  it("waits out a slow answer", async () => {
    env = await startEnv({}, FAST);
    env.aws.faults.inject({ action: "DescribeImages", latencyMs: 300, times: 1 });
    const out = await env.ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.equal(out.$metadata.attempts, 1);
  });

  it("does not retry client errors", async () => {
    env = await startEnv({}, FAST);
    env.aws.faults.inject({ action: "DescribeImages", code: "UnauthorizedOperation", status: 403, times: 5 });
    await assert.rejects(env.ec2.send(new DescribeImagesCommand({})), { name: "UnauthorizedOperation" });
    assert.equal(env.aws.log.filter((e) => e.action === "DescribeImages").length, 1);
  });

  it("surfaces the throttling error once the time budget is spent", async () => {
    // The budget alone: with pacing on, every throttled answer also slows this action's bucket (pacer.test.ts).
    process.env.MANAGED_AMI_EC2_RATE_LIMITS = "off";
    try {
      env = await startEnv({}, { budgetMs: 200, baseDelayMs: 5, maxDelayMs: 40 });
      env.aws.faults.inject({
        action: "DescribeImages",
        code: "RequestLimitExceeded",
        status: 503,
        times: Infinity,
      });
      const started = Date.now();
      await assert.rejects(env.ec2.send(new DescribeImagesCommand({})), { name: "RequestLimitExceeded" });
      const took = Date.now() - started;
      assert.ok(took < 2000, `took ${took} ms`);
      assert.ok(env.aws.log.filter((e) => e.action === "DescribeImages").length > 3);
    } finally {
      delete process.env.MANAGED_AMI_EC2_RATE_LIMITS;
    }
  });

  it("reads the budget from MANAGED_AMI_RETRY_* env vars when not given", () => {
    process.env.MANAGED_AMI_RETRY_BUDGET_MS = "1234";
    process.env.MANAGED_AMI_RETRY_BASE_MS = "7";
    try {
      const s = new BudgetRetryStrategy();
      assert.equal(s.budgetMs, 1234);
      assert.equal(s.baseDelayMs, 7);
    } finally {
      delete process.env.MANAGED_AMI_RETRY_BUDGET_MS;
      delete process.env.MANAGED_AMI_RETRY_BASE_MS;
    }
    assert.equal(new BudgetRetryStrategy().budgetMs, 300_000);
  });

  it("backs off exponentially with full jitter and stops at the budget", async () => {
    const s = new BudgetRetryStrategy({
      budgetMs: 10_000,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.999,
    });
    let token = await s.acquireInitialRetryToken("");
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      token = await s.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT" });
      delays.push(token.getRetryDelay());
    }
    assert.deepEqual(delays, [99, 199, 399, 799, 999]);
    const zero = new BudgetRetryStrategy({ budgetMs: 10_000, baseDelayMs: 100, random: () => 0 });
    assert.equal(
      (
        await zero.refreshRetryTokenForRetry(await zero.acquireInitialRetryToken(""), {
          errorType: "THROTTLING",
        })
      ).getRetryDelay(),
      0,
    );
    const tight = new BudgetRetryStrategy({ budgetMs: 50, baseDelayMs: 100, random: () => 0.999 });
    await assert.rejects(
      tight.refreshRetryTokenForRetry(await tight.acquireInitialRetryToken(""), { errorType: "THROTTLING" }),
    );
    await assert.rejects(s.refreshRetryTokenForRetry(token, { errorType: "CLIENT_ERROR" }));
  });

  it("runs the retry budget from the first failure: time spent waiting for a pacing token is not retry time", async () => {
    const s = new BudgetRetryStrategy({ budgetMs: 100, baseDelayMs: 1, random: () => 0 });
    const token = await s.acquireInitialRetryToken("");
    await new Promise((resolve) => setTimeout(resolve, 150)); // the first attempt waited its turn, then failed
    const retry = await s.refreshRetryTokenForRetry(token, { errorType: "THROTTLING" });
    assert.equal(retry.getRetryCount(), 1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    await assert.rejects(s.refreshRetryTokenForRetry(retry, { errorType: "THROTTLING" }), /budget/);
  });

  it("gives an unreachable endpoint only the connect budget, counted from the start of the call", async () => {
    const s = new BudgetRetryStrategy({
      budgetMs: 60_000,
      connectBudgetMs: 50,
      baseDelayMs: 1,
      random: () => 0,
    });
    const refused = {
      errorType: "TRANSIENT" as const,
      error: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    };
    const token = await s.acquireInitialRetryToken("");
    await s.refreshRetryTokenForRetry(token, refused);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await assert.rejects(s.refreshRetryTokenForRetry(token, refused), /unreachable/);
    // A reset connection (the endpoint answered, then dropped) keeps the whole budget.
    const reset = {
      errorType: "TRANSIENT" as const,
      error: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
    };
    assert.equal((await s.refreshRetryTokenForRetry(token, reset)).getRetryCount(), 1);
  });

  describe("S3 path-style addressing with an endpoint override", () => {
    // Virtual-hosted style would send `bucket.127.0.0.1`, which does not resolve: success proves path style.
    it("AWS_ENDPOINT_URL_S3", async () => {
      env = await startEnv();
      const s3 = s3Client(REGION, { retry: FAST });
      await s3.send(new CreateBucketCommand({ Bucket: "path-style-a" }));
      await s3.send(new PutObjectCommand({ Bucket: "path-style-a", Key: "k", Body: "v" }));
      assert.equal(s3.config.forcePathStyle, true);
    });

    it("AWS_ENDPOINT_URL (all services)", async () => {
      env = await startEnv();
      const endpoint = process.env.AWS_ENDPOINT_URL_S3 as string;
      delete process.env.AWS_ENDPOINT_URL_S3;
      delete process.env.AWS_ENDPOINT_URL_EC2;
      process.env.AWS_ENDPOINT_URL = endpoint;
      try {
        await s3Client(REGION, { retry: FAST }).send(new CreateBucketCommand({ Bucket: "path-style-b" }));
        await ec2Client(REGION, { retry: FAST }).send(new DescribeSnapshotsCommand({}));
      } finally {
        delete process.env.AWS_ENDPOINT_URL;
      }
    });

    it("a profile's endpoint_url in the shared config file", async () => {
      env = await startEnv();
      const endpoint = process.env.AWS_ENDPOINT_URL_S3 as string;
      const dir = mkdtempSync(join(tmpdir(), "managed-ami-cfg-"));
      writeFileSync(join(dir, "config"), `[default]\nendpoint_url = ${endpoint}\n`);
      const saved = { c: process.env.AWS_CONFIG_FILE, s3: process.env.AWS_ENDPOINT_URL_S3 };
      delete process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_CONFIG_FILE = join(dir, "config");
      try {
        const s3 = s3Client(REGION, { retry: FAST });
        await s3.send(new CreateBucketCommand({ Bucket: "path-style-c" }));
        assert.equal(s3.config.forcePathStyle, true);
      } finally {
        if (saved.c === undefined) delete process.env.AWS_CONFIG_FILE;
        else process.env.AWS_CONFIG_FILE = saved.c;
        process.env.AWS_ENDPOINT_URL_S3 = saved.s3;
      }
    });

    it("stays virtual-hosted (the SDK default) without an override", async () => {
      const saved = {
        a: process.env.AWS_ENDPOINT_URL,
        s3: process.env.AWS_ENDPOINT_URL_S3,
        cfg: process.env.AWS_CONFIG_FILE,
      };
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_CONFIG_FILE = join(tmpdir(), "managed-ami-no-such-config");
      try {
        const s3 = s3Client(REGION);
        assert.notEqual(s3.config.forcePathStyle, true);
      } finally {
        for (const [k, v] of [
          ["AWS_ENDPOINT_URL", saved.a],
          ["AWS_ENDPOINT_URL_S3", saved.s3],
          ["AWS_CONFIG_FILE", saved.cfg],
        ] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });
  });
});
