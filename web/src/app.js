// The council officer's upload page: sign in, check and upload a return, follow it, read its reports.
// Plain DOM, no framework. Text from the API goes in with textContent only; the API never sends a value
// from a return (findings name file, sheet, row, column and rule), and this page shows none.
import { initAll } from "/govuk-frontend.min.js";

const SERVICE = "Upload a Troubled Families return – GOV.UK";
const SESSION_KEY = "tfnis.session";
const PKCE_KEY = "tfnis.pkce";
const RETURN_SETS = [["families.csv", "individuals.csv"], ["return.xlsx"]];
const FINAL = new Set(["COMPLETE", "REJECTED", "FAILED", "EXPIRED"]);
const REPORT_NAMES = {
  validation_html: "Validation report",
  validation_csv: "Validation findings (CSV)",
  validation_json: "Validation report (JSON)",
  coverage_html: "Coverage report",
  coverage_csv: "Coverage figures (CSV)",
  coverage_json: "Coverage report (JSON)",
};
const STATUS_WORDS = {
  PENDING_UPLOAD: "waiting for the files",
  RECEIVED: "the files have arrived",
  VALIDATING: "checking the return",
  VALIDATED: "the return passed its checks; matching people across returns",
  MATCHED: "matched; preparing the research extract",
  COMPLETE: "finished: the return is accepted",
  REJECTED: "the return has errors and was not accepted: correct them and send it again",
  FAILED: "something went wrong on our side; the service team has been alerted",
  EXPIRED: "the upload links expired before every file arrived: send the return again",
};

const $ = (id) => document.getElementById(id);
let config = { api: "", sign_in: "dev" };
let maxBytes = null;
let following = null; // the submission whose result is shown

// ---------------------------------------------------------------------------------------------- session

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

function tokenClaims(token) {
  const part = token.split(".")[1] || "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(json);
}

function startSession(idToken, label) {
  const claims = tokenClaims(idToken);
  const laCode = claims["custom:la_code"] || "";
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: idToken, la_code: laCode, label: label || laCode }));
}

function signOut(message) {
  sessionStorage.removeItem(SESSION_KEY);
  following = null;
  if (config.sign_in === "cognito" && !message) {
    const out = new URL("/logout", config.cognito_domain);
    out.searchParams.set("client_id", config.client_id);
    out.searchParams.set("logout_uri", config.redirect_uri);
    window.location.assign(out.toString());
    return;
  }
  showSignedOut(message);
}

// ---------------------------------------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems || [];
  }
}

async function api(path, options = {}) {
  const current = session();
  const headers = { ...(options.headers || {}) };
  if (current) headers.authorization = `Bearer ${current.token}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${config.api}${path}`, {
    method: options.method || "GET",
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
    cache: "no-store",
  });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (response.status === 401 && current) {
    signOut("Your sign-in has ended. Sign in again.");
    throw new ApiError(401, "Your sign-in has ended. Sign in again.");
  }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.message) || `The service answered ${response.status}.`, body && body.problems);
  }
  return body;
}

// ------------------------------------------------------------------------------------------------- errors

function showErrors(errors, titleBase) {
  const summary = $("error-summary");
  const list = $("error-list");
  list.replaceChildren();
  for (const group of ["files-group", "period-end-group", "council-group"]) {
    const element = $(group);
    if (element) element.classList.remove("govuk-form-group--error");
  }
  for (const id of ["files-error", "period-end-error", "council-error"]) {
    const element = $(id);
    if (element) {
      element.hidden = true;
      element.replaceChildren();
    }
  }
  $("files").classList.remove("govuk-file-upload--error");
  $("period-end").classList.remove("govuk-select--error");
  if (!errors.length) {
    summary.hidden = true;
    document.title = titleBase;
    return;
  }
  for (const error of errors) {
    const item = document.createElement("li");
    if (error.field) {
      const link = document.createElement("a");
      link.href = `#${error.field}`;
      link.textContent = error.message;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        $(error.field).focus();
      });
      item.append(link);
      const message = $(`${error.field === "period-end" ? "period-end" : error.field}-error`);
      const group = $(`${error.field}-group`);
      if (message) {
        const hidden = document.createElement("span");
        hidden.className = "govuk-visually-hidden";
        hidden.textContent = "Error: ";
        message.append(hidden, error.message, document.createElement("br"));
        message.hidden = false;
      }
      if (group) group.classList.add("govuk-form-group--error");
      if (error.field === "files") $("files").classList.add("govuk-file-upload--error");
      if (error.field === "period-end") $("period-end").classList.add("govuk-select--error");
    } else {
      item.textContent = error.message;
    }
    list.append(item);
  }
  summary.hidden = false;
  document.title = `Error: ${titleBase}`;
  summary.focus();
}

