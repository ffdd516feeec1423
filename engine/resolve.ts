/**
 * Makes `require("pulumi-managed-ami")` (and its subpaths) resolve to THIS checkout's built package,
 * through its package.json `exports`, from any file — as it resolves from a user's node_modules. Used to
 * run the examples (which have their own package.json listing pulumi-managed-ami) inside the repo.
 */
import Module from "module";
import { readFileSync } from "fs";
import { join } from "path";
import { packageRoot } from "./project";

const PACKAGE = "pulumi-managed-ami";

interface ModuleWithResolve {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}

/** Installs the mapping; returns a function that removes it. */
export function resolvePackageFromCheckout(pkgRoot: string = packageRoot()): () => void {
  const exportsMap = (
    JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8")) as {
      exports: Record<string, string | { default: string }>;
    }
  ).exports;
  const M = Module as unknown as ModuleWithResolve;
  const original = M._resolveFilename;
  M._resolveFilename = function (request, parent, isMain, options) {
    if (request === PACKAGE || request.startsWith(`${PACKAGE}/`)) {
      const key = request === PACKAGE ? "." : `.${request.slice(PACKAGE.length)}`;
      const target = exportsMap[key];
      if (target === undefined) {
        throw new Error(`${request}: not exported by ${PACKAGE} (package.json "exports" has no "${key}")`);
      }
      return join(pkgRoot, typeof target === "string" ? target : target.default);
    }
    return original.call(this, request, parent, isMain, options);
  };
  return () => {
    M._resolveFilename = original;
  };
}
