/**
 * The REAL dynamic-provider host of @pulumi/pulumi (`cmd/dynamic-provider`), started as the engine starts
 * it (one argument: an engine address it never dials; cwd: the project dir) and driven over gRPC with the
 * stubs that ship in `@pulumi/pulumi/proto`. One method per provider RPC, requests built as the engine builds them.
 */
import { ChildProcess, spawn } from "child_process";
import { credentials, Metadata, ServiceError } from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import {
  CheckRequest,
  CheckResponse,
  ConfigureRequest,
  ConfigureResponse,
  CreateRequest,
  CreateResponse,
  DeleteRequest,
  DiffRequest,
  DiffResponse,
  ErrorResourceInitFailed,
  ReadRequest,
  ReadResponse,
  UpdateRequest,
  UpdateResponse,
} from "@pulumi/pulumi/proto/provider_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { fromStruct, PropertyMap, toStruct } from "./wire";

/** How to start the host. */
export interface HostOptions {
  /**
   * The project dir (cwd of the host); `require()` in the serialized provider resolves from here, and the
   * host itself is the project's @pulumi/pulumi when it has one.
   */
  cwd: string;
  /** Pulumi project name (default "managed-ami-harness") and stack name (default "dev"). */
  project?: string;
  stack?: string;
  /** Project config, keys with or without the `project:` prefix. Sent as PULUMI_CONFIG and to Configure. */
  config?: Record<string, string>;
  /** Extra environment for the host (it inherits this process's environment). */
  env?: NodeJS.ProcessEnv;
}

/** A provider check failure, as the engine reports it. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** Diff result, decoded. `changes` is "unknown" when the provider has no diff (the engine then diffs inputs). */
export interface DiffResult {
  changes: "some" | "none" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * A failed RPC. `initFailure` is set when the host packed `ErrorResourceInitFailed` details (the provider
 * threw an error carrying `id`): the engine then records the partially created resource with that id.
 */
export class HostError extends Error {
  readonly code: number | undefined;
  readonly initFailure?: { id: string; properties: PropertyMap; reasons: string[] };
  constructor(method: string, err: ServiceError) {
    const init = decodeInitFailure(err.metadata);
    super(`${method}: ${err.details || err.message}`);
    this.name = "HostError";
    this.code = err.code;
    if (init) this.initFailure = init;
  }
  /** The id of a partially created resource, if the failure carried one. */
  get id(): string | undefined {
    return this.initFailure?.id;
  }
}

/** A running dynamic-provider host and its gRPC client. */
export class ProviderHost {
  /** Everything the host wrote to stdout after the port line and to stderr (provider logs, host errors). */
  readonly output: string[] = [];
  readonly project: string;
  readonly stack: string;
  private readonly child: ChildProcess;
  private readonly client: ResourceProviderClient;
  private readonly config: Record<string, string>;

