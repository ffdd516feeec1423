// The provider fails fast too: a destroy and a create against an endpoint that is not there fail
// within ~10 s with an error naming the endpoint and the variable that set it.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { forgetUnreachableEndpoints } from "../../../provider/aws/failFast";
import * as runtime from "../../../provider/runtime";
import type { ManagedAmiOutputs } from "../../../provider/types";
import { AWS_ENV_KEYS, replaceEnv } from "../../support/env";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("provider fails fast when AWS cannot be reached", function () {
  this.timeout(30_000);
  let restore = (): void => {};
  let url = "";
  beforeEach(async () => {
    // A closed port the OS hands out again may have been found unreachable by an earlier test.
    forgetUnreachableEndpoints();
    url = `http://127.0.0.1:${await closedPort()}`;
    restore = replaceEnv([...AWS_ENV_KEYS, "AWS_CONFIG_FILE"], {
      AWS_ACCESS_KEY_ID: "AKIDFAILFASTPROVIDER",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/nonexistent-aws-config",
      AWS_ENDPOINT_URL_EC2: url,
      AWS_ENDPOINT_URL_S3: url,
    });
  });
  afterEach(() => restore());

  it("delete: within 10 s, naming the image, the endpoint and AWS_ENDPOINT_URL_EC2; nothing deleted", async () => {
    const outputs = {
      name: "web",
      imageId: "ami-0123456789abcdef0",
      region: "us-east-1",
      snapshotIds: ["snap-0123456789abcdef0"],
      rootDeviceType: "ebs",
      adopt: { imageId: "ami-0123456789abcdef0" },
    } as unknown as ManagedAmiOutputs;
    const started = Date.now();
    const err = await runtime.delete(outputs.imageId, outputs).then(
      () => assert.fail("delete should fail"),
      (e: Error) => e,
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.match(err.message, /ami-0123456789abcdef0/);
    assert.ok(
      err.message.includes(`Cannot reach the EC2 endpoint ${url} (set by AWS_ENDPOINT_URL_EC2)`),
      err.message,
    );
    assert.match(err.message, /nothing was deleted/);
  });

  it("create: within 10 s, naming the endpoint", async () => {
    const started = Date.now();
    const err = await runtime.create({ adopt: { imageId: "ami-0123456789abcdef0" } } as never).then(
      () => assert.fail("create should fail"),
      (e: Error) => e,
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.ok(
      err.message.includes(`Cannot reach the EC2 endpoint ${url} (set by AWS_ENDPOINT_URL_EC2)`),
      err.message,
    );
  });
});