// -------------------------------------------------------------------------------------------- sign in

async function showSignedOut(message) {
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  document.title = `Sign in – ${SERVICE}`;
  $("loading-config").hidden = true;
  showErrors(message ? [{ message }] : [], `Sign in – ${SERVICE}`);
  if (config.sign_in === "dev") {
    $("dev-sign-in").hidden = false;
    const select = $("council");
    if (!select.options.length) {
      const { councils } = await api("/dev/councils");
      for (const council of councils) {
        const option = document.createElement("option");
        option.value = council.la_code;
        option.textContent = `${council.name} (${council.la_code})`;
        select.append(option);
      }
    }
  } else {
    $("hosted-sign-in").hidden = false;
  }
}

async function devSignIn(event) {
  event.preventDefault();
  const select = $("council");
  try {
    const signedIn = await api("/dev/sign-in", { method: "POST", json: { la_code: select.value } });
    startSession(signedIn.id_token, select.options[select.selectedIndex].textContent);
    await showSignedIn();
  } catch (error) {
    showErrors([{ message: error.message }], `Sign in – ${SERVICE}`);
  }
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Cognito's hosted UI with the authorization code flow and PKCE (no client secret in a page).
async function hostedSignIn() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL("/oauth2/authorize", config.cognito_domain);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: "openid email",
    state,
    code_challenge_method: "S256",
    code_challenge: challenge,
  }).toString();
  window.location.assign(url.toString());
}

async function finishHostedSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", window.location.pathname);
  if (!saved || saved.state !== params.get("state")) throw new Error("The sign-in did not start here. Sign in again.");
  const response = await fetch(new URL("/oauth2/token", config.cognito_domain), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.client_id,
      code: params.get("code"),
      redirect_uri: config.redirect_uri,
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error("The sign-in could not be completed. Sign in again.");
  const tokens = await response.json();
  startSession(tokens.id_token);
}

// ------------------------------------------------------------------------------------------- signed in

function periodEnds(today = new Date()) {
  // 31 March and 30 September that have passed, from the programme's first returns, newest first
  const out = [];
  for (let year = today.getFullYear(); year >= 2015; year -= 1) {
    for (const [month, day] of [["09", "30"], ["03", "31"]]) {
      const value = `${year}-${month}-${day}`;
      if (new Date(`${value}T00:00:00`) <= today) out.push(value);
    }
  }
  return out;
}

const DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });
const DATE_TIME = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

async function showSignedIn() {
  const current = session();
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  $("council-name").textContent = current.label;
  document.title = SERVICE;
  showErrors([], SERVICE);
  const select = $("period-end");
  if (!select.options.length) {
    for (const value of periodEnds()) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = DATE.format(new Date(`${value}T00:00:00`));
      select.append(option);
    }
  }
  document.getElementById("main-content").focus();
  await refreshSubmissions();
}

function humanSize(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(bytes >= 10485760 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

function checkFiles(files) {
  const errors = [];
  const names = files.map((file) => file.name);
  if (!files.length) {
    return [{ field: "files", message: "Select your return files: families.csv and individuals.csv, or return.xlsx" }];
  }
  const matches = RETURN_SETS.find((set) => set.length === names.length && set.every((name) => names.includes(name)));
  if (!matches) {
    const unknown = names.filter((name) => !["families.csv", "individuals.csv", "return.xlsx"].includes(name));
    if (unknown.length) {
      errors.push({
        field: "files",
        message: `The selected file must be called families.csv, individuals.csv or return.xlsx (rename ${unknown.length === 1 ? "the file" : `${unknown.length} files`} in your folder first)`,
      });
    } else if (names.includes("return.xlsx")) {
      errors.push({ field: "files", message: "Select return.xlsx on its own, or families.csv and individuals.csv without it" });
    } else {
      const missing = RETURN_SETS[0].filter((name) => !names.includes(name));
      errors.push({ field: "files", message: `Select ${missing.join(" and ")} as well: a CSV return is both files` });
    }
  }
  for (const file of files) {
    if (file.size === 0) errors.push({ field: "files", message: `The selected file ${file.name} is empty` });
    else if (maxBytes && file.size > maxBytes) {
      errors.push({ field: "files", message: `The selected file ${file.name} must be smaller than ${humanSize(maxBytes)}` });
    }
  }
  return errors;
}

function uploadFile(form, file, onProgress) {
  // A pre-signed POST straight to the upload bucket: the file never passes through the API.
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", form.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        const code = (request.responseText.match(/<Code>([^<]+)<\/Code>/) || [])[1] || String(request.status);
        const why = code === "EntityTooLarge" ? "it is larger than the service accepts" : `the storage service answered ${code}`;
        reject(new Error(`${file.name} could not be uploaded: ${why}`));
      }
    });
    request.addEventListener("error", () => reject(new Error(`${file.name} could not be uploaded: the connection failed`)));
    request.send(body);
  });
}

