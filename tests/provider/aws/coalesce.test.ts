// Shared lookups: which calls can share (table), the middleware over a recording fake handler
// (limits, pagination, errors), and concurrent plain SDK lookups against local-aws.
import assert from "node:assert/strict";
import {
  DescribeFastLaunchImagesCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ListSnapshotsInRecycleBinCommand,
  paginateDescribeSnapshots,
} from "@aws-sdk/client-ec2";
import type {
  HandlerExecutionContext,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
} from "@smithy/types";
import { ec2Client } from "../../../provider/aws/clients";
import { coalescingMiddleware, combinedInput, sharedLookup } from "../../../provider/aws/coalesce";
import { describeImage } from "../../../provider/aws/images";
import { bucketFor, resetPacer, scopeOf } from "../../../provider/aws/pacer";
import { existingSnapshots } from "../../../provider/aws/snapshots";
import { makeSnapshot, REGION, registerEbs, startEnv, type Env } from "../teardownFixtures";

type Input = Record<string, unknown>;

describe("aws/coalesce", () => {
  describe("sharedLookup: which calls may share", () => {
    const cases: [string, string, Input, { ids: string[]; rest: Input } | undefined][] = [
      [
        "images by ImageIds",
        "DescribeImagesCommand",
        { ImageIds: ["ami-1"], IncludeDisabled: true },
        { ids: ["ami-1"], rest: { IncludeDisabled: true } },
      ],
      [
        "images by image-id filter",
        "DescribeImagesCommand",
        { Filters: [{ Name: "image-id", Values: ["ami-1"] }] },
        { ids: ["ami-1"], rest: { Filters: [] } },
      ],
      [
        "images by snapshot reference, other filters kept",
        "DescribeImagesCommand",
        {
          Filters: [
            { Name: "state", Values: ["available"] },
            { Name: "block-device-mapping.snapshot-id", Values: ["snap-1"] },
          ],
        },
        { ids: ["snap-1"], rest: { Filters: [{ Name: "state", Values: ["available"] }] } },
      ],
      [
        "snapshots by SnapshotIds",
        "DescribeSnapshotsCommand",
        { SnapshotIds: ["snap-1", "snap-1"] },
        { ids: ["snap-1"], rest: {} },
      ],
      [
        "snapshots by filter, MaxResults dropped",
        "DescribeSnapshotsCommand",
        { Filters: [{ Name: "snapshot-id", Values: ["snap-1"] }], MaxResults: 5 },
        { ids: ["snap-1"], rest: { Filters: [] } },
      ],
      [
        "locked snapshots",
        "DescribeLockedSnapshotsCommand",
        { SnapshotIds: ["snap-1"] },
        { ids: ["snap-1"], rest: {} },
      ],
      [
        "fast launch",
        "DescribeFastLaunchImagesCommand",
        { ImageIds: ["ami-1"] },
        { ids: ["ami-1"], rest: {} },
      ],
      [
        "image references",
        "DescribeImageReferencesCommand",
        { ImageIds: ["ami-1"], IncludeAllResourceTypes: true, MaxResults: 5 },
        { ids: ["ami-1"], rest: { IncludeAllResourceTypes: true } },
      ],
      [
        "recycle bin snapshots",
        "ListSnapshotsInRecycleBinCommand",
        { SnapshotIds: ["snap-1"] },
        { ids: ["snap-1"], rest: {} },
      ],
      ["a continuation page", "DescribeImagesCommand", { ImageIds: ["ami-1"], NextToken: "t" }, undefined],
      ["a dry run", "DescribeImagesCommand", { ImageIds: ["ami-1"], DryRun: true }, undefined],
      ["no ids", "DescribeImagesCommand", { Owners: ["self"] }, undefined],
      [
        "ids both ways",
        "DescribeImagesCommand",
        { ImageIds: ["ami-1"], Filters: [{ Name: "image-id", Values: ["ami-2"] }] },
        { ids: ["ami-1"], rest: { Filters: [{ Name: "image-id", Values: ["ami-2"] }] } },
      ],
      [
        "two id filters",
        "DescribeSnapshotsCommand",
        {
          Filters: [
            { Name: "snapshot-id", Values: ["a"] },
            { Name: "snapshot-id", Values: ["b"] },
          ],
        },
        undefined,
      ],
      [
        "more image references than one call takes",
        "DescribeImageReferencesCommand",
        { ImageIds: Array.from({ length: 11 }, (_, i) => `ami-${i}`) },
        undefined,
      ],
      ["an action that is not a lookup", "DeregisterImageCommand", { ImageId: "ami-1" }, undefined],
    ];
    for (const [name, command, input, expected] of cases) {
      it(name, () => {
        const got = sharedLookup(command, input);
        assert.deepEqual(got && { ids: got.ids, rest: got.rest }, expected);
      });
    }

    it("combinedInput puts the ids back the way they came", () => {
      const byParam = sharedLookup("DescribeImagesCommand", { ImageIds: ["a"], IncludeDisabled: true });
      assert.deepEqual(combinedInput(byParam!.form, byParam!.rest, ["a", "b"]), {
        IncludeDisabled: true,
        ImageIds: ["a", "b"],
      });
      const byFilter = sharedLookup("DescribeSnapshotsCommand", {
        Filters: [{ Name: "snapshot-id", Values: ["a"] }],
      });
      assert.deepEqual(combinedInput(byFilter!.form, byFilter!.rest, ["a", "b"]), {
        Filters: [{ Name: "snapshot-id", Values: ["a", "b"] }],
      });
    });
  });

  describe("the middleware over a recording handler", () => {
    type Answer = (input: Input) => Record<string, unknown>;
    const calls: Input[] = [];
    let keyId = "AKIDONE";
    beforeEach(() => {
      calls.length = 0;
      keyId = "AKIDONE";
    });

    /** Send `inputs` concurrently through one middleware instance each (as separate clients would). */
    function sendAll(
      command: string,
      inputs: Input[],
      answer: Answer,
    ): Promise<PromiseSettledResult<Record<string, unknown>>[]> {
      return Promise.allSettled(
        inputs.map(async (input) => {
          const mw = coalescingMiddleware({
            region: REGION,
            endpoint: async () => "http://x",
            accessKeyId: async () => keyId,
          });
          const next = async (
            args: InitializeHandlerArguments<object>,
          ): Promise<InitializeHandlerOutput<object>> => {
            calls.push(args.input as Input);
            return { output: { $metadata: {}, ...answer(args.input as Input) }, response: {} };
          };
          const out = await mw(next, { commandName: command } as HandlerExecutionContext)({ input });
          return out.output as Record<string, unknown>;
        }),
      );
    }

    const references: Answer = (input) => ({
      ImageReferences: (input.ImageIds as string[]).map((id) => ({ ImageId: id, Arn: `arn:${id}` })),
    });

    it("25 concurrent single-image reference checks make ⌈25/10⌉ calls, each answer only its own", async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `ami-${String(i).padStart(8, "0")}`);
      const results = await sendAll(
        "DescribeImageReferencesCommand",
        ids.map((id) => ({ ImageIds: [id], IncludeAllResourceTypes: true })),
        references,
      );
      assert.equal(calls.length, 3);
      assert.ok(
        calls.every((c) => (c.ImageIds as string[]).length <= 10 && c.IncludeAllResourceTypes === true),
      );
      results.forEach((r, i) => {
        assert.equal(r.status, "fulfilled");
        assert.deepEqual((r as PromiseFulfilledResult<Record<string, unknown>>).value.ImageReferences, [
          { ImageId: ids[i], Arn: `arn:${ids[i]}` },
        ]);
      });
    });

    it("different parameters or credentials never share a call", async () => {
      await Promise.all([
        sendAll(
          "DescribeImagesCommand",
          [{ ImageIds: ["ami-1"] }, { ImageIds: ["ami-2"], IncludeDisabled: true }],
          () => ({ Images: [] }),
        ),
        (async () => {
          keyId = "AKIDTWO";
          await sendAll("DescribeImagesCommand", [{ ImageIds: ["ami-3"] }], () => ({ Images: [] }));
        })(),
      ]);
      assert.equal(calls.length, 3);
    });

    it("follows every page of the shared call; callers see no NextToken", async () => {
      const pages: Answer = (input) =>
        input.NextToken
          ? { Snapshots: [{ SnapshotId: "snap-b" }] }
          : { Snapshots: [{ SnapshotId: "snap-a" }, { SnapshotId: "snap-c" }], NextToken: "page-2" };
      const results = await sendAll(
        "DescribeSnapshotsCommand",
        [
          { Filters: [{ Name: "snapshot-id", Values: ["snap-a", "snap-c"] }] },
          { Filters: [{ Name: "snapshot-id", Values: ["snap-b"] }] },
        ],
        pages,
      );
      assert.equal(calls.length, 2);
      assert.equal(calls[1].NextToken, "page-2");
      const values = results.map((r) => (r as PromiseFulfilledResult<Record<string, unknown>>).value);
      assert.deepEqual(
        values.map((v) => v.Snapshots),
        [[{ SnapshotId: "snap-a" }, { SnapshotId: "snap-c" }], [{ SnapshotId: "snap-b" }]],
      );
      assert.ok(values.every((v) => v.NextToken === undefined));
    });

    /** An endpoint that fails a whole id-list call for an unknown id, as AWS does; filters skip it. */
    const unknownFails =
      (list: string, code: string, existing: (id: string) => boolean): Answer =>
      (input) => {
        const filter = (input.Filters as { Name: string; Values: string[] }[] | undefined)?.[0];
        if (filter) return { [list]: filter.Values.filter(existing).map((id) => ({ ImageId: id })) };
        const ids = input.ImageIds as string[];
        const gone = ids.filter((id) => !existing(id));
        if (gone.length > 0)
          throw Object.assign(new Error(`The image id '[${gone.join(", ")}]' does not exist`), {
            name: code,
            $metadata: { httpStatusCode: 400 },
          });
        return { [list]: ids.map((id) => ({ ImageId: id })) };
      };
    const ids8 = ["ami-1", "ami-2", "ami-gone", "ami-4", "ami-5", "ami-6", "ami-7", "ami-8"];

    function assertOwnAnswers(
      results: PromiseSettledResult<Record<string, unknown>>[],
      list: string,
      code: string,
    ): void {
      results.forEach((r, i) => {
        if (i === 2) assert.equal(r.status === "rejected" && (r.reason as Error).name, code);
        else
          assert.deepEqual((r as PromiseFulfilledResult<Record<string, unknown>>).value[list], [
            { ImageId: ids8[i] },
          ]);
      });
    }

    it("an unknown id in a shared DescribeImages: one probe through the image-id filter, then only that caller alone, with its own NotFound", async () => {
      const results = await sendAll(
        "DescribeImagesCommand",
        ids8.map((id) => ({ ImageIds: [id] })),
        unknownFails("Images", "InvalidAMIID.NotFound", (id) => id !== "ami-gone"),
      );
      assertOwnAnswers(results, "Images", "InvalidAMIID.NotFound");
      assert.deepEqual(
        calls.map(
          (c) =>
            (c.ImageIds as string[] | undefined) ??
            `filter:${(c.Filters as { Values: string[] }[])[0].Values.length}`,
        ),
        [ids8, "filter:8", ["ami-gone"]],
      );
      assert.equal(
        (results[2] as PromiseRejectedResult).reason.message,
        "The image id '[ami-gone]' does not exist",
        "the answer it would have had alone",
      );
    });

    it("without a probe filter (DescribeFastLaunchImages) the shared call is halved until the unknown id is alone", async () => {
      const results = await sendAll(
        "DescribeFastLaunchImagesCommand",
        ids8.map((id) => ({ ImageIds: [id] })),
        unknownFails("FastLaunchImages", "InvalidAMIID.NotFound", (id) => id !== "ami-gone"),
      );
      assertOwnAnswers(results, "FastLaunchImages", "InvalidAMIID.NotFound");
      // Halving: the failing id is in one call per level (8, 4, 2, 1 ids).
      assert.deepEqual(
        calls
          .filter((c) => (c.ImageIds as string[]).includes("ami-gone"))
          .map((c) => (c.ImageIds as string[]).length),
        [8, 4, 2, 1],
      );
      assert.ok(calls.length <= 1 + 2 * Math.ceil(Math.log2(8)), `${calls.length} calls`);
    });

    it("holds a batch open while paced calls of the same credentials and region wait, and only then", async () => {
      const lookupsSpacedOut = async (): Promise<number> => {
        calls.length = 0;
        const first = sendAll("DescribeSnapshotsCommand", [{ SnapshotIds: ["snap-a"] }], () => ({
          Snapshots: [],
        }));
        await new Promise((resolve) => setTimeout(resolve, 40)); // well past the 5 ms window
        await Promise.all([
          first,
          sendAll("DescribeSnapshotsCommand", [{ SnapshotIds: ["snap-b"] }], () => ({ Snapshots: [] })),
        ]);
        return calls.length;
      };
      process.env.MANAGED_AMI_BATCH_LINGER_MS = "300";
      try {
        resetPacer();
        assert.equal(await lookupsSpacedOut(), 2, "nothing waits for a token: the window alone decides");
        const bucket = bucketFor(
          scopeOf("AKIDONE", REGION, "https://ec2.us-east-1.amazonaws.com"),
          "DeregisterImage",
          { burst: 2, perSecond: 0.01 },
        );
        void bucket.acquire();
        void bucket.acquire(); // queued: a DeregisterImage waits for AWS's refill
        assert.equal(await lookupsSpacedOut(), 1, "lookups arriving while paced calls wait share one call");
      } finally {
        resetPacer();
        delete process.env.MANAGED_AMI_BATCH_LINGER_MS;
      }
    });

    it("holds a batch open while a shared call of the same credentials is in flight (its callers' next lookups follow)", async () => {
      const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
      const mw = (command: string, input: Input, delayMs: number): Promise<unknown> =>
        coalescingMiddleware({
          region: REGION,
          endpoint: async () => "http://x",
          accessKeyId: async () => "AKIDINFLIGHT",
        })(
          async (args) => {
            calls.push({ command, ...(args.input as Input) });
            await sleep(delayMs);
            return { output: { $metadata: {}, Images: [], ImageReferences: [] }, response: {} };
          },
          { commandName: command } as HandlerExecutionContext,
        )({ input });
      process.env.MANAGED_AMI_BATCH_LINGER_MS = "500";
      try {
        const refs = Promise.all(
          ["ami-1", "ami-2"].map((id) => mw("DescribeImageReferencesCommand", { ImageIds: [id] }, 120)),
        );
        await sleep(30);
        const first = mw("DescribeImagesCommand", { ImageIds: ["ami-3"] }, 0);
        await sleep(40);
        await Promise.all([refs, first, mw("DescribeImagesCommand", { ImageIds: ["ami-4"] }, 0)]);
        assert.deepEqual(
          calls.filter((c) => c.command === "DescribeImagesCommand").map((c) => c.ImageIds),
          [["ami-3", "ami-4"]],
          "both lookups waited for the shared reference call, then went out as one",
        );
      } finally {
        delete process.env.MANAGED_AMI_BATCH_LINGER_MS;
      }
    });

    it("a failure that is not about one id (denied, throttled) goes to every caller without splitting", async () => {
      const denied = (): Record<string, unknown> => {
        throw Object.assign(new Error("no"), {
          name: "UnauthorizedOperation",
          $metadata: { httpStatusCode: 403 },
        });
      };
      const results = await sendAll(
        "DescribeImagesCommand",
        [{ ImageIds: ["ami-1"] }, { ImageIds: ["ami-2"] }],
        denied,
      );
      assert.equal(calls.length, 1);
      assert.ok(
        results.every((r) => r.status === "rejected" && (r.reason as Error).name === "UnauthorizedOperation"),
      );
    });
  });

  describe("plain SDK lookups against local-aws", () => {
    let env: Env;
    afterEach(async () => env && (await env.stop()));

    it("concurrent describeImage calls from separate clients share one DescribeImages; a missing id does not fail the others", async () => {
      env = await startEnv();
      const images: string[] = [];
      for (let i = 0; i < 6; i++) images.push(await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]));
      env.aws.log.length = 0;
      const wanted = [...images, "ami-0123456789abcdef0"];
      const found = await Promise.all(wanted.map((id) => describeImage(ec2Client(REGION), id)));
      assert.deepEqual(
        found.map((img) => img?.ImageId),
        [...images, undefined],
      );
      const calls = env.aws.log.filter((e) => e.action === "DescribeImages");
      assert.ok(calls.length <= 7, `${calls.length} DescribeImages calls for 7 lookups with one missing id`);
      assert.ok(calls.length < wanted.length);
      // Alone, the missing id answers exactly as before: NotFound (describeImage maps it to undefined).
      await assert.rejects(
        ec2Client(REGION).send(new DescribeImagesCommand({ ImageIds: ["ami-0123456789abcdef0"] })),
        { name: "InvalidAMIID.NotFound" },
      );
    });

    it("existingSnapshots of 30 concurrent deletes makes one DescribeSnapshots", async () => {
      env = await startEnv();
      const snaps: string[] = [];
      for (let i = 0; i < 30; i++) snaps.push(await makeSnapshot(env.ec2));
      env.aws.log.length = 0;
      const gone = "snap-0123456789abcdef0";
      const answers = await Promise.all(snaps.map((id) => existingSnapshots(ec2Client(REGION), [id, gone])));
      assert.deepEqual(
        answers,
        snaps.map((id) => [id]),
      );
      assert.equal(env.aws.log.filter((e) => e.action === "DescribeSnapshots").length, 1);
    });

    it("25 concurrent single-image DescribeImageReferences make ⌈25/10⌉ = 3 calls; lock, fast-launch and recycle-bin lookups one each", async () => {
      env = await startEnv();
      const snaps: string[] = [];
      const images: string[] = [];
      for (let i = 0; i < 25; i++) {
        snaps.push(await makeSnapshot(env.ec2));
        images.push(await registerEbs(env.ec2, [snaps[i]]));
      }
      env.aws.log.length = 0;
      const refs = await Promise.all(
        images.map((id) =>
          ec2Client(REGION).send(
            new DescribeImageReferencesCommand({ ImageIds: [id], IncludeAllResourceTypes: true }),
          ),
        ),
      );
      assert.ok(
        refs.every((r) => (r.ImageReferences ?? []).every((x) => images.includes(x.ImageId as string))),
      );
      await Promise.all(
        snaps.map((id) => ec2Client(REGION).send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }))),
      );
      await Promise.all(
        images.map((id) => ec2Client(REGION).send(new DescribeFastLaunchImagesCommand({ ImageIds: [id] }))),
      );
      await Promise.all(
        snaps.map((id) =>
          ec2Client(REGION).send(new ListSnapshotsInRecycleBinCommand({ SnapshotIds: [id] })),
        ),
      );
      const count = (action: string): number => env.aws.log.filter((e) => e.action === action).length;
      assert.deepEqual(
        [
          "DescribeImageReferences",
          "DescribeLockedSnapshots",
          "DescribeFastLaunchImages",
          "ListSnapshotsInRecycleBin",
        ].map(count),
        [3, 1, 1, 1],
      );
    });

    it("the SDK paginator sees a complete answer", async () => {
      env = await startEnv();
      const snaps: string[] = [];
      for (let i = 0; i < 3; i++) snaps.push(await makeSnapshot(env.ec2));
      const client = ec2Client(REGION);
      const pages = await Promise.all(
        snaps.map(async (id) => {
          const seen: string[] = [];
          for await (const page of paginateDescribeSnapshots(
            { client: client as EC2Client, pageSize: 5 },
            { Filters: [{ Name: "snapshot-id", Values: [id] }] },
          )) {
            for (const s of page.Snapshots ?? []) seen.push(s.SnapshotId as string);
          }
          return seen;
        }),
      );
      assert.deepEqual(
        pages,
        snaps.map((id) => [id]),
      );
    });

    it("SnapshotIds with an unknown id: the others still get theirs, the unknown one its own NotFound", async () => {
      env = await startEnv();
      const snaps = [await makeSnapshot(env.ec2), await makeSnapshot(env.ec2), await makeSnapshot(env.ec2)];
      const results = await Promise.allSettled(
        [...snaps, "snap-0123456789abcdef0"].map((id) =>
          ec2Client(REGION).send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })),
        ),
      );
      results
        .slice(0, 3)
        .forEach((r, i) =>
          assert.deepEqual(r.status === "fulfilled" && r.value.Snapshots?.map((s) => s.SnapshotId), [
            snaps[i],
          ]),
        );
      assert.equal(
        results[3].status === "rejected" && (results[3].reason as Error).name,
        "InvalidSnapshot.NotFound",
      );
    });
  });
});
