/**
 * Program of the repo-root Pulumi project (Pulumi.yaml `main: dist/engine/quickstartProgram.js`): the
 * quick-start example, with "pulumi-managed-ami" resolved to this checkout's build. The example keeps its
 * own package.json (so a copy of it runs anywhere), which is why it needs this in-repo resolution.
 */
import { join } from "path";
import { packageRoot } from "./project";
import { resolvePackageFromCheckout } from "./resolve";

resolvePackageFromCheckout();
// The Pulumi nodejs runtime registers ts-node for TypeScript programs, so the example loads as source.
module.exports = require(join(packageRoot(), "examples", "quickstart", "index.ts"));