function progressRow(name) {
  const item = document.createElement("li");
  const label = document.createElement("label");
  label.className = "govuk-label";
  const id = `progress-${name.replace(/[^a-z]/g, "-")}`;
  label.htmlFor = id;
  label.textContent = name;
  const bar = document.createElement("progress");
  bar.id = id;
  bar.className = "tfnis-progress";
  bar.max = 100;
  bar.value = 0;
  item.append(label, bar);
  return { item, set: (fraction) => (bar.value = Math.round(fraction * 100)) };
}

async function upload(event) {
  event.preventDefault();
  const files = [...$("files").files];
  const errors = checkFiles(files);
  const periodEnd = $("period-end").value;
  if (!periodEnd) errors.push({ field: "period-end", message: "Select the period end of the return" });
  if (errors.length) {
    showErrors(errors, SERVICE);
    return;
  }
  showErrors([], SERVICE);
  const button = $("upload-button");
  button.disabled = true;
  try {
    const created = await api("/submissions", {
      method: "POST",
      json: { period_end: periodEnd, files: files.map((file) => file.name) },
    });
    if (created.max_bytes) maxBytes = created.max_bytes;
    const tooBig = files.filter((file) => maxBytes && file.size > maxBytes);
    if (tooBig.length) throw new Error(`${tooBig[0].name} must be smaller than ${humanSize(maxBytes)}`);
    following = created.submission_id;
    renderResult(created);
    $("result-heading").focus();
    const list = $("progress-list");
    list.replaceChildren();
    $("progress").hidden = false;
    await Promise.all(
      files.map((file) => {
        const row = progressRow(file.name);
        list.append(row.item);
        return uploadFile(created.uploads[file.name], file, row.set);
      }),
    );
    $("upload-form").reset();
    await follow(created.submission_id);
  } catch (error) {
    const problems = (error.problems || []).map((problem) => ({ message: problem.message }));
    showErrors(problems.length ? problems : [{ message: error.message }], SERVICE);
  } finally {
    button.disabled = false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function follow(submissionId) {
  // Poll until a final status (and, for an accepted return, its coverage report); stop when another is shown.
  let wait = 500;
  for (let tries = 0; following === submissionId && tries < 1200; tries += 1) {
    const submission = await api(`/submissions/${encodeURIComponent(submissionId)}`);
    if (following !== submissionId) return;
    renderResult(submission);
    const coverageDue = submission.status === "COMPLETE" && !submission.reports.coverage_html && tries < 60;
    if (FINAL.has(submission.status) && !coverageDue) break;
    await sleep(wait);
    wait = Math.min(wait * 1.25, 2000);
  }
  await refreshSubmissions();
}

function tag(status) {
  const element = document.createElement("strong");
  const colour = { COMPLETE: "green", REJECTED: "red", FAILED: "red", EXPIRED: "orange" }[status] || "blue";
  element.className = `govuk-tag govuk-tag--${colour}`;
  element.textContent = status;
  return element;
}

function renderResult(submission) {
  $("result").hidden = false;
  const status = $("status");
  const text = `${submission.status}: ${STATUS_WORDS[submission.status] || ""}`;
  if (status.dataset.text !== text) {
    // only a change is written, so a screen reader hears each status once
    status.dataset.text = text;
    const line = document.createElement("p");
    line.className = "govuk-body";
    line.append("Status ", tag(submission.status), ` ${STATUS_WORDS[submission.status] || ""}`);
    status.replaceChildren(line);
    if (submission.reason) {
      const reason = document.createElement("p");
      reason.className = "govuk-body";
      reason.textContent = submission.reason;
      status.append(reason);
    }
  }
  $("result-heading").textContent = `Your return for the period ending ${DATE.format(new Date(`${submission.period_end}T00:00:00`))}`;
  renderCounts(submission.counts || {});
  renderReports(submission);
  renderFindings(submission);
}

const COUNT_NAMES = {
  families: "Families",
  individuals: "People",
  errors: "Errors",
  warnings: "Warnings",
  info: "Notes (accepted and changed)",
  persons: "People after matching",
  persons_linked_to_earlier: "People also in an earlier return",
  extract_families: "Families in the research extract",
  extract_individuals: "People in the research extract",
};

function renderCounts(counts) {
  const list = $("counts");
  list.replaceChildren();
  for (const [key, value] of Object.entries(counts)) {
    if (typeof value !== "number") continue;
    const row = document.createElement("div");
    row.className = "govuk-summary-list__row";
    const name = document.createElement("dt");
    name.className = "govuk-summary-list__key";
    const words = key.replace(/_/g, " ");
    name.textContent = COUNT_NAMES[key] || words.charAt(0).toUpperCase() + words.slice(1);
    const figure = document.createElement("dd");
    figure.className = "govuk-summary-list__value";
    figure.textContent = value.toLocaleString("en-GB");
    row.append(name, figure);
    list.append(row);
  }
}

function reportLink(submissionId, kind) {
  // Report links are pre-signed and short-lived: each click asks the API for a fresh one.
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = "#";
  link.dataset.report = kind;
  link.textContent = REPORT_NAMES[kind] || kind;
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const opened = window.open("about:blank", "_blank");
    try {
      const fresh = await api(`/submissions/${encodeURIComponent(submissionId)}`);
      const url = fresh.reports[kind];
      if (!url) throw new Error("That report is not ready yet.");
      if (opened) {
        opened.opener = null;
        opened.location.replace(url);
      } else {
        window.location.assign(url);
      }
    } catch (error) {
      if (opened) opened.close();
      showErrors([{ message: error.message }], SERVICE);
    }
  });
  return link;
}

