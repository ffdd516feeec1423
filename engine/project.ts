/**
 * A throwaway Pulumi project directory laid out like a user's install: `node_modules/pulumi-managed-ami`
 * links to the package root and `node_modules/@pulumi` to its Pulumi SDK. The dynamic-provider host
 * runs with this as its cwd, so `require("pulumi-managed-ami/runtime")` resolves as it would for a user.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

/** A temporary project directory; `remove()` deletes it (never the linked package). */
export interface ProjectDir {
  path: string;
  remove(): void;
}

/** The root of this package (the directory holding its package.json), from dist/engine or engine/. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const up = resolve(dir, "..");
    if (up === dir) throw new Error(`engine harness: no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** Creates the project dir; `project` becomes its Pulumi.yaml name (default "managed-ami-harness"). */
export function createProjectDir(opts: { project?: string; pkgRoot?: string } = {}): ProjectDir {
  const root = opts.pkgRoot ?? packageRoot();
  const path = mkdtempSync(join(tmpdir(), "managed-ami-project-"));
  const modules = join(path, "node_modules");
  mkdirSync(modules);
  symlinkSync(root, join(modules, "pulumi-managed-ami"), "dir");
  symlinkSync(join(root, "node_modules", "@pulumi"), join(modules, "@pulumi"), "dir");
  writeFileSync(
    join(path, "Pulumi.yaml"),
    `name: ${opts.project ?? "managed-ami-harness"}\nruntime: nodejs\n`,
  );
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