  private constructor(
    child: ChildProcess,
    port: number,
    project: string,
    stack: string,
    config: Record<string, string>,
  ) {
    this.child = child;
    this.project = project;
    this.stack = stack;
    this.config = config;
    this.client = new ResourceProviderClient(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  /** Spawns `node <@pulumi/pulumi/cmd/dynamic-provider> <engine>` and waits for the port on its first stdout line. */
  static async start(opts: HostOptions): Promise<ProviderHost> {
    const project = opts.project ?? "managed-ami-harness";
    const stack = opts.stack ?? "dev";
    const config = qualifyConfig(project, opts.config ?? {});
    const hostPath = dynamicProviderHost(opts.cwd);
    const child = spawn(process.execPath, [hostPath, "127.0.0.1:1"], {
      cwd: opts.cwd,
      env: {
        ...process.env,
        ...opts.env,
        PULUMI_PROJECT: project,
        PULUMI_STACK: stack,
        PULUMI_NODEJS_PROJECT: project,
        PULUMI_NODEJS_STACK: stack,
        PULUMI_CONFIG: JSON.stringify(config),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    const port = await new Promise<number>((resolvePort, reject) => {
      let buffer = "";
      let found = false;
      child.stdout!.on("data", (chunk: Buffer) => {
        if (found) {
          output.push(chunk.toString());
          return;
        }
        buffer += chunk.toString();
        const nl = buffer.indexOf("\n");
        if (nl < 0) return;
        found = true;
        const rest = buffer.slice(nl + 1);
        if (rest) output.push(rest);
        const n = Number(buffer.slice(0, nl).trim());
        if (Number.isInteger(n) && n > 0) resolvePort(n);
        else reject(new Error(`dynamic-provider host printed "${buffer.slice(0, nl)}" instead of a port`));
      });
      child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(
          new Error(`dynamic-provider host exited (${code}) before printing its port:\n${output.join("")}`),
        ),
      );
    });
    const host = new ProviderHost(child, port, project, stack, config);
    host.output.push(...output);
    child.stdout!.on("data", (chunk: Buffer) => host.output.push(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => host.output.push(chunk.toString()));
    await host.configure();
    return host;
  }

  /** URN the engine would give a resource of this type and name in this project/stack. */
  urn(type: string, name: string): string {
    return `urn:pulumi:${this.stack}::${this.project}::${type}::${name}`;
  }

  /** Configure, as the engine sends it to the `pulumi-nodejs` default provider: the project config. */
  async configure(): Promise<{ acceptSecrets: boolean }> {
    const req = new ConfigureRequest();
    req.setArgs(toStruct(this.config));
    const vars = req.getVariablesMap();
    for (const [k, v] of Object.entries(this.config)) vars.set(k, v);
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    const resp = await this.call<ConfigureResponse>("Configure", (cb) => this.client.configure(req, cb));
    return { acceptSecrets: resp.getAcceptsecrets() };
  }

  /** Check: `olds` is `{}` on create (never unset), the old inputs on update. */
  async check(
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<{ inputs: PropertyMap; failures: CheckFailure[] }> {
    const req = new CheckRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const resp = await this.call<CheckResponse>("Check", (cb) => this.client.check(req, cb));
    return {
      inputs: fromStruct(resp.getInputs()),
      failures: resp.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff: `olds` are the state outputs, `news` the checked inputs, `oldInputs` the state inputs. */
  async diff(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
  ): Promise<DiffResult> {
    const req = new DiffRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    req.setOldInputs(toStruct(oldInputs));
    const resp = await this.call<DiffResponse>("Diff", (cb) => this.client.diff(req, cb));
    const c = resp.getChanges();
    const D = DiffResponse.DiffChanges;
    return {
      changes: c === D.DIFF_SOME ? "some" : c === D.DIFF_NONE ? "none" : "unknown",
      replaces: resp.getReplacesList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
    };
  }

  /** Create from the checked inputs (which include `__provider`). */
  async create(
    urn: string,
    properties: PropertyMap,
    timeoutSeconds = 0,
  ): Promise<{ id: string; properties: PropertyMap }> {
    const req = new CreateRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(properties));
    req.setTimeout(timeoutSeconds);
    const resp = await this.call<CreateResponse>("Create", (cb) => this.client.create(req, cb));
    return { id: resp.getId(), properties: fromStruct(resp.getProperties()) };
  }

  /** Read (refresh): `properties` are the state outputs, `inputs` the state inputs. An empty id means "gone". */
  async read(
    id: string,
    urn: string,
    properties: PropertyMap,
    inputs: PropertyMap,
  ): Promise<{ id: string; properties: PropertyMap; inputs?: PropertyMap }> {
    const req = new ReadRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(properties));
    req.setInputs(toStruct(inputs));
    const resp = await this.call<ReadResponse>("Read", (cb) => this.client.read(req, cb));
    const result: { id: string; properties: PropertyMap; inputs?: PropertyMap } = {
      id: resp.getId(),
      properties: fromStruct(resp.getProperties()),
    };
    if (resp.hasInputs()) result.inputs = fromStruct(resp.getInputs());
    return result;
  }

  /** Update: `olds` are the state outputs, `news` the checked inputs. */
  async update(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
  ): Promise<{ properties: PropertyMap }> {
    const req = new UpdateRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    req.setOldInputs(toStruct(oldInputs));
    const resp = await this.call<UpdateResponse>("Update", (cb) => this.client.update(req, cb));
    return { properties: fromStruct(resp.getProperties()) };
  }

  /** Delete with exactly the state outputs (including `__provider`), as the engine does. */
  async delete(id: string, urn: string, properties: PropertyMap, oldInputs: PropertyMap = {}): Promise<void> {
    const req = new DeleteRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(properties));
    req.setOldInputs(toStruct(oldInputs));
    await this.call<Empty>("Delete", (cb) => this.client.delete(req, cb));
  }

  /** Closes the channel and stops the host process (only the one this object started). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((done) => {
      this.child.once("exit", () => done());
      this.child.kill("SIGTERM");
    });
  }

  private call<T>(
    method: string,
    invoke: (cb: (err: ServiceError | null, resp: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolveCall, reject) => {
      invoke((err, resp) => (err ? reject(new HostError(method, err)) : resolveCall(resp)));
    });
  }
}

/**
 * The host the Pulumi CLI would run for this project: the project's own @pulumi/pulumi (found from its
 * directory, as Node resolves it), else the harness's.
 */
function dynamicProviderHost(projectDir: string): string {
  const request = "@pulumi/pulumi/cmd/dynamic-provider";
  try {
    return require.resolve(request, { paths: [projectDir] });
  } catch {
    return require.resolve(request);
  }
}

/** `key` → `project:key` unless already namespaced, as stack config is keyed. */
function qualifyConfig(project: string, config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]),
  );
}

function setNameType(req: { setName(n: string): unknown; setType(t: string): unknown }, urn: string): void {
  const parts = urn.split("::");
  req.setType(parts[2] ?? "");
  req.setName(parts[3] ?? "");
}

/** Decodes `grpc-status-details-bin` → google.rpc.Status → `pulumirpc.ErrorResourceInitFailed`, if present. */
function decodeInitFailure(metadata: Metadata | undefined): HostError["initFailure"] {
  const raw = metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw) return undefined;
  const status = Status.deserializeBinary(typeof raw === "string" ? Buffer.from(raw, "base64") : raw);
  for (const any of status.getDetailsList()) {
    if (!any.getTypeUrl().endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
    const detail = ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return {
      id: detail.getId(),
      properties: fromStruct(detail.getProperties()),
      reasons: detail.getReasonsList(),
    };
  }
  return undefined;
}
