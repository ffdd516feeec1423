/**
 * A Pulumi project that installed the PACKED package, as a user's does: `npm pack` of this checkout,
 * the tarball unpacked into `node_modules/pulumi-managed-ami`, and only what it declares (its
 * `dependencies` and its `@pulumi/pulumi` peer) placed beside it. No symlink into the checkout: files are
 * hard-linked (copied across file systems) from the checkout's node_modules, so it works offline.
 */
import { execFileSync } from "child_process";
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from "fs";
import { tmpdir } from "os";
import { dirname, join, relative } from "path";
import { packageRoot, type ProjectDir } from "./project";

const PACKAGE = "pulumi-managed-ami";

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** `npm pack` of the checkout (already built; lifecycle scripts skipped) into `destDir`; the tarball's path. */
export function packPackage(destDir: string, pkgRoot: string = packageRoot()): string {
  const out = execFileSync(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", destDir, "--loglevel", "error"],
    { cwd: pkgRoot, encoding: "utf8" },
  );
  const [info] = JSON.parse(out) as { filename: string }[];
  return join(destDir, info.filename);
}

/** The installed project, plus what was placed in its node_modules (package dirs relative to it). */
export interface PackedProject extends ProjectDir {
  /** `<path>/node_modules/pulumi-managed-ami`, the unpacked tarball. */
  packageDir: string;
  /** Every package placed besides it, e.g. `@aws-sdk/client-ec2`, `@pulumi/pulumi/node_modules/x`. */
  installed: string[];
}

/**
 * Creates the project dir from `tarball`. The package's dependencies (and the peer `@pulumi/pulumi`) are
 * taken from the checkout's node_modules at the versions installed there; a declared dependency missing
 * there is an error. `project` becomes the Pulumi.yaml name (default "managed-ami-packed").
 */
export function createPackedProject(opts: {
  tarball: string;
  pkgRoot?: string;
  project?: string;
}): PackedProject {
  const source = opts.pkgRoot ?? packageRoot();
  const path = mkdtempSync(join(tmpdir(), "managed-ami-packed-"));
  const remove = () => rmSync(path, { recursive: true, force: true });
  try {
    const packageDir = join(path, "node_modules", PACKAGE);
    mkdirSync(packageDir, { recursive: true });
    execFileSync("tar", ["-xzf", opts.tarball, "-C", packageDir, "--strip-components=1"]);
    const shipped = readManifest(packageDir);
    const pulumiVersion = readManifest(join(source, "node_modules", "@pulumi", "pulumi")).version;
    writeFileSync(
      join(path, "package.json"),
      JSON.stringify(
        {
          name: opts.project ?? "managed-ami-packed",
          private: true,
          dependencies: { [PACKAGE]: `file:${opts.tarball}`, "@pulumi/pulumi": pulumiVersion },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(path, "Pulumi.yaml"),
      `name: ${opts.project ?? "managed-ami-packed"}\nruntime: nodejs\n`,
    );

    const installed = new Set<string>();
    const place = (name: string, fromDir: string, optional: boolean): void => {
      const found = findPackage(source, fromDir, name);
      if (!found) {
        if (optional) return;
        throw new Error(
          `${name} (needed by ${relative(source, fromDir) || PACKAGE}) is not installed in ${source}`,
        );
      }
      const rel = relative(join(source, "node_modules"), found);
      if (installed.has(rel)) return;
      installed.add(rel);
      linkTree(found, join(path, "node_modules", rel));
      visit(found, readManifest(found));
    };
    const visit = (dir: string, m: Manifest): void => {
      for (const dep of Object.keys(m.dependencies ?? {})) place(dep, dir, false);
      for (const dep of Object.keys(m.optionalDependencies ?? {})) place(dep, dir, true);
      for (const dep of Object.keys(m.peerDependencies ?? {}))
        place(dep, dir, m.peerDependenciesMeta?.[dep]?.optional === true);
    };
    // The shipped manifest's dependencies resolve from the checkout root, where npm installed them.
    visit(source, shipped);
    return { path, packageDir, installed: [...installed].sort(), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Node's lookup of `name` from a package dir: its node_modules, then each parent's, up to `root`. */
function findPackage(root: string, fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Hard-links (or copies) a package's files, without its nested node_modules (placed on their own). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dest);
    else if (entry.isFile()) {
      try {
        linkSync(src, dest);
      } catch {
        copyFileSync(src, dest);
      }
    }
  }
}
