"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const crypto = require("crypto");
const { execSync, spawnSync } = require("child_process");

console.log(JSON.stringify({ b: [1, 2.5, null], a: "node" }));
console.log(crypto.createHash("sha256").update("compat").digest("hex").slice(0, 16));
console.log(Buffer.from("hello world").toString("base64"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "compat-"));
fs.writeFileSync(path.join(dir, "a.txt"), "one\ntwo\n");
fs.mkdirSync(path.join(dir, "sub"));
console.log(fs.readdirSync(dir).sort().join(","), fs.readFileSync(path.join(dir, "a.txt"), "utf8").split("\n").length);
fs.rmSync(dir, { recursive: true });
console.log(execSync("echo from shell; seq 3 | tac").toString().trim().split("\n").join("|"));
const child = spawnSync("sh", ["-c", "echo out; exit 4"]);
console.log(child.stdout.toString().trim(), child.status);
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const start = Date.now();
  await wait(100);
  console.log("timer waited", Date.now() - start >= 100);
  const results = await Promise.all([1, 2, 3].map(async (x) => { await wait(10 * x); return x * x; }));
  console.log("promises", results.join(","));
  process.exitCode = 3;
})();
