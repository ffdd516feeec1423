// Shared setup for the S3 tests: the real local endpoint (startLocalAws) with two accounts, real
// S3Clients (path-style), and a raw HTTP helper for requests the SDK never sends.
import { request } from "node:http";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import assert from "node:assert/strict";
import { LocalAws, startLocalAws } from "../../local-aws";
import { S3Store } from "../../local-aws/s3";

export const ALICE = {
  accessKeyId: "AKIAALICE00000000001",
  secretAccessKey: "alice-secret",
  account: "111111111111",
};
export const BOB = {
  accessKeyId: "AKIABOB0000000000002",
  secretAccessKey: "bob-secret",
  account: "222222222222",
};
export type Who = typeof ALICE;

export interface S3Env {
  aws: LocalAws;
  store: S3Store;
  client(who?: Who, region?: string): S3Client;
  raw(req: RawRequest): Promise<RawResponse>;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  who?: Who;
  region?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Starts local-aws for one test file; call inside `before`, stop in `after`. */
export async function startS3Env(): Promise<S3Env> {
  const aws = await startLocalAws({
    accounts: { [ALICE.accessKeyId]: ALICE.account, [BOB.accessKeyId]: BOB.account },
    seedBaseImages: false,
  });
  const store = aws.state.s3 as S3Store;
  assert.ok(store instanceof S3Store, "local-aws must serve S3 from local-aws/s3");
  const clients: S3Client[] = [];
  const env: S3Env = {
    aws,
    store,
    client(who = ALICE, region = "us-west-2") {
      const c = new S3Client({
        region,
        endpoint: aws.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    },
    raw(r) {
      const who = r.who ?? ALICE;
      const region = r.region ?? "us-west-2";
      const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
      return new Promise((resolve, reject) => {
        const req = request(
          `${aws.endpoint}${r.path}`,
          {
            method: r.method,
            headers: {
              authorization: `AWS4-HMAC-SHA256 Credential=${who.accessKeyId}/20250101/${region}/s3/aws4_request, SignedHeaders=host, Signature=00`,
              "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
              "content-length": String(body.length),
              ...(r.headers ?? {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString("utf8"),
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    },
  };
  const stop = aws.stop.bind(aws);
  aws.stop = async () => {
    for (const c of clients) c.destroy();
    await stop();
  };
  return env;
}

/** Awaits a rejected SDK call and checks its error name and HTTP status. */
/** `name` undefined: only the status is checked (the SDK names body-less HEAD errors itself). */
export async function rejectsWith(
  p: Promise<unknown>,
  name: string | undefined,
  status: number,
): Promise<S3ServiceException> {
  try {
    await p;
  } catch (e) {
    const err = e as S3ServiceException;
    if (name !== undefined) assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status, `HTTP status of ${name}`);
    return err;
  }
  assert.fail(`expected ${name} (${status}), but the call succeeded`);
}