function renderReports(submission) {
  const target = $("reports");
  target.replaceChildren();
  const kinds = Object.keys(REPORT_NAMES).filter((kind) => submission.reports && submission.reports[kind]);
  if (!kinds.length) return;
  const heading = document.createElement("h3");
  heading.className = "govuk-heading-m";
  heading.textContent = "Reports";
  const list = document.createElement("ul");
  list.className = "govuk-list";
  for (const kind of kinds) {
    const item = document.createElement("li");
    item.append(reportLink(submission.submission_id, kind), " (opens in a new tab)");
    list.append(item);
  }
  target.append(heading, list);
}

function renderFindings(submission) {
  const target = $("findings");
  target.replaceChildren();
  const findings = submission.findings || [];
  const totals = submission.findings_summary || {};
  if (!findings.length) return;
  const byRule = new Map();
  for (const finding of findings) {
    if (!byRule.has(finding.rule)) byRule.set(finding.rule, []);
    byRule.get(finding.rule).push(finding);
  }
  const heading = document.createElement("h3");
  heading.className = "govuk-heading-m";
  heading.textContent = "What the checks found";
  const intro = document.createElement("p");
  intro.className = "govuk-body";
  const shown = findings.length;
  const total = Object.values(totals).reduce((sum, n) => sum + n, 0);
  intro.textContent =
    total > shown
      ? `The first ${shown} of ${total.toLocaleString("en-GB")} findings, by rule. The validation report lists them all.`
      : "Every finding, by rule.";
  const rows = document.createElement("p");
  rows.className = "govuk-body";
  rows.textContent = "Rows are numbered as your spreadsheet shows them: the header is row 1, so the first family or person is row 2.";
  target.append(heading, intro, rows);
  for (const [rule, items] of byRule) {
    const severity = items[0].severity;
    const withSheet = items.some((finding) => finding.sheet);
    const oneMessage = items.every((finding) => finding.message === items[0].message);
    const table = document.createElement("table");
    table.className = "govuk-table";
    const caption = document.createElement("caption");
    caption.className = "govuk-table__caption govuk-table__caption--s";
    const count = totals[rule] || items.length;
    const described = oneMessage ? `: ${items[0].message}` : "";
    caption.append(`${rule} `, severityTag(severity), ` ${count.toLocaleString("en-GB")} ${count === 1 ? "finding" : "findings"}${described}`);
    table.append(caption);
    const head = document.createElement("thead");
    head.className = "govuk-table__head";
    const columns = ["File", ...(withSheet ? ["Sheet"] : []), "Spreadsheet row", "Column", ...(oneMessage ? [] : ["Message"])];
    head.append(tableRow(columns, "th"));
    const body = document.createElement("tbody");
    body.className = "govuk-table__body";
    for (const finding of items) {
      const row = finding.row == null ? "whole file" : String(finding.row); // spreadsheet rows: the header is row 1
      const cells = [finding.file, ...(withSheet ? [finding.sheet || "–"] : []), row, finding.column || "–"];
      body.append(tableRow(oneMessage ? cells : [...cells, finding.message], "td"));
    }
    table.append(head, body);
    target.append(table);
  }
}

