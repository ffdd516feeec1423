/**
 * Part 1 of the demo: `pulumi preview --policy-pack policy/`. The pack runs exactly as the Pulumi CLI
 * starts it (`run-policy-pack` over the Analyzer gRPC protocol); each program's resources, as a preview
 * registers them, are analyzed one by one and as a stack. A mandatory violation stops the preview.
 */
import { spawn, type ChildProcess } from "child_process";
import { join } from "path";
import { credentials } from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeRequest,
  AnalyzeResponse,
  AnalyzerResource,
  AnalyzerResourceOptions,
  AnalyzeStackRequest,
  EnforcementLevel,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { packageRoot, previewProgram, type ProgramResource } from "../engine";

/** One diagnostic of the pack, as the CLI would print it. */
export interface PolicyDiagnostic {
  policy: string;
  level: "mandatory" | "advisory" | "remediate" | "disabled";
  resource: string;
  message: string;
}

/** The preview of one program under the pack. */
export interface PolicyPreview {
  program: string;
  resources: number;
  diagnostics: PolicyDiagnostic[];
  /** True when a mandatory violation stops the preview (the CLI exits non-zero, nothing is deployed). */
  stopped: boolean;
}

const LEVELS: Record<number, PolicyDiagnostic["level"]> = {
  [EnforcementLevel.ADVISORY]: "advisory",
  [EnforcementLevel.MANDATORY]: "mandatory",
  [EnforcementLevel.REMEDIATE]: "remediate",
  [EnforcementLevel.DISABLED]: "disabled",
};

/** Previews each program (a directory under demo/programs) with the policy pack. */
export async function previewWithPolicyPack(programs: string[], stack = "demo"): Promise<PolicyPreview[]> {
  const pack = await startPack();
  const client = new AnalyzerClient(`127.0.0.1:${pack.port}`, credentials.createInsecure());
  try {
    const previews: PolicyPreview[] = [];
    for (const program of programs) {
      const programDir = join(packageRoot(), "demo", "programs", program);
      const resources = await previewProgram({ programDir });
      previews.push(await analyze(client, program, resources, stack));
    }
    return previews;
  } finally {
    client.close();
    pack.process.kill("SIGKILL");
  }
}

async function analyze(
  client: AnalyzerClient,
  program: string,
  resources: ProgramResource[],
  stack: string,
): Promise<PolicyPreview> {
  const urn = (r: ProgramResource) => `urn:pulumi:${stack}::${program}::${r.type}::${r.name}`;
  const props = (r: ProgramResource) => {
    const copy: Record<string, unknown> = { ...r.inputs };
    delete copy.__provider;
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(copy)) as Record<string, never>);
  };
  const options = new AnalyzerResourceOptions();
  const diagnostics: PolicyDiagnostic[] = [];
  const collect = (response: AnalyzeResponse, name = "") => {
    for (const d of response.getDiagnosticsList()) {
      diagnostics.push({
        policy: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()] ?? "advisory",
        resource: d.getUrn().split("::").pop() || name,
        message: d.getMessage().split("\n").slice(1).join(" ").trim() || d.getDescription(),
      });
    }
  };
  for (const r of resources) {
    const request = new AnalyzeRequest()
      .setType(r.type)
      .setName(r.name)
      .setUrn(urn(r))
      .setProperties(props(r))
      .setOptions(options);
    collect(await unary<AnalyzeRequest, AnalyzeResponse>(client.analyze.bind(client), request), r.name);
  }
  const stackRequest = new AnalyzeStackRequest().setResourcesList(
    resources.map((r) =>
      new AnalyzerResource()
        .setType(r.type)
        .setName(r.name)
        .setUrn(urn(r))
        .setProperties(props(r))
        .setOptions(options),
    ),
  );
  collect(await unary<AnalyzeStackRequest, AnalyzeResponse>(client.analyzeStack.bind(client), stackRequest));
  return {
    program,
    resources: resources.length,
    diagnostics,
    stopped: diagnostics.some((d) => d.level === "mandatory"),
  };
}

/** Starts `node run-policy-pack <engine> .` in policy/, as the Pulumi CLI does; resolves with its port. */
function startPack(): Promise<{ port: number; process: ChildProcess }> {
  const root = packageRoot();
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [root] });
  // The runner registers ts-node itself; a parent's ts-node settings must not leak into it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TS_NODE_")));
  // The engine address is a placeholder: run-policy-pack never dials it.
  const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
    cwd: join(root, "policy"),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const first = out.split("\n")[0].trim();
      if (out.includes("\n") && /^\d+$/.test(first)) resolve({ port: Number(first), process: child });
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) =>
      reject(new Error(`the policy pack exited (${code}) before it started:\n${out}${err}`)),
    );
  });
}

function unary<Req, Res>(
  fn: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}
