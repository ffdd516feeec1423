// Tests are TypeScript run through ts-node (type-checking is done separately by `tsc --noEmit`).
"use strict";
process.env.TS_NODE_TRANSPILE_ONLY = "true";
process.env.TS_NODE_PROJECT = require("path").join(__dirname, "tsconfig.json");
module.exports = {
  require: ["ts-node/register"],
  extension: ["ts"],
  spec: process.env.MOCHA_SPEC ? process.env.MOCHA_SPEC.split(",") : ["tests/**/*.test.ts"],
  reporter: require("path").join(__dirname, "tests/support/summary-reporter.js"),
  timeout: 30000,
  slow: 2000,
};