function severityTag(severity) {
  const element = document.createElement("strong");
  element.className = `govuk-tag govuk-tag--${severity === "error" ? "red" : severity === "warning" ? "yellow" : "grey"}`;
  element.textContent = severity;
  return element;
}

function tableRow(cells, kind) {
  const row = document.createElement("tr");
  row.className = "govuk-table__row";
  for (const text of cells) {
    const cell = document.createElement(kind);
    cell.className = kind === "th" ? "govuk-table__header" : "govuk-table__cell";
    if (kind === "th") cell.scope = "col";
    cell.textContent = text;
    row.append(cell);
  }
  return row;
}

async function refreshSubmissions() {
  const listed = await api("/submissions");
  if (listed.max_bytes) {
    maxBytes = listed.max_bytes;
    $("size-limit").textContent = `Each file must be smaller than ${humanSize(maxBytes)}.`;
  }
  const body = $("submissions");
  body.replaceChildren();
  $("submissions-empty").hidden = listed.submissions.length > 0;
  $("submissions-table").hidden = listed.submissions.length === 0;
  for (const submission of listed.submissions) {
    const row = tableRow(
      [DATE.format(new Date(`${submission.period_end}T00:00:00`)), DATE_TIME.format(new Date(submission.created_at)), submission.files.join(", ")],
      "td",
    );
    const status = document.createElement("td");
    status.className = "govuk-table__cell";
    status.append(tag(submission.status));
    const reports = document.createElement("td");
    reports.className = "govuk-table__cell";
    const show = document.createElement("button");
    show.type = "button";
    show.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0";
    show.textContent = "Show result and reports";
    const visually = document.createElement("span");
    visually.className = "govuk-visually-hidden";
    visually.textContent = ` for the return sent ${DATE_TIME.format(new Date(submission.created_at))}`;
    show.append(visually);
    show.addEventListener("click", () => showSubmission(submission.submission_id));
    reports.append(show);
    row.append(status, reports);
    body.append(row);
  }
}

async function showSubmission(submissionId) {
  try {
    following = submissionId;
    const submission = await api(`/submissions/${encodeURIComponent(submissionId)}`);
    renderResult(submission);
    $("result-heading").focus();
    if (!FINAL.has(submission.status)) await follow(submissionId);
  } catch (error) {
    showErrors([{ message: error.message }], SERVICE);
  }
}

// -------------------------------------------------------------------------------------------------- start

async function start() {
  initAll();
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (response.ok) config = { ...config, ...(await response.json()) };
  } catch {
    // no config: the embedded stack's defaults
  }
  $("dev-sign-in").addEventListener("submit", devSignIn);
  $("hosted-sign-in-button").addEventListener("click", hostedSignIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("upload-form").addEventListener("submit", upload);
  $("refresh").addEventListener("click", () => refreshSubmissions().catch((error) => showErrors([{ message: error.message }], SERVICE)));
  const params = new URLSearchParams(window.location.search);
  try {
    if (config.sign_in === "cognito" && params.has("code")) await finishHostedSignIn(params);
    if (session()) await showSignedIn();
    else await showSignedOut();
  } catch (error) {
    await showSignedOut(error.message);
  }
}

start();
