// Builds the upload page into web/build/: GOV.UK Frontend's precompiled CSS, JS and assets from
// node_modules (installed by `npm ci`, pinned in package-lock.json) beside our own page and script.
// Nothing from a vendor is committed; `make web` runs this.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(here, "build");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// The precompiled stylesheet refers to its fonts and images under /assets/.
cpSync(join(frontend, "assets"), join(out, "assets"), { recursive: true });
cpSync(join(frontend, "govuk-frontend.min.css"), join(out, "govuk-frontend.min.css"));
cpSync(join(frontend, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
for (const name of ["index.html", "app.js", "app.css", "js-enabled.js"]) {
  cpSync(join(here, "src", name), join(out, name));
}
const version = JSON.parse(readFileSync(join(frontend, "..", "..", "package.json"), "utf8")).version;
writeFileSync(join(out, "build.json"), JSON.stringify({ "govuk-frontend": version }) + "\n");
console.log(`web/build: govuk-frontend ${version}`);
