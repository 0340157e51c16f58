// Render snarkjs's own Groth16 Solidity template with a verification_key.json (exactly what
// `snarkjs zkey export solidityverifier` does after reading the vk out of a zkey).
// Usage: node render_verifier.cjs <node_modules> <verification_key.json>  → Solidity on stdout.
"use strict";
const fs = require("fs");
const path = require("path");
const [nodeModules, vkPath] = process.argv.slice(2);
const ejs = require(path.join(nodeModules, "ejs"));
const template = fs.readFileSync(
  path.join(nodeModules, "snarkjs", "templates", "verifier_groth16.sol.ejs"), "utf8");
const vk = JSON.parse(fs.readFileSync(vkPath, "utf8"));
process.stdout.write(ejs.render(template, vk));
