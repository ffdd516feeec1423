/**
 * Benchmark 3 (state overhead): bytes of the serialized provider (`__provider`) and of the whole state
 * entry of one ManagedAmi as the engine writes it into a checkpoint (inputs and outputs each carry
 * `__provider`). The outputs come from a real create against local-aws.
 * Run alone: `npm run build && npx ts-node --transpile-only bench/state.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { startLocalAws } from "../local-aws";
import { seedBundle } from "../local-aws/s3/manifest";
import { newId } from "../local-aws/ec2/ids";
import { ManagedAmiProvider } from "../provider/provider";
import type { ManagedAmiInputs } from "../provider/types";

const REGION = "us-east-1";
const TYPE = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";

export interface StateRow {
  label: string;
  providerBytes: number;
  outputsBytes: number;
  entryBytes: number;
  entryPrettyBytes: number;
}

/** A checkpoint resource entry shaped like `pulumi stack export` writes one. */
function checkpointEntry(name: string, id: string, inputs: object, outputs: object): object {
  const urn = `urn:pulumi:dev::my-project::${TYPE}::${name}`;
  return {
    urn,
    custom: true,
    id,
    type: TYPE,
    inputs,
    outputs,
    parent: "urn:pulumi:dev::my-project::pulumi:pulumi:Stack::my-project-dev",
    provider:
      "urn:pulumi:dev::my-project::pulumi:providers:pulumi-nodejs::default::4b9e3c0a-1f2d-4e5b-9a6c-7d8e9f0a1b2c",
    propertyDependencies: Object.fromEntries(Object.keys(inputs).map((k) => [k, []])),
    created: "2025-01-01T00:00:00.000Z",
    modified: "2025-01-01T00:00:00.000Z",
  };
}

export async function benchState(): Promise<StateRow[]> {
  const aws = await startLocalAws({ timeScale: 0.001, imageAvailableAfterMs: 0 });
  const key = "AKIABENCHSTATE000001";
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: key,
    AWS_SECRET_ACCESS_KEY: "bench-state-secret",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    MANAGED_AMI_WAIT_POLL_MS: "5",
  });
  try {
    const owner = aws.state.accountIdFor(key);
    const provider = new ManagedAmiProvider();
    const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    const snapshots = Array.from({ length: 4 }, () => {
      const id = newId("snap");
      const now = aws.clock.now();
      aws.state.ec2.snapshots.set(id, {
        snapshotId: id,
        region: REGION,
        ownerId: owner,
        volumeId: "vol-ffffffff",
        volumeSize: 8,
        description: "",
        state: "completed",
        startTime: now,
        completedAt: now,
        encrypted: false,
        tags: [],
      });
      return id;
    });
    const bundle = seedBundle(aws.state.s3, {
      bucket: "bench-state",
      prefix: "bundles/web/",
      name: "web",
      parts: 10,
      ownerAccountId: owner,
      region: REGION,
    });
    const cases: [string, ManagedAmiInputs][] = [
      [
        "EBS, fromSnapshots with 4 snapshots and 3 tags",
        {
          name: "web-2025-01-01",
          description: "Web server image",
          tags: { Name: "web", team: "infra", env: "prod" },
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: snapshots.map((snapshotId, i) => ({
              deviceName: `/dev/xvd${String.fromCharCode(97 + i)}`,
              snapshotId,
            })),
          },
        },
      ],
      [
        "instance-store, fromManifest with 10 parts",
        { name: "bundle-2025-01-01", fromManifest: { imageLocation: bundle.imageLocation } },
      ],
    ];
    const rows: StateRow[] = [];
    for (const [label, inputs] of cases) {
      const created = await provider.create(inputs);
      const outputs = { ...created.outs, __provider: text };
      const entry = checkpointEntry(
        inputs.name ?? "ami",
        created.id,
        { ...inputs, __provider: text },
        outputs,
      );
      rows.push({
        label,
        providerBytes: Buffer.byteLength(text),
        outputsBytes: Buffer.byteLength(JSON.stringify(created.outs)),
        entryBytes: Buffer.byteLength(JSON.stringify(entry)),
        entryPrettyBytes: Buffer.byteLength(JSON.stringify(entry, null, 4)),
      });
    }
    return rows;
  } finally {
    await aws.stop();
  }
}

export function stateMarkdown(rows: StateRow[]): string {
  return [
    "## 3. State overhead per resource",
    "",
    "`__provider` is the serialized ManagedAmiProvider (it only loads the installed `pulumi-managed-ami/runtime`); the engine stores it in both the inputs and the outputs of each resource. " +
      "The entry is a checkpoint resource shaped like `pulumi stack export` output, with outputs from a real create.",
    "",
    "| resource | `__provider` (bytes) | outputs without `__provider` | whole entry, compact | whole entry, indented (4 spaces) |",
    "|---|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.providerBytes} | ${r.outputsBytes} | ${r.entryBytes} | ${r.entryPrettyBytes} |`,
    ),
  ].join("\n");
}

if (require.main === module) {
  benchState()
    .then((r) => console.log(stateMarkdown(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
