// Faults on every action the provider uses, through ManagedAmiProvider end to end (check → create →
// read → update → read → delete → read) for every source, against local-aws with the real SDK.
// The actions are discovered from a clean run, so a new call the provider starts making is covered
// automatically. (Interruption of the delete at every call and its budget are proven in
// tests/provider/teardown.test.ts; here the lifecycle as a whole and the create/read/update paths.)
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateVolumeCommand, CreateSnapshotCommand, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { FaultSpec } from "../../local-aws";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "../../provider/types";
import {
  actionsSince,
  DEFAULT_REGION,
  existingObjects,
  FAST_RETRY,
  mappingsFor,
  registerEbsImage,
  seedBundleObjects,
  seedSnapshot,
  useEndpoint,
  type Endpoint,
} from "./support";

const SOURCES = ["fromSnapshots", "fromInstance", "copyOf", "fromManifest", "adopt"] as const;
type Source = (typeof SOURCES)[number];
type Phase = "create" | "read" | "update" | "delete";

const OTHER_REGION = "us-west-2";
let names = 0;

/** Seed what `source` needs (with direct clients, before any fault is injected) and return its inputs. */
async function prepare(ep: Endpoint, source: Source): Promise<ManagedAmiInputs> {
  const name = `faults-${source}-${names++}`;
  const base = { name, description: "before", tags: { stage: "one", team: "reliability" } };
  switch (source) {
    case "fromSnapshots":
      return {
        ...base,
        fromSnapshots: mappingsFor([seedSnapshot(ep, DEFAULT_REGION), seedSnapshot(ep, DEFAULT_REGION)]),
      };
    case "fromInstance": {
      const ec2 = ep.ec2();
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: ep.aws.state.baseImageId(DEFAULT_REGION),
          MinCount: 1,
          MaxCount: 1,
        }),
      );
      return {
        ...base,
        fromInstance: { instanceId: run.Instances?.[0]?.InstanceId as string, noReboot: true },
      };
    }
    case "copyOf": {
      const ec2 = ep.ec2(OTHER_REGION);
      const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${OTHER_REGION}a`, Size: 8 }));
      const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
      ep.aws.advance(1);
      const sourceImageId = await registerEbsImage(ep, OTHER_REGION, `${name}-source`, [
        snap.SnapshotId as string,
      ]);
      return { ...base, copyOf: { sourceImageId, sourceRegion: OTHER_REGION } };
    }
    case "fromManifest": {
      const bundle = seedBundleObjects(ep, DEFAULT_REGION, "faults-bundles", "images/", name, 2);
      return { ...base, fromManifest: { imageLocation: bundle.imageLocation } };
    }
    case "adopt": {
      const imageId = await registerEbsImage(ep, DEFAULT_REGION, name, [seedSnapshot(ep, DEFAULT_REGION)]);
      return { description: "before", tags: base.tags, adopt: { imageId } };
    }
  }
}

interface Run {
  /** Which phase each logged request belonged to, by log index range. */
  phases: { phase: Phase; from: number; to: number }[];
  outs?: ManagedAmiOutputs;
}

/**
 * The whole lifecycle as the engine drives it. Throws (with the failed phase in `run`) on the first
 * error; `run.outs` is the last state the engine would hold.
 */
async function lifecycle(ep: Endpoint, inputs: ManagedAmiInputs, run: Run): Promise<void> {
  const { provider } = ep;
  const phase = async <T>(name: Phase, body: () => Promise<T>): Promise<T> => {
    const from = ep.aws.log.length;
    try {
      return await body();
    } finally {
      run.phases.push({ phase: name, from, to: ep.aws.log.length });
    }
  };
  const checked = await provider.check({}, inputs);
  assert.deepEqual(checked.failures ?? [], []);
  const created = await phase("create", () => provider.create(inputs));
  run.outs = created.outs as ManagedAmiOutputs;
  const id = created.id;
  const read = await phase("read", () => provider.read(id, run.outs as ManagedAmiOutputs));
  assert.equal(read.id, id);
  run.outs = read.props as ManagedAmiOutputs;
  const news: ManagedAmiInputs = { ...inputs, description: "after", tags: { stage: "two" } };
  const updated = await phase("update", () => provider.update(id, run.outs as ManagedAmiOutputs, news));
  run.outs = updated.outs as ManagedAmiOutputs;
  await phase("delete", () => provider.delete(id, run.outs as ManagedAmiOutputs));
  const gone = await phase("read", () => provider.read(id, run.outs as ManagedAmiOutputs));
  assert.equal(gone.id, undefined, "after delete, refresh finds nothing left");
  run.outs = undefined;
}

/** The image is deregistered and none of its recorded storage is left. */
function assertCleanedUp(ep: Endpoint, outs: ManagedAmiOutputs): void {
  assert.notEqual(
    ep.aws.state.images.get(outs.imageId)?.state,
    "available",
    `${outs.imageId} is still registered`,
  );
  const left = outs.snapshotIds.filter((s) => ep.aws.state.snapshots.has(s));
  assert.deepEqual(left, [], "recorded snapshots left behind");
  if (outs.bundle) {
    const objects = existingObjects(ep);
    const keys = [outs.bundle.manifestKey, ...outs.bundle.partKeys].map((k) => `${outs.bundle?.bucket}/${k}`);
    assert.deepEqual(
      keys.filter((k) => objects.has(k)),
      [],
      "recorded bundle objects left behind",
    );
  }
}

/** Throttling as AWS words it (the message does not repeat the code). */
function throttling(service: "ec2" | "s3" | "sts"): { code: string; message: string } {
  return service === "s3"
    ? { code: "SlowDown", message: "Please reduce your request rate." }
    : { code: "RequestLimitExceeded", message: "Request limit exceeded." };
}

/** Each kind of fault, as injected on one action (S3 answers throttling with SlowDown). */
function faultKinds(action: string, service: "ec2" | "s3" | "sts"): { name: string; spec: FaultSpec }[] {
  return [
    {
      name: `${throttling(service).code} burst`,
      spec: { action, service, ...throttling(service), status: 503, times: 6 },
    },
    { name: "500 InternalError", spec: { action, service, code: "InternalError", status: 500, times: 3 } },
    {
      name: "503 ServiceUnavailable",
      spec: { action, service, code: "ServiceUnavailable", status: 503, times: 3 },
    },
    { name: "connection resets", spec: { action, service, resetConnection: true, times: 2 } },
    { name: "slow answers", spec: { action, service, latencyMs: 150, times: 1 } },
  ];
}

describe("faults on every action the provider uses", function () {
  this.timeout(120_000);
  const ep = useEndpoint({ timeScale: 0.001, imageAvailableAfterMs: 2_000 });
  /** action key (`ec2:X` / `s3:X`) -> the first source whose lifecycle uses it, and the phases it appears in. */
  const usage = new Map<
    string,
    { source: Source; service: "ec2" | "s3" | "sts"; action: string; phases: Set<Phase> }
  >();

  before(async () => {
    for (const source of SOURCES) {
      ep.aws.reset();
      const inputs = await prepare(ep, source);
      const run: Run = { phases: [] };
      await lifecycle(ep, inputs, run);
      for (const p of run.phases) {
        for (const e of ep.aws.log.slice(p.from, p.to)) {
          if (e.service === "unknown" || e.service === "organizations") continue;
          const key = `${e.service}:${e.action}`;
          if (!usage.has(key))
            usage.set(key, { source, service: e.service, action: e.action, phases: new Set() });
          usage.get(key)?.phases.add(p.phase);
        }
      }
    }
  });

  it("the clean lifecycle of every source uses the calls the spec describes, and leaves nothing behind", () => {
    const keys = [...usage.keys()];
    for (const expected of [
      "ec2:RegisterImage",
      "ec2:CreateImage",
      "ec2:CopyImage",
      "ec2:DescribeImages",
      "ec2:DeregisterImage",
      "ec2:CreateTags",
      "ec2:ModifyImageAttribute",
    ]) {
      assert.ok(keys.includes(expected), `${expected} not used; used: ${keys.join(", ")}`);
    }
    assert.ok(
      keys.some((k) => k.startsWith("s3:")),
      `no S3 call in the instance-store lifecycle: ${keys.join(", ")}`,
    );
  });

  it("finite faults on any action: the whole lifecycle completes and the fault was really hit", async () => {
    // One test walking the table keeps the output short; each failure names action, fault and source.
    let cases = 0;
    for (const [key, use] of usage) {
      for (const kind of faultKinds(use.action, use.service)) {
        ep.aws.reset();
        const inputs = await prepare(ep, use.source);
        const mark = ep.aws.log.length;
        ep.aws.faults.inject(kind.spec);
        const run: Run = { phases: [] };
        const where = `${kind.name} on ${key} (${use.source} lifecycle)`;
        try {
          await lifecycle(ep, inputs, run);
        } catch (err) {
          assert.fail(`${where}: the lifecycle failed inside its retry budget: ${(err as Error).message}`);
        }
        assert.deepEqual(ep.aws.faults.pending, [], `${where}: the fault was never consumed`);
        const code = kind.spec.resetConnection ? "ConnectionReset" : kind.spec.code;
        const hits = ep.aws.log
          .slice(mark)
          .filter((e) => e.action === use.action && code !== undefined && e.code === code);
        if (!kind.spec.latencyMs) assert.equal(hits.length, kind.spec.times, `${where}: fault answers seen`);
        cases++;
      }
    }
    assert.ok(cases >= 5 * 8, `only ${cases} fault cases ran`);
  });

  describe("an exhausted retry budget in create / read / update fails clearly, and the next run completes", () => {
    before(() => {
      process.env.MANAGED_AMI_RETRY_BUDGET_MS = "150";
    });
    after(() => {
      process.env.MANAGED_AMI_RETRY_BUDGET_MS = FAST_RETRY.MANAGED_AMI_RETRY_BUDGET_MS;
    });

    it("every non-delete action throttled without end: the error names the resource and the cause; the account is cleaned up afterwards", async () => {
      let cases = 0;
      const problems: string[] = [];
      for (const [key, use] of usage) {
        // The delete's own budget exhaustion is proven by the teardown tests.
        const phases = [...use.phases].filter((p) => p !== "delete");
        if (phases.length === 0) continue;
        ep.aws.reset();
        const inputs = await prepare(ep, use.source);
        const throttle = throttling(use.service).code;
        const mark = ep.aws.log.length;
        ep.aws.faults.inject({
          action: use.action,
          service: use.service,
          ...throttling(use.service),
          status: 503,
          times: Infinity,
        });
        const run: Run = { phases: [] };
        const where = `${throttle} without end on ${key} (${use.source} lifecycle)`;
        let error: Error | undefined;
        try {
          await lifecycle(ep, inputs, run);
        } catch (err) {
          error = err as Error;
        }
        assert.ok(error, `${where}: the lifecycle succeeded though ${key} could never answer`);
        const failed = run.phases[run.phases.length - 1]?.phase ?? "check";
        const label = inputs.name ?? (inputs.adopt?.imageId as string);
        // Named cause: the code, AWS's own wording of it, or the call that kept failing.
        const cause = new RegExp(
          `${throttle}|throttl|request limit exceeded|reduce your request rate|\\b${use.action}\\b`,
          "i",
        );
        if (!cause.test(error.message))
          problems.push(
            `${where}: the ${failed} error names neither the cause nor the call: ${error.message}`,
          );
        if (!error.message.includes(label))
          problems.push(
            `${where}: the ${failed} error does not name the resource (${label}): ${error.message}`,
          );

        // The cause goes away: what the engine holds (the partial resource of a failed create, or the
        // last state) is destroyed completely.
        ep.aws.faults.clear();
        const partial = error as Error & { id?: string; properties?: ManagedAmiOutputs };
        const state =
          run.outs ??
          (partial.id ? { ...(partial.properties as ManagedAmiOutputs), imageId: partial.id } : undefined);
        if (state) {
          await ep.provider.delete(state.imageId, state);
          assertCleanedUp(ep, state);
        } else {
          assert.equal(failed, "create");
          const mutations = actionsSince(ep, mark).filter(
            (a) => /^(Register|Create|Copy)Image$/.test(a) && a !== use.action,
          );
          assert.deepEqual(
            mutations,
            [],
            `${where}: create failed without an id, yet an image-creating call was sent`,
          );
        }
        cases++;
      }
      assert.ok(cases >= 5, `only ${cases} budget cases ran`);
      assert.deepEqual(problems, [], `unclear errors:\n${problems.join("\n")}`);
    });
  });
});

/**
 * A proxy in front of local-aws that lets the first `times` requests of `action` reach the endpoint
 * (so AWS acts on them) and then drops the connection before the answer arrives: the client sees a
 * reset and retries a call that already took effect.
 */
async function lossyProxy(
  target: string,
  action: string,
  times: number,
): Promise<{ endpoint: string; dropped(): number; close(): Promise<void> }> {
  let dropped = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const forward = request(
        new URL(req.url ?? "/", target),
        { method: req.method, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            if (dropped < times && new URLSearchParams(body.toString("utf8")).get("Action") === action) {
              dropped++;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("an answer lost after AWS acted (the retry repeats a call that already took effect)", function () {
  this.timeout(30_000);
  const ep = useEndpoint({ timeScale: 0.001, imageAvailableAfterMs: 2_000 });

  const cases: { source: Source; action: string }[] = [
    { source: "fromSnapshots", action: "RegisterImage" },
    { source: "fromInstance", action: "CreateImage" },
    { source: "copyOf", action: "CopyImage" },
    { source: "fromManifest", action: "RegisterImage" },
  ];
  for (const { source, action } of cases) {
    it(`${source}: ${action} answered by a dropped connection still creates exactly one image, owned by the resource`, async () => {
      ep.aws.reset();
      const inputs = await prepare(ep, source);
      const proxy = await lossyProxy(ep.aws.endpoint, action, 1);
      const direct = process.env.AWS_ENDPOINT_URL_EC2;
      process.env.AWS_ENDPOINT_URL_EC2 = proxy.endpoint;
      let created: { id: string; outs?: ManagedAmiOutputs } | undefined;
      let error: Error | undefined;
      try {
        created = await ep.provider.create(inputs);
      } catch (err) {
        error = err as Error;
      } finally {
        process.env.AWS_ENDPOINT_URL_EC2 = direct;
        await proxy.close();
      }
      assert.equal(proxy.dropped(), 1, "the answer was dropped once");
      const images = [...ep.aws.state.images.values()].filter(
        (i) => i.name === inputs.name && i.ownerId === ep.accountId && i.state !== "deregistered",
      );
      assert.equal(images.length, 1, `exactly one image named ${inputs.name} exists`);
      assert.ok(
        !error,
        `create failed, leaving ${images[0]?.imageId} registered but not in state (an orphan no destroy will remove): ${error?.message}`,
      );
      assert.equal(created?.id, images[0].imageId, "the resource owns the image that was created");
    });
  }
});
