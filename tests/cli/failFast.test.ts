// `managed-ami audit` fails fast when AWS cannot be reached: a closed port, an unresolvable host
// and an invalid endpoint end the run within ~10 s with a message naming the endpoint and its source.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { startLocalAws, type LocalAws } from "../../local-aws";
import { ROOT, runCli } from "./seed";

const BIN = join(ROOT, "dist", "cli", "managed-ami.js");

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: "/nonexistent-home-for-audit-tests",
    AWS_ACCESS_KEY_ID: "AKIDCLIFAILFAST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent-aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent-aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

describe("managed-ami audit fails fast when AWS cannot be reached", function () {
  this.timeout(30_000);
  before(function () {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does).`);
  });

  it("connection refused: exits non-zero within 10 s, naming the endpoint and AWS_ENDPOINT_URL_EC2", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const r = await runCli(
      ["audit", "--region", "us-east-1"],
      env({ AWS_ENDPOINT_URL_EC2: url, AWS_ENDPOINT_URL_S3: url }),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(`Cannot reach the EC2 endpoint ${url} (set by AWS_ENDPOINT_URL_EC2)`),
      r.stderr,
    );
    assert.match(r.stderr, /connection refused/);
    assert.equal(r.stdout.trim(), "");
  });

  it("an unresolvable host: exits non-zero within 10 s, naming the host and AWS_ENDPOINT_URL", async () => {
    const started = Date.now();
    const r = await runCli(
      ["audit", "--region", "us-east-1"],
      env({ AWS_ENDPOINT_URL: "http://nonexistent.invalid:4566" }),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nonexistent\.invalid:4566 \(set by AWS_ENDPOINT_URL\)/);
    assert.match(r.stderr, /does not resolve/);
  });

  it("an invalid endpoint: exits non-zero at once, naming the value and the variable", async () => {
    const started = Date.now();
    const r = await runCli(
      ["audit", "--region", "us-east-1"],
      env({ AWS_ENDPOINT_URL_EC2: "localhost:4566" }),
    );
    assert.ok((Date.now() - started) / 1000 < 10);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /"localhost:4566" \(set by AWS_ENDPOINT_URL_EC2\) is not a valid endpoint URL/);
  });

  describe("the STS and Organizations clients of a multi-account audit", () => {
    let aws: LocalAws;
    before(async () => {
      aws = await startLocalAws({ timeScale: 0.001 });
    });
    after(() => aws.stop());

    it("an unreachable STS endpoint (--accounts): exits within 10 s naming it and AWS_ENDPOINT_URL_STS", async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const started = Date.now();
      const r = await runCli(
        ["audit", "--region", "us-east-1", "--accounts", "111122223333", "--role-name", "Audit"],
        env({
          AWS_ENDPOINT_URL_EC2: aws.endpoint,
          AWS_ENDPOINT_URL_S3: aws.endpoint,
          AWS_ENDPOINT_URL_STS: url,
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds < 10, `took ${seconds} s`);
      assert.equal(r.code, 2);
      assert.ok(
        r.stderr.includes(`Cannot reach the STS endpoint ${url} (set by AWS_ENDPOINT_URL_STS)`),
        r.stderr,
      );
      assert.doesNotMatch(r.stderr, /Grant it/, "an unreachable endpoint is not a permission problem");
    });

    it("an unreachable Organizations endpoint (--organization): exits within 10 s naming it", async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const started = Date.now();
      const r = await runCli(
        ["audit", "--region", "us-east-1", "--organization", "--role-name", "Audit"],
        env({
          AWS_ENDPOINT_URL_EC2: aws.endpoint,
          AWS_ENDPOINT_URL_S3: aws.endpoint,
          AWS_ENDPOINT_URL_STS: aws.endpoint,
          AWS_ENDPOINT_URL_ORGANIZATIONS: url,
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds < 10, `took ${seconds} s`);
      assert.equal(r.code, 2);
      assert.ok(
        r.stderr.includes(
          `Cannot reach the Organizations endpoint ${url} (set by AWS_ENDPOINT_URL_ORGANIZATIONS)`,
        ),
        r.stderr,
      );
    });
  });
});
