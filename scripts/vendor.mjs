#!/usr/bin/env node
// Copy the browser builds of our npm dependencies into static/vendor/, where Flask serves them.
//
// The app never loads anything from a third-party host (a venue's Wi-Fi may have no internet), so
// every library the pages import is copied here at install time: `make install` runs this after
// `npm ci`. No dependencies; safe to run again (files are overwritten).

import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// [package, file inside the package, target folder under static/vendor, required?]
const FILES = [
  ["socket.io-client", "dist/socket.io.esm.min.js", "socket.io", true],
  ["socket.io-client", "dist/socket.io.esm.min.js.map", "socket.io", false],
  ["socket.io-client", "LICENSE", "socket.io", false],
  ["sortablejs", "modular/sortable.esm.js", "sortablejs", true],
  ["sortablejs", "LICENSE", "sortablejs", false],
  // The PDF Dokumentation's font (WeasyPrint embeds it), so umlauts and dashes render everywhere.
  ["dejavu-fonts-ttf", "ttf/DejaVuSans.ttf", "dejavu", true],
  ["dejavu-fonts-ttf", "ttf/DejaVuSans-Bold.ttf", "dejavu", true],
  ["dejavu-fonts-ttf", "ttf/DejaVuSans-Oblique.ttf", "dejavu", true],
  ["dejavu-fonts-ttf", "ttf/DejaVuSansCondensed.ttf", "dejavu", true],
  ["dejavu-fonts-ttf", "ttf/DejaVuSansCondensed-Bold.ttf", "dejavu", true],
  ["dejavu-fonts-ttf", "LICENSE", "dejavu", false],
  // A devDependency: only present after a full `npm ci` (browser tests inject it).
  ["axe-core", "axe.min.js", "axe-core", false],
  ["axe-core", "LICENSE", "axe-core", false],
];

function version(pkg) {
  const manifest = join(modules, pkg, "package.json");
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).version : null;
}

let missing = 0;
for (const [pkg, file, folder, required] of FILES) {
  const source = join(modules, pkg, file);
  if (!existsSync(source)) {
    if (required) {
      console.error(`vendor: missing ${pkg}/${file} (run \`npm ci\` first)`);
      missing += 1;
    }
    continue;
  }
  const target = join(vendor, folder, file.split("/").pop());
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  console.log(`vendor: ${pkg}@${version(pkg)} ${file} -> ${target.slice(root.length + 1)}`);
}
process.exit(missing ? 1 : 0);
