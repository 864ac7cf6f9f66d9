// Builds the upload page into web/build/: GOV.UK Frontend's precompiled CSS, JS and assets from
// node_modules (installed by `npm ci`, pinned in package-lock.json) beside our own page and script.
// Also the embedded stack's API docs into web/build-docs/ (served at /docs by `tfnis serve` only, never
// deployed with the page): swagger-ui-dist's bundle and stylesheet beside web/src/docs/*.
// Nothing from a vendor is committed; `make web` runs this.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(here, "build");
const swagger = join(here, "node_modules", "swagger-ui-dist");
const docs = join(here, "build-docs");

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

rmSync(docs, { recursive: true, force: true });
mkdirSync(docs, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) cpSync(join(swagger, name), join(docs, name));
for (const name of ["index.html", "docs.js"]) cpSync(join(here, "src", "docs", name), join(docs, name));
const swaggerVersion = JSON.parse(readFileSync(join(swagger, "package.json"), "utf8")).version;
writeFileSync(join(docs, "build.json"), JSON.stringify({ "swagger-ui-dist": swaggerVersion }) + "\n");
console.log(`web/build-docs: swagger-ui-dist ${swaggerVersion}`);
