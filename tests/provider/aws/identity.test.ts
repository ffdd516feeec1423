import assert from "node:assert/strict";
import { createServer } from "node:net";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { startLocalAws } from "../../../local-aws";
import { callerAccount, forgetCallerAccounts } from "../../../provider/aws/identity";
import { TEST_CREDENTIALS, TEST_REGION, withLocalAws } from "../../support/localAws";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("callerAccount (STS GetCallerIdentity)", () => {
  const ctx = withLocalAws({
    timeScale: 0.001,
    accounts: { [TEST_CREDENTIALS.accessKeyId]: "123456789012" },
  });
  beforeEach(() => forgetCallerAccounts());

  it("answers the account of the credentials", async () => {
    assert.deepEqual(await callerAccount(TEST_REGION), { accountId: "123456789012" });
  });

  it("asks once per access key id: concurrent and later calls share the answer", async () => {
    const calls = (): number => ctx.aws.log.filter((e) => e.action === "GetCallerIdentity").length;
    const before = calls();
    const answers = await Promise.all(Array.from({ length: 20 }, () => callerAccount(TEST_REGION)));
    assert.ok(answers.every((a) => a.accountId === "123456789012"));
    assert.equal((await callerAccount(TEST_REGION)).accountId, "123456789012");
    assert.equal(calls() - before, 1);
  });

  it("does not keep a failure: the next call asks again", async () => {
    ctx.aws.faults.inject({
      action: "GetCallerIdentity",
      service: "sts",
      code: "InternalError",
      status: 500,
      times: 1,
    });
    const before = ctx.aws.log.filter((e) => e.action === "GetCallerIdentity").length;
    await assert.rejects(callerAccount(TEST_REGION, { retry: { budgetMs: 0 } }));
    assert.equal((await callerAccount(TEST_REGION)).accountId, "123456789012");
    assert.equal(ctx.aws.log.filter((e) => e.action === "GetCallerIdentity").length - before, 2);
  });

  it("retries throttling like every client", async () => {
    ctx.aws.faults.inject({
      action: "GetCallerIdentity",
      service: "sts",
      code: "Throttling",
      status: 400,
      times: 2,
    });
    const out = await callerAccount(TEST_REGION, { retry: { baseDelayMs: 1 } });
    assert.equal(out.accountId, "123456789012");
    assert.deepEqual(ctx.aws.faults.pending, []);
  });

  it("skips an endpoint that answers STS as an unknown action", async () => {
    const bare = await startLocalAws({ sts: false, timeScale: 0.001 });
    try {
      const out = await callerAccount(TEST_REGION, { endpoint: bare.endpoint });
      assert.equal(out.accountId, undefined);
      assert.match(out.skipped ?? "", /does not serve STS/);
    } finally {
      await bare.stop();
    }
  });

  it("skips at once when nothing listens where STS would be (no retry budget spent)", async () => {
    const port = await closedPort();
    const out = await callerAccount(TEST_REGION, {
      endpoint: `http://127.0.0.1:${port}`,
      retry: { budgetMs: 600_000 },
    });
    assert.match(out.skipped ?? "", /does not serve STS/);
  });

  it("skips when EC2 goes to an overridden endpoint and no STS endpoint is configured", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    delete process.env.AWS_ENDPOINT_URL_STS;
    try {
      const mark = ctx.aws.log.length;
      const out = await callerAccount(TEST_REGION);
      assert.match(out.skipped ?? "", /AWS_ENDPOINT_URL_STS/);
      assert.equal(ctx.aws.log.length, mark, "no request was sent");
    } finally {
      process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });

  it("fails on expired credentials (every other call would fail too)", async () => {
    const sts = new STSClient({
      endpoint: ctx.aws.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
    });
    const role = await sts.send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::210987654321:role/r", RoleSessionName: "s1" }),
    );
    ctx.aws.advance(2 * 3600_000);
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = role.Credentials?.AccessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = role.Credentials?.SecretAccessKey;
    process.env.AWS_SESSION_TOKEN = role.Credentials?.SessionToken;
    try {
      await assert.rejects(callerAccount(TEST_REGION), (err: Error) => err.name === "ExpiredToken");
    } finally {
      for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
