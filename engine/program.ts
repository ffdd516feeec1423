/**
 * Runs a Pulumi program (an example's index.ts) under `pulumi.runtime.setMocks`: dynamic resources go
 * through the LocalEngine (the real provider host, really creating AMIs on the endpoint), every other
 * resource and invoke goes to plain mocks. `destroyProgram` then tears the stack down newest first.
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "fs";
import { join, sep } from "path";
import { LocalEngine } from "./engine";
import { packageRoot } from "./project";
import { resolvePackageFromCheckout } from "./resolve";
import { stripSecrets } from "./wire";

/** One resource the program registered. */
export interface ProgramResource {
  type: string;
  name: string;
  id: string;
  /** Inputs as the mock monitor saw them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** Outputs returned to the program. */
  state: Record<string, unknown>;
  /** True for dynamic resources (driven through the provider host). */
  dynamic: boolean;
  urn?: string;
}

/** Mocks for the non-dynamic resources and invokes of a program. */
export interface ResourceMocks {
  /** Default: id `<name>-id`, state = inputs. */
  newResource?(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult>;
  /** Called on destroy for each non-dynamic resource, newest first; default: nothing to do. */
  deleteResource?(resource: ProgramResource): Promise<void>;
  /** Default: returns the call's inputs. */
  call?(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>>;
}

/** How to run a program. */
export interface ProgramOptions {
  /** Directory with Pulumi.yaml and index.ts (or index.js). */
  programDir: string;
  /** The program file, when not the directory's index.ts/index.js (e.g. a Pulumi.yaml `main`). */
  entry?: string;
  engine: LocalEngine;
  /** Stack config; keys with or without the `<project>:` prefix. */
  config?: Record<string, string>;
  mocks?: ResourceMocks;
  /** Called as each resource finishes registering (for progress output). */
  onResource?(resource: ProgramResource): void;
}

/** The finished run: stack outputs and every resource, in registration order. */
export interface ProgramRun {
  project: string;
  outputs: Record<string, unknown>;
  resources: ProgramResource[];
}

const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";

/**
 * `pulumi preview` of a new stack, for policy checks: runs the program with every resource (dynamic
 * ones included) answered by a plain mock, creating nothing; returns what it would register.
 */
export async function previewProgram(opts: Omit<ProgramOptions, "engine">): Promise<ProgramResource[]> {
  const stub = {
    host: { stack: "preview" },
    register: () => Promise.reject(new Error("preview creates nothing")),
  };
  const run = await runProgram({ ...opts, engine: stub as unknown as LocalEngine, preview: true });
  return run.resources;
}

/** `pulumi up` of the program: runs it, waits until every registration settled, returns outputs + resources. */
export async function runProgram(opts: ProgramOptions & { preview?: boolean }): Promise<ProgramRun> {
  const project = projectName(opts.programDir);
  const resources: ProgramResource[] = [];
  const errors: unknown[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.then(
      () => pending.delete(p),
      (err: unknown) => {
        pending.delete(p);
        errors.push(err);
      },
    );
    return p;
  };

  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => track(newResource(args)),
    call: (args) => track(opts.mocks?.call ? opts.mocks.call(args) : Promise.resolve(args.inputs)),
  };
  async function newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<pulumi.runtime.MockResourceResult> {
    const inputs = stripSecrets(args.inputs ?? {});
    let resource: ProgramResource;
    if (args.type.startsWith(DYNAMIC_PREFIX) && !opts.preview) {
      const step = await opts.engine.register(args.type, args.name, inputs);
      resource = {
        type: args.type,
        name: args.name,
        id: step.state.id,
        inputs,
        state: step.state.outputs,
        dynamic: true,
        urn: step.state.urn,
      };
    } else {
      const result =
        opts.mocks?.newResource && !opts.preview
          ? await opts.mocks.newResource(args)
          : { id: `${args.name}-id`, state: inputs };
      resource = {
        type: args.type,
        name: args.name,
        id: result.id ?? "",
        inputs,
        state: result.state,
        dynamic: args.type.startsWith(DYNAMIC_PREFIX),
      };
    }
    resources.push(resource);
    opts.onResource?.(resource);
    return { id: resource.id, state: resource.state };
  }

  await pulumi.runtime.setMocks(mocks, project, opts.engine.host.stack, opts.preview ?? false);
  const qualified = Object.fromEntries(
    Object.entries(opts.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]),
  );
  pulumi.runtime.setAllConfig(qualified);

