#!/usr/bin/env node
// A `solc` executable over solcjs (the real compiler built to WASM), speaking the subset of the
// native command line that py-solc-x, ape-solidity and forge use:
//   --version
//   --standard-json            (input on stdin, output on stdout)
//   --combined-json K1,K2 FILE...  with --optimize / --optimize-runs N / --evm-version V
//   --base-path P, --include-path P (repeatable), --allow-paths P1,P2
// No native solc exists in the registries this project may reach; scripts/setup.sh installs this
// file as `.solcx/solc-v<version>` and `.venv/bin/solc`.
"use strict";

const fs = require("fs");
const path = require("path");

function loadSolc() {
  const here = fs.realpathSync(__dirname);
  return require(path.join(here, "..", "node_modules", "solc"));
}

function fail(message) {
  process.stderr.write(`solc-wrapper: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { includePaths: [], allowPaths: [], files: [], optimize: false, runs: 200 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--version" || arg === "-v") opts.version = true;
    else if (arg === "--standard-json") opts.standardJson = true;
    else if (arg === "--combined-json") opts.combined = next().split(",");
    else if (arg === "--base-path") opts.basePath = next();
    else if (arg === "--include-path") opts.includePaths.push(next());
    else if (arg === "--allow-paths") opts.allowPaths.push(...next().split(","));
    else if (arg === "--optimize") opts.optimize = true;
    else if (arg === "--optimize-runs") opts.runs = Number(next());
    else if (arg === "--evm-version") opts.evmVersion = next();
    else if (arg === "--no-color" || arg === "--pretty-json") continue;
    else if (arg.startsWith("--")) fail(`unsupported option ${arg}`);
    else if (arg.includes("=") && !fs.existsSync(arg)) opts.remappings = [...(opts.remappings || []), arg];
    else opts.files.push(arg);
  }
  return opts;
}

function makeImportResolver(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths, ...opts.allowPaths];
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function inlineUrls(input, resolve) {
  // Native solc reads `urls` itself; solcjs only takes `content`.
  for (const [name, source] of Object.entries(input.sources || {})) {
    if (source.content === undefined && Array.isArray(source.urls)) {
      const found = source.urls.map(resolve).find((r) => r.contents !== undefined);
      if (!found) fail(`cannot read source ${name}`);
      source.content = found.contents;
      delete source.urls;
    }
  }
  return input;
}

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function standardJson(solc, opts) {
  const resolve = makeImportResolver(opts);
  let input;
  try {
    input = JSON.parse(readStdin());
  } catch (err) {
    fail(`standard JSON input is not JSON: ${err.message}`);
  }
  const output = solc.compile(JSON.stringify(inlineUrls(input, resolve)), { import: resolve });
  process.stdout.write(output);
}

const COMBINED_SELECTION = {
  abi: ["abi"],
  bin: ["evm.bytecode.object"],
  "bin-runtime": ["evm.deployedBytecode.object"],
  metadata: ["metadata"],
  hashes: ["evm.methodIdentifiers"],
  userdoc: ["userdoc"],
  devdoc: ["devdoc"],
  "srcmap": ["evm.bytecode.sourceMap"],
  "srcmap-runtime": ["evm.deployedBytecode.sourceMap"],
  ast: [],
};

function combinedJson(solc, opts) {
  const resolve = makeImportResolver(opts);
  const sources = {};
  for (const file of opts.files) {
    sources[file] = { content: fs.readFileSync(file, "utf8") };
  }
  const outputs = new Set();
  for (const key of opts.combined) {
    if (!(key in COMBINED_SELECTION)) fail(`unsupported --combined-json key ${key}`);
    COMBINED_SELECTION[key].forEach((o) => outputs.add(o));
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: opts.optimize, runs: opts.runs },
      remappings: opts.remappings || [],
      outputSelection: { "*": { "*": [...outputs], "": opts.combined.includes("ast") ? ["ast"] : [] } },
      ...(opts.evmVersion ? { evmVersion: opts.evmVersion } : {}),
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: resolve }));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  for (const e of out.errors || []) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (errors.length) process.exit(1);
  const contracts = {};
  for (const [file, byName] of Object.entries(out.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      const entry = {};
      if (opts.combined.includes("abi")) entry.abi = c.abi;
      if (opts.combined.includes("bin")) entry.bin = c.evm.bytecode.object;
      if (opts.combined.includes("bin-runtime")) entry["bin-runtime"] = c.evm.deployedBytecode.object;
      if (opts.combined.includes("metadata")) entry.metadata = c.metadata;
      if (opts.combined.includes("hashes")) entry.hashes = c.evm.methodIdentifiers;
      if (opts.combined.includes("userdoc")) entry.userdoc = c.userdoc;
      if (opts.combined.includes("devdoc")) entry.devdoc = c.devdoc;
      if (opts.combined.includes("srcmap")) entry.srcmap = c.evm.bytecode.sourceMap;
      if (opts.combined.includes("srcmap-runtime")) entry["srcmap-runtime"] = c.evm.deployedBytecode.sourceMap;
      contracts[`${file}:${name}`] = entry;
    }
  }
  const result = { contracts, version: solc.version() };
  if (opts.combined.includes("ast")) {
    result.sources = {};
    for (const [file, s] of Object.entries(out.sources || {})) result.sources[file] = { AST: s.ast };
  }
  process.stdout.write(JSON.stringify(result));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  if (opts.version) {
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    return;
  }
  if (opts.standardJson) return standardJson(solc, opts);
  if (opts.combined) return combinedJson(solc, opts);
  fail("nothing to do: pass --version, --standard-json or --combined-json");
}

main();