  const removeHook = resolvePackageFromCheckout();
  let exported: Record<string, unknown>;
  try {
    registerTypeScript();
    const entry = opts.entry ?? programEntry(opts.programDir);
    // A program runs once per load: forget earlier loads of it and of any example it requires,
    // but never a dependency (reloading @pulumi/pulumi would split its runtime state in two).
    const examples = join(packageRoot(), "examples");
    for (const key of Object.keys(require.cache)) {
      if (key.includes(`${sep}node_modules${sep}`)) continue;
      if (key === entry || key.startsWith(opts.programDir) || key.startsWith(examples))
        delete require.cache[key];
    }
    exported = { ...(require(entry) as Record<string, unknown>) };
  } finally {
    removeHook();
  }

  const outputs: Record<string, unknown> = {};
  const unwrapAll = Promise.all(
    Object.entries(exported).map(async ([k, v]) => {
      outputs[k] = await unwrap(v);
    }),
  );
  await Promise.race([unwrapAll, untilSettled(pending, errors)]);
  await untilSettled(pending, errors);
  if (errors.length > 0) throw errors[0];
  // In a preview, outputs that depend on unknown values never resolve: report what is known.
  if (!opts.preview) await unwrapAll;
  return { project, outputs, resources };
}

/** `pulumi destroy` of a run: every resource newest first; dynamic ones through the engine (Delete RPC). */
export async function destroyProgram(
  run: ProgramRun,
  engine: LocalEngine,
  mocks?: ResourceMocks,
): Promise<void> {
  for (const resource of [...run.resources].reverse()) {
    if (resource.dynamic) {
      if (resource.urn && engine.resources.has(resource.urn)) await engine.destroy(resource.urn);
    } else {
      await mocks?.deleteResource?.(resource);
    }
  }
}

/** Resolves an Output (or plain value) to its value; unknowns cannot occur outside preview. */
export function unwrap<T>(value: pulumi.Input<T> | T): Promise<T> {
  return new Promise<T>((resolveValue) => {
    pulumi.output(value as pulumi.Input<T>).apply((v) => {
      resolveValue(v as T);
      return v;
    });
  });
}

/** The program's project name from its Pulumi.yaml. */
export function projectName(programDir: string): string {
  const yaml = readFileSync(join(programDir, "Pulumi.yaml"), "utf8");
  const match = /^name:\s*["']?([^\s"']+)/m.exec(yaml);
  if (!match) throw new Error(`${programDir}/Pulumi.yaml has no name`);
  return match[1];
}

function programEntry(programDir: string): string {
  for (const file of ["index.ts", "index.js"]) {
    const path = join(programDir, file);
    if (existsSync(path)) return path;
  }
  throw new Error(`${programDir}: no index.ts or index.js`);
}

/** Compiles .ts programs on load (transpile only), as the Pulumi nodejs runtime does with ts-node. */
function registerTypeScript(): void {
  if (require.extensions[".ts"]) return;
  const tsNode = require("ts-node") as { register(opts: object): void };
  tsNode.register({ transpileOnly: true, project: join(packageRoot(), "tsconfig.json") });
}

/** Resolves once no registration is in flight and none started for a short quiet period. */
async function untilSettled(pending: Set<Promise<unknown>>, errors: unknown[]): Promise<void> {
  let quiet = 0;
  while (quiet < 3) {
    if (pending.size > 0) {
      quiet = 0;
      await Promise.allSettled([...pending]);
    } else {
      quiet++;
    }
    if (errors.length > 0 && pending.size === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
