// The wf dashboard: a client of `wf dev`'s explorer REST API, control API and data API, nothing
// else. Its state lives in the URL hash (#/workflows/NAME?status=S&q=ID&since=T&until=T&page=N,
// #/workflows/NAME/instances/ID, #/instances?... across every workflow, #/timers, and for binding
// data, read-only: #/data, #/data/d1/DB, #/data/d1/DB/tables/T?page=N, #/data/kv/KV?prefix=P,
// #/data/kv/KV/keys/K, #/data/r2/BUCKET?prefix=P, #/data/r2/BUCKET/objects/K). The server pushes
// instance and clock events (server-sent events from /cdn-cgi/wf/live) and the page reloads what
// it shows on each; when the stream drops it polls every second until the stream is back.
// Every value from the server enters the DOM as text (append, textContent), never as markup.

const EXPLORER = "/cdn-cgi/explorer/api";
const CONTROL = "/cdn-cgi/wf";
const POLL_MS = 1000; // while the live stream is down
const LIVE_REFRESH_MS = 15000; // a safety net while it is up
const LIVE_DEBOUNCE_MS = 80; // a burst of events is one reload
const COMPACT_STEPS = 60; // from this many steps on, the waterfall draws thin rows
const PER_PAGE = 25;
const CLIP = 160; // characters of a step's output shown before "Show all"

// Wrangler's status names and emoji.
const STATUS = {
  queued: ["⌛", "Queued"], running: ["▶", "Running"], paused: ["⏸️", "Paused"],
  errored: ["❌", "Errored"], terminated: ["🚫", "Terminated"], complete: ["✅", "Completed"],
  waiting: ["⏰", "Waiting"], waitingForPause: ["⏱️", "Waiting for Pause"],
};
const FINAL = new Set(["complete", "errored", "terminated"]);
const STEP_TYPE = {
  step: ["🎯", "Step"], sleep: ["💤", "Sleep"], waitForEvent: ["👀", "Wait for event"],
  termination: ["🚫", "Termination"],
};
const RESTART_TYPE = { step: "do", sleep: "sleep", waitForEvent: "waitForEvent" };
const TRIGGER = { api: "🌎 API", binding: "🔗 Binding", cron: "⌛ Cron", event: "📩 Event" };
const BINDING_TYPE = {
  d1: "D1 database", kv: "KV namespace", r2: "R2 bucket", durable_object: "Durable Object",
};
// Bindings with a view of their own (not under #/data): queues and Workers AI.
const OWN_VIEW = { queue: "queues", ai: "ai" };
const OWN_VIEW_TYPE = { queue: "Queue", ai: "Workers AI" };
const UNITS = [["year", 31536e3], ["month", 2592e3], ["day", 86400], ["hour", 3600],
  ["minute", 60], ["second", 1]];

const state = {
  view: null, // the view shown: {nodes, load(), show(data)}
  viewKey: null, // its route, as a hash
  shown: "", // the JSON of the data it shows (redrawn only when this changes)
  open: new Map(), // open/closed expanders of the view, by key
  timer: 0, loading: false, again: false, navigated: false, clockMode: null,
  clock: null, clockAt: 0, // the last clock from the server, and when it came (performance.now)
  live: null, liveUp: false, liveSoon: 0, // the EventSource and whether it is connected
};

// -- DOM helpers ---------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const present = (child) => child !== null && child !== undefined && child !== false;

/** An element: props become attributes (on* are listeners); children are nodes or text. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (!present(value)) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat(Infinity).filter(present)); // strings become text nodes
  return el;
}

/** Replace ``el``'s children, keeping keyboard focus on the element with the same data-focus. */
function fill(el, ...children) {
  const key = document.activeElement?.dataset?.focus;
  el.replaceChildren(...children.flat(Infinity).filter(present));
  if (key) el.querySelector(`[data-focus="${CSS.escape(key)}"]`)?.focus();
}

function badge(labels, key) {
  const [emoji, word] = labels[key] || ["❓", key || "Unknown"];
  return h("span", { class: `badge badge-${key}` },
    h("span", { "aria-hidden": "true" }, emoji), ` ${word}`);
}

const fact = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—"));
const button = (label, onclick, props = {}) =>
  h("button", { type: "button", onclick, ...props }, label);

/** A <details> whose open state survives redrawing (by key, within one view). */
function expander(key, summary, content, openByDefault = false) {
  const el = h("details", { open: state.open.get(key) ?? openByDefault },
    h("summary", {}, summary), content);
  el.addEventListener("toggle", () => state.open.set(key, el.open));
  return el;
}

// -- formatting ----------------------------------------------------------------------------------

/** Instance times are virtual: shown in UTC, as the CLI shows them. */
function when(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return iso ? String(iso) : "—";
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
const time = (iso) => (iso ? h("time", { datetime: iso }, when(iso)) : "—");

function span(ms) {
  const seconds = Math.abs(ms) / 1000;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const [unit, size] = UNITS.find(([, n]) => seconds >= n);
  const count = Math.round(seconds / size);
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
const between = (start, end) => (start && end ? span(new Date(end) - new Date(start)) : "—");
const pretty = (value) => JSON.stringify(value, null, 2) ?? "undefined";
const errorText = (error) => (error ? `${error.name ?? "Error"}: ${error.message ?? ""}` : "");

/** A JSON value: in full when short, else clipped, with an expander holding all of it. */
function clipped(key, data) {
  const text = JSON.stringify(data) ?? "undefined";
  if (text.length <= CLIP) return h("code", { class: "json" }, text);
  return h("div", {}, h("code", { class: "json" }, `${text.slice(0, CLIP)}…`),
    expander(key, `Show all (${text.length} characters)`, h("pre", {}, pretty(data))));
}

// -- API and actions -----------------------------------------------------------------------------

/** One request: the envelope on success, else an Error carrying the API's own message. */
async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new Error(`cannot reach wf dev (${err.message})`);
  }
  const envelope = await response.json().catch(() => null);
  if (!response.ok || !envelope?.success) {
    const message = envelope?.errors?.[0]?.message;
    throw new Error(message || `HTTP ${response.status} ${response.statusText}`);
  }
  return envelope;
}
const enc = encodeURIComponent;
const workflowPath = (w) => `${EXPLORER}/workflows/${enc(w)}`;
const instancePath = (w, id) => `${workflowPath(w)}/instances/${enc(id)}`;
const logsPath = (w, id) => `${CONTROL}/logs/${enc(w)}/${enc(id)}`;

/** Run an action once at a time per button; its message or the API's error goes to the flash. */
async function act(run, busy) {
  if (busy?.getAttribute("aria-busy")) return;
  busy?.setAttribute("aria-busy", "true");
  try {
    flash(await run(), "ok");
  } catch (err) {
    flash(err.message, "error");
  } finally {
    busy?.removeAttribute("aria-busy");
    tick();
  }
}

function flash(message, kind) {
  const el = $("flash");
  clearTimeout(flash.timer);
  el.hidden = !message;
  if (!message) return;
  el.className = `flash flash-${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  fill(el, h("span", {}, message), button("Dismiss", () => flash(null), { class: "link" }));
  if (kind === "ok") flash.timer = setTimeout(() => flash(null), 6000);
}

/** A labelled JSON textarea with a place for its error. */
function jsonInput(id, label, placeholder) {
  return [h("label", { for: id }, label),
    h("textarea", { id, rows: 3, spellcheck: "false", placeholder, "aria-describedby": `${id}-error` }),
    h("p", { id: `${id}-error`, class: "field-error", hidden: true })];
}

/** A JSON textarea's value (undefined when empty); bad JSON marks the field and throws. */
function jsonField(id, label) {
  const field = $(id);
  const error = $(`${id}-error`);
  field.removeAttribute("aria-invalid");
  error.hidden = true;
  if (!field.value.trim()) return undefined;
  try {
    return JSON.parse(field.value);
  } catch (err) {
    const message = `${label} is not valid JSON: ${err.message}`;
    field.setAttribute("aria-invalid", "true");
    error.textContent = message;
    error.hidden = false;
    field.focus();
    throw new Error(message);
  }
}

// -- routing -------------------------------------------------------------------------------------

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function readRoute() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decode);
  const params = new URLSearchParams(query);
  const page = Math.max(1, Number.parseInt(params.get("page"), 10) || 1);
  if (parts[0] === "data") return dataRoute(parts.slice(1), params, page);
  const filters = {
    status: params.get("status") || "", q: params.get("q") || "",
    since: params.get("since") || "", until: params.get("until") || "", page,
  };
  if (parts[0] === "timers") return { view: "timers" };
  if (parts[0] === "queues") return { view: "queues" };
  if (parts[0] === "ai") return { view: "ai" };
  if (parts[0] === "instances") return { view: "search", ...filters };
  const [section, workflow, sub, id] = parts;
  if (section !== "workflows" || !workflow) return { view: "home" };
  if (sub === "instances" && id) return { view: "instance", workflow, id };
  return { view: "workflow", workflow, ...filters };
}

/** #/data/TYPE/BINDING[/tables|keys|objects/NAME]: a key may hold "/" (sent as %2F, or not). */
function dataRoute([type, binding, sub, ...rest], params, page) {
  if (!BINDING_TYPE[type] || !binding) return { view: "data" };
  const name = rest.join("/");
  const item = { d1: "tables", kv: "keys", r2: "objects", durable_object: "objects" }[type];
  if (sub === item && name) {
    if (type === "d1") return { view: "d1-table", binding, table: name, page };
    return { view: `${type}-${type === "kv" ? "key" : "object"}`, binding, key: name };
  }
  return { view: type, binding, prefix: type === "d1" ? "" : params.get("prefix") || "" };
}

function dataLink(route) {
  if (route.view === "data") return "#/data";
  const [type] = route.view.split("-");
  let path = `#/data/${type}/${enc(route.binding)}`;
  const query = new URLSearchParams();
  if (route.view === "d1-table") {
    path += `/tables/${enc(route.table)}`;
    if (route.page > 1) query.set("page", route.page);
  } else if (route.view === "kv-key") {
    path += `/keys/${enc(route.key)}`;
  } else if (route.view === "r2-object" || route.view === "durable_object-object") {
    path += `/objects/${enc(route.key)}`;
  } else if (route.prefix) {
    query.set("prefix", route.prefix);
  }
  const text = query.toString().replace(/%2F/g, "/"); // prefix=photos/ reads better
  return text ? `${path}?${text}` : path;
}

function link(route) {
  if (DATA_VIEWS[route.view]) return dataLink(route);
  if (route.view === "timers") return "#/timers";
  if (route.view === "queues" || route.view === "ai") return `#/${route.view}`;
  const base = route.view === "search" ? "#/instances" : `#/workflows/${enc(route.workflow)}`;
  if (route.view === "instance") return `${base}/instances/${enc(route.id)}`;
  const query = new URLSearchParams();
  for (const key of ["status", "q", "since", "until"]) if (route[key]) query.set(key, route[key]);
  if (route.page > 1) query.set("page", route.page);
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

// -- polling -------------------------------------------------------------------------------------

async function tick() {
  clearTimeout(state.timer);
  if (state.loading) return void (state.again = true);
  state.loading = true;
  try {
    await load();
    $("offline").hidden = true;
  } catch (err) {
    $("offline").textContent = `Cannot load from wf dev: ${err.message}. Retrying…`;
    $("offline").hidden = false;
  }
  state.loading = false;
  if (state.again) {
    state.again = false;
    tick();
  } else if (!document.hidden) {
    state.timer = setTimeout(tick, state.liveUp ? LIVE_REFRESH_MS : POLL_MS);
  }
}

/** Server-sent events: each one reloads the view soon; a dropped stream means polling. */
function connectLive() {
  if (!window.EventSource || state.live) return;
  const source = new EventSource(`${CONTROL}/live`);
  state.live = source;
  const soon = () => {
    clearTimeout(state.liveSoon);
    state.liveSoon = setTimeout(tick, LIVE_DEBOUNCE_MS);
  };
  source.addEventListener("open", () => {
    state.liveUp = true;
    showLive();
    soon(); // catch up on whatever happened while it was down
  });
  source.addEventListener("instance", soon);
  source.addEventListener("resync", soon);
  source.addEventListener("time", (e) => {
    try {
      showClock(JSON.parse(e.data));
    } catch {
      // a malformed event changes nothing; the next load shows the clock
    }
    soon();
  });
  source.addEventListener("error", () => {
    const wasUp = state.liveUp;
    state.liveUp = false;
    showLive();
    if (source.readyState === EventSource.CLOSED) { // it will not reconnect by itself
      state.live = null;
      setTimeout(connectLive, 3000);
    }
    if (wasUp) tick(); // polling starts now
  });
}

function showLive() {
  const el = $("live-status");
  el.textContent = state.liveUp ? "● live" : "○ polling every second";
  el.className = state.liveUp ? "live" : "polling";
  el.title = state.liveUp ? "The server pushes every change (server-sent events)"
    : "The live stream is down: the page asks every second";
}

async function load() {
  const info = (await call("GET", `${CONTROL}/status`)).result;
  const [workflows, bindings] = await Promise.all([
    Promise.all(info.workflows.map(async (name) => (await call("GET", workflowPath(name))).result)),
    call("GET", `${CONTROL}/bindings`).then((e) => e.result, (err) => ({ failed: err.message }))]);
  showProject(info);
  showClock(info.time);
  let route = readRoute();
  if (route.view === "home") {
    const first = workflows[0]?.name;
    route = first ? { view: "workflow", workflow: first, status: "", q: "", since: "", until: "", page: 1 }
      : { view: "empty" };
  }
  showWorkflows(workflows, route.workflow);
  const types = new Set((bindings.bindings ?? []).map((b) => b.type));
  $("queues-nav").parentElement.hidden = !types.has("queue");
  $("ai-nav").parentElement.hidden = !types.has("ai");
  for (const [id, view] of [["all-link", "search"], ["timers-nav", "timers"],
    ["queues-nav", "queues"], ["ai-nav", "ai"]]) {
    if (route.view === view) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  showBindings(bindings, route);

  const key = route.view === "empty" ? "empty" : link(route);
  const rebuilt = key !== state.viewKey;
  const focusKey = document.activeElement?.dataset?.focus;
  if (rebuilt) {
    const views = { instance: instanceView, workflow: workflowView, empty: emptyView,
      search: searchView, timers: timersView, queues: queuesView, ai: aiView, ...DATA_VIEWS };
    Object.assign(state, { viewKey: key, shown: "", view: views[route.view](route) });
    state.open.clear();
    fill($("view"), state.view.nodes);
  }
  const data = await state.view.load().catch((err) => ({ failed: err.message }));
  const text = JSON.stringify(data);
  if (text !== state.shown) {
    state.shown = text;
    state.view.show(data);
  }
  if (rebuilt) {
    // Keep the keyboard where it was (on a filter), else bring it to the new view.
    const again = focusKey && $("view").querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
    else if (state.navigated) {
      $("main").focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    state.navigated = false;
  }
}

// -- header, clock, sidebar ----------------------------------------------------------------------

function showProject(info) {
  $("project").textContent = info.name;
  document.title = `${info.name} · wf dashboard`;
  const error = info.code?.error;
  $("code-error").hidden = !error;
  if (error) {
    const still = info.code.loaded ? " (the previous code keeps serving)" : "";
    $("code-error").textContent = `Your code failed to load: ${error.message}${still}`;
  }
}

function showClock(clock) {
  state.clock = clock;
  state.clockAt = performance.now();
  $("clock-now").textContent = when(clock.now);
  $("timers-count").textContent = `${clock.pending_timers} pending`;
  $("clock-mode").textContent = clock.mode;
  $("clock-scale").textContent = `×${clock.scale}`;
  if (clock.next_timer) {
    const ahead = span(clock.next_timer_ms - clock.now_ms);
    fill($("clock-next"), time(clock.next_timer), ` (in ${ahead}; ${clock.pending_timers} pending)`);
  } else {
    $("clock-next").textContent = "none";
  }
  const select = $("mode-select");
  if (clock.mode !== state.clockMode && document.activeElement !== select) {
    state.clockMode = clock.mode;
    select.value = clock.mode;
    $("mode-scale").value = clock.scale;
    $("mode-scale").disabled = clock.mode !== "scale";
  }
}

function countsText(counts) {
  return Object.keys(STATUS).filter((s) => counts?.[s])
    .map((s) => `${STATUS[s][0]} ${counts[s]} ${STATUS[s][1].toLowerCase()}`).join(", ");
}

function showWorkflows(workflows, current) {
  const text = JSON.stringify([workflows, current]);
  if (text === showWorkflows.shown) return;
  showWorkflows.shown = text;
  fill($("workflows"), workflows.length
    ? workflows.map((w) => h("li", {}, h("a", {
      href: link({ view: "workflow", workflow: w.name }),
      "aria-current": w.name === current ? "page" : null,
      "data-focus": `wf:${w.name}`,
    }, h("span", { class: "wf-name" }, w.name),
    h("span", { class: "wf-counts" }, countsText(w.instances) || "no instances"))))
    : h("li", { class: "muted" }, "No workflows configured"));
}

function showBindings(bindings, route) {
  const current = DATA_VIEWS[route.view] && route.binding ? `${route.view.split("-")[0]}:${route.binding}` : "";
  const text = JSON.stringify([bindings, current]);
  if (text === showBindings.shown) return;
  showBindings.shown = text;
  if (bindings.failed) return fill($("bindings"), h("li", { class: "muted" }, bindings.failed));
  const items = [
    ...bindings.bindings.map((b) => h("li", {}, OWN_VIEW[b.type] ? h("a", {
      href: link({ view: OWN_VIEW[b.type] }), "data-focus": `data:${b.type}:${b.binding}`,
    }, h("span", { class: "wf-name" }, b.binding),
    h("span", { class: "wf-counts" }, [OWN_VIEW_TYPE[b.type], b.id].filter(Boolean).join(" · ")))
      : BINDING_TYPE[b.type] ? h("a", {
      href: link({ view: b.type, binding: b.binding }),
      "aria-current": `${b.type}:${b.binding}` === current ? "page" : null,
      "data-focus": `data:${b.type}:${b.binding}`,
    }, h("span", { class: "wf-name" }, b.binding),
    h("span", { class: "wf-counts" }, [BINDING_TYPE[b.type], b.id].filter(Boolean).join(" · ")))
      : h("span", { class: "wf-name" }, b.binding))),
    ...bindings.not_emulated.map((m) => h("li", { class: "not-emulated" },
      h("span", { class: "wf-name" }, m.binding),
      h("span", { class: "wf-counts" }, `${m.kind}, not emulated yet (`, h("code", {}, m.field), ")"))),
  ];
  fill($("bindings"), items.length ? items : h("li", { class: "muted" }, "No D1, KV or R2 bindings"));
}

function emptyView() {
  return {
    nodes: [h("h2", {}, "No workflows"),
      h("p", {}, 'Add one to the "workflows" list of your wrangler config: wf dev reloads it.')],
    load: async () => null,
    show() {},
  };
}

// -- a workflow: status filter, instances, create ------------------------------------------------

function workflowView(route) {
  const { workflow } = route;
  const statusWord = STATUS[route.status]?.[1] ?? route.status;
  const meta = h("p", { class: "muted" });
  const filters = h("ul", { class: "filters" });
  const rows = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Instance pages" });
  const idInput = h("input", { id: "create-id", autocomplete: "off", spellcheck: "false",
    placeholder: "generated when empty" });

  function create(e) {
    e.preventDefault();
    act(async () => {
      const params = jsonField("create-params", "Params");
      const body = {};
      if (idInput.value.trim()) body.id = idInput.value.trim();
      if (params !== undefined) body.params = params;
      const created = (await call("POST", `${workflowPath(workflow)}/instances`, body)).result;
      idInput.value = "";
      return `Created instance ${created.id} (${created.status})`;
    }, e.submitter);
  }

  const nodes = [
    h("h2", {}, "Workflow ", h("code", {}, workflow)), meta,
    h("nav", { "aria-label": "Filter instances by status" }, filters),
    searchForm(route, false),
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", {}, `${route.status ? `${statusWord} instances` : "Instances"}, newest first`),
      h("thead", {}, h("tr", {},
        ["ID", "Status", "Created", "Modified", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      rows)),
    pager,
    h("section", { class: "panel", "aria-labelledby": "create-title" },
      h("h3", { id: "create-title" }, "Create an instance"),
      h("form", { class: "stack", onsubmit: create },
        h("label", { for: "create-id" }, "ID (optional)"), idInput,
        jsonInput("create-params", "Params (JSON, optional)", '{"name": "Ada"}'),
        h("div", {}, h("button", { type: "submit" }, "Create instance")))),
  ];

  async function load() {
    const [described, listed] = await Promise.all([
      call("GET", workflowPath(workflow)), call("GET", searchPath(route, workflow))]);
    return { workflow: described.result, instances: listed.result, info: listed.result_info };
  }

  function filterLink([status, [emoji, word], count]) {
    return h("li", {}, h("a", {
      href: link({ ...route, status, page: 1 }),
      "aria-current": status === route.status ? "true" : null,
      class: count ? null : "zero",
      "data-focus": `filter:${status}`,
    }, emoji && h("span", { "aria-hidden": "true" }, `${emoji} `), word,
    h("span", { class: "count" }, ` ${count}`)));
  }

  function row(instance) {
    return h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "instance", workflow, id: instance.id }), "data-focus": `open:${instance.id}`,
      }, h("code", {}, instance.id))),
      h("td", {}, statusCell(instance)),
      h("td", {}, time(instance.created_on)),
      h("td", {}, time(instance.modified_on)),
      h("td", {}, instance.status === "waiting" && fireButton(workflow, instance.id)));
  }

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      return fill(rows, h("tr", {}, h("td", { colspan: 5 }, data.failed)));
    }
    const { workflow: wf, instances, info } = data;
    meta.textContent = `class ${wf.class_name} · script ${wf.script_name} · `
      + `${info.total_count} ${route.status ? statusWord.toLowerCase() : "in all"}`
      + `${filtered(route) ? " matching the filter" : ""}`;
    const counts = wf.instances || {};
    const total = Object.keys(STATUS).reduce((sum, s) => sum + (counts[s] || 0), 0);
    fill(filters, [["", ["", "All"], total],
      ...Object.entries(STATUS).map(([s, label]) => [s, label, counts[s] || 0])].map(filterLink));
    const none = filtered(route) ? "No instances match the filter."
      : route.status ? `No ${statusWord.toLowerCase()} instances.`
        : "No instances yet: create one below, or from your Worker.";
    fill(rows, instances.length ? instances.map(row)
      : h("tr", {}, h("td", { colspan: 5, class: "muted" }, none)));
    jumpPager(pager, route, info.total_pages || 1);
  }
  return { nodes, load, show };
}

// -- finding instances: by id, status and time, across workflows ---------------------------------

const filtered = (route) => Boolean(route.q || route.since || route.until);

/** The search route's URL for a route's filters (of one workflow, or of all). */
function searchPath(route, workflow) {
  const query = new URLSearchParams({ page: route.page, per_page: PER_PAGE });
  if (workflow) query.set("workflow", workflow);
  for (const key of ["status", "q"]) if (route[key]) query.set(key, route[key]);
  for (const key of ["since", "until"]) if (route[key]) query.set(key, utcIso(route[key]));
  return `${CONTROL}/instances?${query}`;
}

/** A datetime-local value is read as UTC, as every time on this page is shown. */
const utcIso = (text) => (/Z$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}${text.length <= 16 ? ":00" : ""}Z`);

function statusCell(instance) {
  const error = instance.status === "errored" && instance.error;
  if (!error) return badge(STATUS, instance.status);
  // A Python error's message is its traceback: a row shows its last line, the exception.
  const lines = String(error.message ?? "").trim().split("\n").filter((l) => l.trim());
  const text = lines.length > 1 ? lines.at(-1).trim() : errorText(error);
  return [badge(STATUS, instance.status),
    h("span", { class: "row-error", title: errorText(error) }, text.length > CLIP ? `${text.slice(0, CLIP)}…` : text)];
}

/** Filters by part of the id, creation time and (across workflows) status; submit navigates. */
function searchForm(route, withStatus) {
  const field = (name, label, props) => h("label", {}, label,
    h("input", { name, value: route[name], autocomplete: "off", spellcheck: "false",
      "data-focus": `search:${name}`, ...props }));
  const status = withStatus && h("label", {}, "Status", h("select", { name: "status", "data-focus": "search:status" },
    [["", "Any"], ...Object.entries(STATUS).map(([k, [, word]]) => [k, word])].map(([value, word]) =>
      h("option", { value, selected: value === route.status ? true : null }, word))));
  const submit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = { ...route, page: 1 };
    for (const key of ["q", "since", "until", "status"]) if (form.has(key)) next[key] = String(form.get(key)).trim();
    location.hash = link(next);
  };
  return h("form", { class: "search-form", role: "search", "aria-label": "Filter instances", onsubmit: submit },
    field("q", "ID contains", { id: "search-q", placeholder: "part of an id", size: 18 }),
    status,
    field("since", "Created from (UTC)", { id: "search-since", type: "datetime-local", step: 1 }),
    field("until", "Created until (UTC)", { id: "search-until", type: "datetime-local", step: 1 }),
    h("button", { type: "submit", "data-focus": "search:submit" }, "Filter"),
    filtered(route) && h("a", { href: link({ ...route, q: "", since: "", until: "", page: 1 }),
      "data-focus": "search:clear" }, "Clear"));
}

/** Page links that jump: first, previous, the pages around this one, next, last, and "go to". */
function jumpPager(el, route, pages) {
  const current = Math.min(route.page, Math.max(pages, 1));
  if (pages <= 1 && route.page <= 1) return fill(el);
  const to = (page) => link({ ...route, page });
  const near = [...new Set([1, current - 2, current - 1, current, current + 1, current + 2, pages])]
    .filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const items = [];
  near.forEach((n, i) => {
    if (i > 0 && n - near[i - 1] > 1) items.push(h("span", { "aria-hidden": "true" }, "…"));
    items.push(n === route.page ? h("span", { class: "current", "aria-current": "page" }, `Page ${n}`)
      : h("a", { href: to(n), "aria-label": `Page ${n}` }, String(n)));
  });
  const input = h("input", { type: "number", min: 1, max: pages, name: "page", "aria-label": "Page number",
    "data-focus": "pager:page", value: "" });
  const go = (e) => {
    e.preventDefault();
    const n = Math.max(1, Math.min(pages, Number.parseInt(input.value, 10) || 1));
    location.hash = to(n);
  };
  fill(el,
    route.page > 1 && h("a", { href: to(Math.min(route.page - 1, pages)), rel: "prev" }, "← Newer"),
    items,
    route.page < pages && h("a", { href: to(route.page + 1), rel: "next" }, "Older →"),
    h("span", { class: "muted" }, ` of ${pages} pages`),
    h("form", { onsubmit: go }, input, h("button", { type: "submit", class: "small" }, "Go")));
}

function searchView(route) {
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Instance pages" });
  const nodes = [h("h2", {}, "All instances"),
    h("p", { class: "muted" }, "Every workflow's instances, newest first."),
    searchForm(route, true), meta,
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", {}, "Instances of every workflow"),
      h("thead", {}, h("tr", {},
        ["ID", "Workflow", "Status", "Created", "Ended"].map((t) => h("th", { scope: "col" }, t)))),
      rows)),
    pager];
  const load = async () => {
    const envelope = await call("GET", searchPath(route));
    return { instances: envelope.result, info: envelope.result_info };
  };

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      fill(pager);
      return fill(rows, messageRow(5, data.failed));
    }
    const { instances, info } = data;
    meta.textContent = `${info.total_count} instance${info.total_count === 1 ? "" : "s"}`
      + `${filtered(route) || route.status ? " matching the filter" : ""}`;
    fill(rows, instances.length ? instances.map((i) => h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "instance", workflow: i.workflow, id: i.id }), "data-focus": `open:${i.workflow}:${i.id}`,
      }, h("code", {}, i.id))),
      h("td", {}, h("a", { href: link({ view: "workflow", workflow: i.workflow }) }, i.workflow)),
      h("td", {}, statusCell(i)), h("td", {}, time(i.created_on)), h("td", {}, time(i.ended_on))))
      : messageRow(5, filtered(route) || route.status ? "No instances match the filter." : "No instances yet."));
    jumpPager(pager, route, info.total_pages || 1);
  }
  return { nodes, load, show };
}

// -- pending timers, each fired on its own -------------------------------------------------------

const TIMER_KIND = {
  sleep: "💤 sleep", "retry delay": "🔁 retry delay", "event timeout": "👀 event timeout",
  "step timeout": "⏱️ step timeout", cron: "⌛ cron", "asyncio.sleep": "💤 asyncio.sleep",
  retention: "🗑️ retention", wake: "⏰ wake",
};

function timerWhere(t) {
  if (t.workflow && t.instance) {
    return h("a", { href: link({ view: "instance", workflow: t.workflow, id: t.instance }) },
      h("code", {}, `${t.workflow}/${t.instance}`));
  }
  return t.workflow ? h("code", {}, t.workflow) : "—";
}

function timersView() {
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const removals = h("tbody");
  const nodes = [h("h2", {}, "Pending timers"), meta,
    dataTable("Pending timers, earliest first", ["Due", "In", "Kind", "Instance", "Step", "Actions"], rows),
    h("h3", {}, "Next removals by retention"),
    h("p", { class: "muted" }, "Finished instances are removed when their retention runs out on the "
      + "virtual clock; the earliest is also a pending timer (🗑️ retention) above."),
    dataTable("Removals by retention, earliest first", ["Due", "Instance"], removals)];
  const load = async () => (await call("GET", `${CONTROL}/time/timers?limit=200`)).result;

  function fire(t) {
    return button("Fire now", (e) => act(async () => {
      const answer = (await call("POST", `${CONTROL}/time/timers/${enc(t.id)}/fire`)).result;
      return answer.fired.length ? `Fired: ${firedText(answer.fired)}` : "That timer had fired already";
    }, e.currentTarget), { class: "small", "data-focus": `fire-timer:${t.id}`,
      "aria-label": `Fire now: ${t.kind} of ${t.workflow ?? "?"}/${t.instance ?? "?"}` });
  }

  function show(d) {
    if (d.failed) {
      meta.textContent = d.failed;
      return fill(rows, messageRow(6, d.failed));
    }
    const shown = d.timers.length < d.total ? ` (the first ${d.timers.length})` : "";
    meta.textContent = `${d.total} pending timer${d.total === 1 ? "" : "s"}${shown} · virtual now ${when(d.now)}`;
    fill(rows, d.timers.length ? d.timers.map((t) => h("tr", { "data-timer": t.id },
      h("td", {}, time(t.due)), h("td", {}, span(t.due_ms - d.now_ms)),
      h("td", {}, TIMER_KIND[t.kind] ?? t.kind), h("td", {}, timerWhere(t)),
      h("td", {}, t.step ? h("code", {}, t.step) : "—"), h("td", {}, fire(t))))
      : messageRow(6, "No pending timers: nothing sleeps, retries or waits with a timeout."));
    fill(removals, d.retention.length ? d.retention.map((t) => h("tr", {},
      h("td", {}, time(t.due)), h("td", {}, timerWhere(t))))
      : messageRow(2, "No finished instance is due for removal."));
  }
  return { nodes, load, show };
}

/** "sleep of onboarding/abc, retry delay of flaky/x" (the first few, then a count). */
function firedText(fired) {
  const named = fired.slice(0, 3).map((f) => `${f.kind}${f.instance ? ` of ${f.workflow}/${f.instance}` : ""}`);
  return named.join(", ") + (fired.length > 3 ? ` and ${fired.length - 3} more` : "");
}

function fireButton(workflow, id) {
  const fire = (e) => act(async () => {
    const path = `${CONTROL}/workflows/${enc(workflow)}/instances/${enc(id)}/fire`;
    const result = (await call("POST", path)).result;
    return result.fired ? `Fired the timer of ${id}: now ${result.status}` : `${id} has no pending timer`;
  }, e.currentTarget);
  return button("Fire timer", fire, {
    "data-focus": `fire:${id}`, title: "End this instance's sleep, retry delay or event timeout now",
  });
}

// -- an instance: details, actions, steps, send an event -----------------------------------------

function instanceView(route) {
  const { workflow, id } = route;
  const summary = h("div");
  const chart = h("div");
  const steps = h("ol", { class: "timeline" });
  const change = (action, extra) =>
    call("PATCH", `${instancePath(workflow, id)}/status`, { action, ...extra });
  const simple = (label, action, done, ask) => button(label, (e) => {
    if (ask && !confirm(ask)) return;
    act(async () => `${done}: now ${(await change(action)).result.status}`, e.currentTarget);
  }, { "data-focus": `action:${action}` });
  const actions = {
    pause: simple("Pause", "pause", `Paused ${id}`),
    resume: simple("Resume", "resume", `Resumed ${id}`),
    terminate: simple("Terminate", "terminate", `Terminated ${id}`, `Terminate ${id}?`),
    restart: simple("Restart", "restart", `Restarted ${id}`),
    fire: fireButton(workflow, id),
    delete: button("Delete", (e) => {
      if (!confirm(`Delete ${id} and its history?`)) return;
      act(async () => {
        await call("DELETE", instancePath(workflow, id));
        location.hash = link({ view: "workflow", workflow });
        return `Deleted ${id}`;
      }, e.currentTarget);
    }, { class: "danger", "data-focus": "action:delete" }),
  };
  const typeInput = h("input", { id: "event-type", required: true, autocomplete: "off",
    spellcheck: "false" });

  function sendEvent(e) {
    e.preventDefault();
    act(async () => {
      const payload = jsonField("event-payload", "Payload");
      const type = typeInput.value.trim();
      if (!type) throw new Error("Give the event's type");
      const body = payload === undefined ? "" : JSON.stringify(payload);
      await call("POST", `${instancePath(workflow, id)}/events/${enc(type)}`, body);
      return `Sent a "${type}" event to ${id}`;
    }, e.submitter);
  }

  const restartFrom = (step) => (e) => {
    const [, name, count] = step.name.match(/^(.*)-(\d+)$/) || [null, step.name, "1"];
    const from = { name, count: Number(count), type: RESTART_TYPE[step.type] };
    act(async () => {
      await change("restart", { from });
      return `Restarted ${id} from ${step.name}`;
    }, e.currentTarget);
  };

  const nodes = [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: link({ view: "workflow", workflow }) }, workflow), " / ",
      h("span", { "aria-current": "page" }, id)),
    h("h2", {}, "Instance ", h("code", {}, id)),
    h("div", { class: "toolbar", role: "group", "aria-label": "Instance actions" },
      Object.values(actions)),
    summary,
    h("section", { "aria-labelledby": "waterfall-title" },
      h("h3", { id: "waterfall-title" }, "Timeline"), chart),
    h("section", { "aria-labelledby": "steps-title" },
      h("h3", { id: "steps-title" }, "Steps"), steps),
    h("section", { class: "panel", "aria-labelledby": "event-title" },
      h("h3", { id: "event-title" }, "Send an event"),
      h("form", { class: "stack", onsubmit: sendEvent },
        h("label", { for: "event-type" }, "Type"), typeInput,
        jsonInput("event-payload", "Payload (JSON, optional)", '{"approved": true}'),
        h("div", {}, h("button", { type: "submit" }, "Send event")))),
  ];

  const logsPart = h("section", { "aria-labelledby": "logs-title" });
  nodes.splice(nodes.length - 1, 0, logsPart);
  const load = async () => {
    const [details, logs] = await Promise.all([
      call("GET", instancePath(workflow, id)).then((e) => e.result),
      call("GET", logsPath(workflow, id)).then((e) => e.result.lines, () => [])]);
    return { ...details, logs };
  };

  function show(d) {
    if (d.failed) {
      fill(logsPart);
      for (const b of Object.values(actions)) b.disabled = b !== actions.delete;
      fill(steps);
      fill(chart);
      return fill(summary, h("p", { class: "banner banner-error" }, d.failed));
    }
    const paused = d.status === "paused" || d.status === "waitingForPause";
    actions.pause.disabled = FINAL.has(d.status) || paused;
    actions.resume.disabled = !paused;
    actions.terminate.disabled = FINAL.has(d.status);
    actions.restart.disabled = false;
    actions.fire.hidden = !(d.status === "waiting" && d.wake_at);
    const output = d.output === null && !FINAL.has(d.status)
      ? h("p", { class: "muted" }, "None yet.") : h("pre", {}, pretty(d.output));
    fill(summary,
      h("dl", { class: "facts" },
        fact("Status", badge(STATUS, d.status)),
        fact("Trigger", TRIGGER[d.trigger?.source] ?? d.trigger?.source),
        fact("Version", d.versionId && h("code", {}, d.versionId)),
        fact("Queued", time(d.queued)), fact("Start", time(d.start)), fact("End", time(d.end)),
        fact("Duration", between(d.start, d.end)),
        d.status === "waiting" && d.wake_at && fact("Wakes at", time(d.wake_at))),
      d.warnings?.length > 0 && h("section", { class: "banner banner-warning", "aria-label": "Warnings" },
        h("strong", {}, "Warnings (replay divergence)"),
        h("ul", {}, d.warnings.map((w) => h("li", {}, String(w))))),
      d.error && h("p", { class: "banner banner-error" }, h("strong", {}, "Error "), errorText(d.error)),
      d.traceback && expander("instance:traceback", "Traceback of run()",
        h("pre", { class: "traceback" }, d.traceback), true),
      h("div", { class: "values" },
        h("section", { "aria-labelledby": "params-title" },
          h("h3", { id: "params-title" }, "Params"), h("pre", {}, pretty(d.params))),
        h("section", { "aria-labelledby": "output-title" },
          h("h3", { id: "output-title" }, "Output"), output)));
    const waitingFor = d.steps?.find((s) => s.type === "waitForEvent" && !s.finished)?.event_type;
    typeInput.placeholder = waitingFor ? `waiting for "${waitingFor}"` : "";
    const logs = d.logs ?? [];
    for (const s of d.steps ?? []) s.logs = logs.filter((l) => l.step === s.name);
    fill(logsPart, h("h3", { id: "logs-title" }, `Logs (${logs.length})`),
      logs.length ? h("pre", { class: "logs instance-logs" }, logs.map(instanceLogLine).join("\n"))
        : h("p", { class: "muted" }, "Nothing printed or logged yet."));
    fill(steps, d.steps?.length ? d.steps.map((s, i) => stepItem(s, i, restartFrom))
      : h("li", { class: "muted" }, "No steps yet."));
    fill(chart, waterfall(d));
  }
  return { nodes, load, show };
}

// -- the waterfall: every step on the virtual time axis ------------------------------------------

const msOf = (iso) => (iso ? Date.parse(iso) : Number.NaN);

/** The virtual now, from the last clock the server sent (it moves on in real and scale time). */
function virtualNow() {
  const clock = state.clock;
  if (!clock) return Date.now();
  const rate = clock.mode === "manual" ? 0 : clock.scale;
  return clock.now_ms + (clock.mode === "auto" ? 1 : rate) * (performance.now() - state.clockAt);
}

/** The spans of one step: attempts (and the retry delays between them), a sleep, a wait. */
function stepSpans(s, d, now) {
  const end = (iso) => (Number.isFinite(msOf(iso)) ? msOf(iso) : now);
  if (s.type === "sleep") {
    const due = !s.finished && d.status === "waiting" ? msOf(d.wake_at) : Number.NaN;
    return [{ kind: "sleep", start: msOf(s.start), end: s.end ? msOf(s.end) : (Number.isFinite(due) ? due : now),
      label: s.finished ? "slept" : "sleeping" }];
  }
  if (s.type === "waitForEvent") {
    return [{ kind: s.error ? "error" : "wait", start: msOf(s.start), end: end(s.end),
      label: s.finished ? (s.error ? "timed out" : "event received") : "waiting for an event" }];
  }
  const attempts = s.attempts?.length ? s.attempts : [{ start: s.start, end: s.end, success: s.success }];
  const spans = [];
  attempts.forEach((a, i) => {
    if (i > 0 && attempts[i - 1].end) {
      spans.push({ kind: "delay", start: msOf(attempts[i - 1].end), end: msOf(a.start), label: "retry delay" });
    }
    const kind = a.success === true ? "ok" : a.success === false ? "error" : "running";
    spans.push({ kind, start: msOf(a.start), end: end(a.end), label: `attempt ${i + 1}` });
  });
  const last = attempts.at(-1);
  if (s.success === null && s.retry_at && last?.success === false && last.end) {
    spans.push({ kind: "delay", start: msOf(last.end), end: msOf(s.retry_at), label: "retry delay (pending)" });
  }
  return spans;
}

function waterfall(d) {
  const steps = (d.steps || []).map((s, i) => [s, i]).filter(([s]) => s.type !== "termination");
  if (!steps.length) return h("p", { class: "muted" }, "No steps yet.");
  const now = virtualNow();
  const rows = steps.map(([s, i]) => [s, i, stepSpans(s, d, now).filter((x) => Number.isFinite(x.start))]);
  const t0 = Math.min(msOf(d.queued) || Infinity, ...rows.flatMap(([, , spans]) => spans.map((x) => x.start)));
  const t1 = Math.max(msOf(d.end) || 0, ...rows.flatMap(([, , spans]) => spans.map((x) => x.end)));
  const total = Math.max(1, t1 - t0);
  const pct = (ms) => `${(Math.max(0, Math.min(total, ms - t0)) / total) * 100}%`;
  const compact = steps.length >= COMPACT_STEPS;
  const items = rows.map(([s, i, spans]) => {
    const track = h("div", { class: "wf-track", role: "img",
      "aria-label": spans.map((x) => `${x.label} ${span(x.end - x.start)}`).join(", ") || "not started" });
    for (const x of spans) {
      const bar = h("span", { class: `bar bar-${x.kind}`, title: `${s.name}: ${x.label}, ${span(x.end - x.start)}` });
      bar.style.left = pct(x.start); // CSSOM, which the page's CSP allows (style attributes it does not)
      bar.style.width = `calc(${pct(x.end)} - ${pct(x.start)})`;
      track.append(bar);
    }
    const first = spans[0]?.start;
    const last = spans.at(-1)?.end;
    return h("li", { class: "wf-row", "data-step": s.name },
      h("button", { type: "button", class: "wf-label", title: s.name, "data-focus": `wf-row:${i}`,
        "aria-pressed": state.open.get("selected") === i ? "true" : "false",
        onclick: () => selectStep(i) }, s.name),
      track, h("span", { class: "wf-dur" }, Number.isFinite(first) ? span(last - first) : "—"));
  });
  const legend = [["ok", "succeeded"], ["error", "failed"], ["running", "running"], ["delay", "retry delay"],
    ["sleep", "sleep"], ["wait", "wait for event"]];
  return h("div", { class: "waterfall-wrap" },
    h("div", { class: "axis", "aria-hidden": "true" }, h("span", {}, when(new Date(t0).toISOString())),
      h("span", {}, span(total)), h("span", {}, when(new Date(t1).toISOString()))),
    h("ol", { class: `waterfall${compact ? " compact" : ""}`,
      "aria-label": `${steps.length} steps on the virtual time axis` }, items),
    h("ul", { class: "legend", "aria-hidden": "true" },
      legend.map(([kind, word]) => h("li", {}, h("span", { class: `bar bar-${kind}` }), word))));
}

/** Bring a step's details into view (from its waterfall row) and keep it marked. */
function selectStep(index) {
  state.open.set("selected", index);
  state.open.set(`${index}:details`, true);
  for (const el of document.querySelectorAll(".step.selected")) el.classList.remove("selected");
  for (const el of document.querySelectorAll(".wf-label")) el.setAttribute("aria-pressed", "false");
  document.querySelector(`[data-focus="wf-row:${index}"]`)?.setAttribute("aria-pressed", "true");
  const item = $(`step-${index}`);
  if (!item) return;
  item.classList.add("selected");
  for (const el of item.querySelectorAll("details")) el.open = true;
  item.scrollIntoView({ block: "nearest" });
}

function stepState(s) {
  if (s.type === "step") {
    if (s.success === true) return "✅ Succeeded";
    if (s.success === false) return "❌ Failed";
    return s.retry_at ? `▶ Running (retries at ${when(s.retry_at)})` : "▶ Running";
  }
  if (s.error) return "❌ Failed";
  return s.finished ? "✅ Done" : "⏳ Pending";
}

function stepItem(s, index, restartFrom) {
  if (s.type === "termination") {
    const by = TRIGGER[s.trigger?.source] ?? s.trigger?.source ?? "?";
    return h("li", { class: "step step-termination" },
      h("div", { class: "step-head" }, badge(STEP_TYPE, s.type), h("span", {}, `Terminated by ${by}`)));
  }
  const key = `${index}:${s.name}`;
  const attempts = s.attempts || [];
  const failure = s.error || (s.success === false && attempts.at(-1)?.error);
  const hasOutput = s.output !== null && s.output !== undefined;
  const trace = tracebackOf(s) || tracebackOf(failure);
  const logs = Array.isArray(s.logs) ? s.logs : [];
  const selected = state.open.get("selected") === index;
  return h("li", { class: `step step-${s.type}${selected ? " selected" : ""}`, id: `step-${index}` },
    h("div", { class: "step-head" },
      badge(STEP_TYPE, s.type), h("strong", { class: "step-name" }, s.name),
      h("span", { class: "step-state" }, stepState(s)),
      button("Restart from here", restartFrom(s), {
        class: "small", "data-focus": `restart:${key}`, "aria-label": `Restart from here: ${s.name}`,
      })),
    h("dl", { class: "facts compact" },
      fact("Start", time(s.start)), fact("End", time(s.end)), fact("Duration", between(s.start, s.end)),
      s.event_type && fact("Event type", h("code", {}, s.event_type))),
    hasOutput && h("div", { class: "step-part" },
      h("span", { class: "label" }, "Output"), clipped(`${key}:output`, s.output)),
    failure && h("p", { class: "step-error" }, errorText(failure)),
    trace && expander(`${key}:traceback`, "Traceback", h("pre", { class: "traceback" }, trace), true),
    logs.length > 0 && expander(`${key}:logs`, `Logs (${logs.length})`,
      h("pre", { class: "logs" }, logs.map(logLine).join("\n")), selected),
    s.config && Object.keys(s.config).length > 0
      && expander(`${key}:config`, "Config", h("pre", {}, pretty(s.config))),
    attempts.length > 0 && expander(`${key}:attempts`, `Attempts (${attempts.length})`,
      attemptsTable(attempts), attempts.length > 1 || attempts.some((a) => a.error)));
}

/** A stored traceback, under whichever name the API gives it. */
function tracebackOf(value) {
  if (!value || typeof value !== "object") return "";
  const text = value.traceback ?? value.stack ?? value.error?.traceback ?? value.error?.stack;
  return typeof text === "string" ? text : "";
}

/** A line of the instance's whole log: with the step (run() for its own) and attempt. */
const instanceLogLine = (l) => [when(l.at), l.step ?? "run()", l.attempt ? `#${l.attempt}` : "",
  l.level, l.message].filter(Boolean).join(" ");

/** One stored log line: text as it is, or {attempt, at, level, message}. */
function logLine(entry) {
  if (typeof entry === "string") return entry;
  if (!entry || typeof entry !== "object") return String(entry);
  const parts = [entry.at ? when(entry.at) : "", entry.attempt ? `#${entry.attempt}` : "",
    entry.level ?? entry.stream ?? "", entry.message ?? entry.text ?? entry.line ?? ""];
  return parts.filter(Boolean).join(" ");
}

function attemptsTable(attempts) {
  const result = (a) => ({ true: "✅ Success", false: "❌ Error" })[a.success] ?? "🔄 Working";
  const heads = ["#", "Start", "End", "Duration", "Result", "Error", "Retry delay"];
  return h("div", { class: "table-wrap" }, h("table", { class: "attempts" },
    h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, attempts.map((a, i) => h("tr", {},
      h("td", {}, String(i + 1)), h("td", {}, time(a.start)), h("td", {}, time(a.end)),
      h("td", {}, between(a.start, a.end)), h("td", {}, result(a)), h("td", {}, errorText(a.error)),
      h("td", {}, typeof a.retry_delay === "number" ? span(a.retry_delay) : ""))))));
}

// -- binding data, read-only: D1 tables and rows, KV keys and values, R2 objects -----------------

const DATA_VIEWS = {
  data: dataView, d1: d1View, "d1-table": d1TableView, kv: kvView, "kv-key": kvKeyView,
  r2: r2View, "r2-object": r2ObjectView,
  durable_object: durableObjectsView, "durable_object-object": durableObjectView,
};
const durablePath = (binding) => `${CONTROL}/durable_objects/${enc(binding)}`;
const dataPath = (type, binding) => `${CONTROL}/${type}/${enc(binding)}`;
const objectPath = (binding, key) => `${dataPath("r2", binding)}/objects/${enc(key)}`;
const msIso = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

function bytes(n) {
  if (!Number.isFinite(n)) return "—";
  if (n < 1024) return `${n} byte${n === 1 ? "" : "s"}`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let i = 0;
  for (; value >= 1024 && i < units.length - 1; i += 1) value /= 1024;
  return `${value.toFixed(1)} ${units[i]}`;
}

function base64Size(text) {
  const padding = text.endsWith("==") ? 2 : Number(text.endsWith("="));
  return Math.floor((text.length * 3) / 4) - padding;
}

/** Text in full when short, else clipped, with an expander holding all of it. */
function clippedText(key, text) {
  if (text.length <= CLIP) return text;
  return h("div", {}, `${text.slice(0, CLIP)}…`,
    expander(key, `Show all (${text.length} characters)`, h("pre", {}, text)));
}

/** A D1 value: NULL and BLOBs (base64 from the API) marked as such, never mistaken for text. */
function cell(key, value) {
  if (value === null || value === undefined) return h("span", { class: "null" }, "NULL");
  if (typeof value === "object" && typeof value.base64 === "string") {
    return h("span", { class: "blob" },
      h("span", { class: "tag" }, `BLOB, ${bytes(base64Size(value.base64))}, base64`), " ",
      h("code", {}, clippedText(key, value.base64)));
  }
  if (typeof value === "string") return value ? clippedText(key, value) : h("span", { class: "muted" }, '""');
  return h("code", {}, String(value));
}

/** KV metadata arrives as JSON text: shown as JSON when it parses, else as it is. */
function metadata(key, text) {
  if (text === null || text === undefined) return "—";
  try {
    return clipped(key, JSON.parse(text));
  } catch {
    return h("code", {}, clippedText(key, String(text)));
  }
}

function dataTable(caption, heads, body) {
  return h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, caption),
    h("thead", {}, heads.tagName ? heads : h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
    body));
}
const messageRow = (columns, text, kind = "muted") =>
  h("tr", {}, h("td", { colspan: columns, class: kind }, text));

function crumbs(trail, current) {
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
    trail.map(([label, route]) => [h("a", { href: link(route) }, label), " / "]),
    h("span", { "aria-current": "page" }, current));
}

function prefixForm(route, what) {
  const input = h("input", { id: "prefix", name: "prefix", value: route.prefix, autocomplete: "off",
    spellcheck: "false", placeholder: "e.g. users/", "data-focus": "prefix" });
  const submit = (e) => {
    e.preventDefault();
    location.hash = link({ ...route, prefix: input.value });
  };
  return h("form", { class: "inline filter-form", role: "search", "aria-label": `Filter ${what} by prefix`,
    onsubmit: submit },
  h("label", { for: "prefix" }, "Prefix"), input,
  h("button", { type: "submit", "data-focus": "prefix-submit" }, "Filter"),
  route.prefix && h("a", { href: link({ ...route, prefix: "" }), "data-focus": "prefix-clear" }, "Clear"));
}

const listedText = (count, noun, prefix) => `${count} ${noun}${count === 1 ? "" : "s"}`
  + `${prefix ? ` starting with "${prefix}"` : ""}${count >= 1000 ? " (the first 1000)" : ""}`;

function dataView() {
  const bound = h("tbody");
  const missing = h("tbody");
  const missingPart = h("section", { "aria-labelledby": "missing-title", hidden: true },
    h("h3", { id: "missing-title" }, "Not emulated yet"),
    h("p", { class: "muted" }, "These bindings of your config reach your code as nothing wf can serve yet."),
    dataTable("Bindings wf does not emulate, with where they are in your config",
      ["Binding", "Kind", "Config field"], missing));
  const nodes = [h("h2", {}, "Data"),
    h("p", { class: "muted" }, "What your D1, KV and R2 bindings hold, read-only: the same data your "
      + "Worker reads and writes. Seed it through the data API under /cdn-cgi/wf."),
    dataTable("Emulated bindings", ["Binding", "Type", "Local ID"], bound), missingPart];
  const load = async () => (await call("GET", `${CONTROL}/bindings`)).result;

  function show(data) {
    if (data.failed) return fill(bound, messageRow(3, data.failed, "banner-error"));
    fill(bound, data.bindings.length ? data.bindings.map((b) => h("tr", {},
      h("th", { scope: "row" }, BINDING_TYPE[b.type]
        ? h("a", { href: link({ view: b.type, binding: b.binding }), "data-focus": `open:${b.type}:${b.binding}` },
          h("code", {}, b.binding))
        : h("code", {}, b.binding)),
      h("td", {}, BINDING_TYPE[b.type] ?? b.type), h("td", {}, b.id ? h("code", {}, b.id) : "—")))
      : messageRow(3, 'No D1, KV or R2 bindings: add "d1_databases", "kv_namespaces" or "r2_buckets" '
        + "to your wrangler config."));
    missingPart.hidden = !data.not_emulated.length;
    fill(missing, data.not_emulated.map((m) => h("tr", { class: "not-emulated" },
      h("th", { scope: "row" }, h("code", {}, m.binding)), h("td", {}, m.kind),
      h("td", {}, h("code", {}, m.field)))));
  }
  return { nodes, load, show };
}

function d1View(route) {
  const { binding } = route;
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const nodes = [crumbs([["Data", { view: "data" }]], binding),
    h("h2", {}, "D1 database ", h("code", {}, binding)), meta,
    dataTable("Tables, with their row counts", ["Table", "Rows"], rows)];
  const load = async () => (await call("GET", `${dataPath("d1", binding)}/tables`)).result;

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      return fill(rows, messageRow(2, data.failed));
    }
    meta.textContent = listedText(data.length, "table");
    fill(rows, data.length ? data.map((t) => h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "d1-table", binding, table: t.name }), "data-focus": `open:${t.name}`,
      }, h("code", {}, t.name))),
      h("td", { class: "num" }, String(t.rows))))
      : messageRow(2, "No tables yet: your migrations or your Worker create them."));
  }
  return { nodes, load, show };
}

function d1TableView(route) {
  const { binding, table } = route;
  const offset = (route.page - 1) * PER_PAGE;
  const meta = h("p", { class: "muted" });
  const head = h("tr");
  const rows = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Row pages" });
  const nodes = [
    crumbs([["Data", { view: "data" }], [binding, { view: "d1", binding }]], table),
    h("h2", {}, "Table ", h("code", {}, table)), meta,
    dataTable(`Rows of ${table}${route.page > 1 ? `, page ${route.page}` : ""}`, head, rows), pager];

  async function load() {
    const query = new URLSearchParams({ limit: PER_PAGE, offset });
    const path = `${dataPath("d1", binding)}/tables/${enc(table)}?${query}`;
    const envelope = await call("GET", path);
    return { ...envelope.result, info: envelope.result_info };
  }

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      fill(head);
      fill(pager);
      return fill(rows, messageRow(1, data.failed));
    }
    const { columns, info } = data;
    const total = info.total_count;
    meta.textContent = `${columns.length} column${columns.length === 1 ? "" : "s"} · ${total} row${total === 1 ? "" : "s"}`
      + (info.count ? ` · showing ${offset + 1}–${offset + info.count}` : "");
    fill(head, columns.map((c) => h("th", { scope: "col" }, c)));
    const width = Math.max(1, columns.length);
    fill(rows, data.rows.length
      ? data.rows.map((r, i) => h("tr", {}, columns.map((c) => h("td", {}, cell(`${offset + i}:${c}`, r[c])))))
      : messageRow(width, total ? "No rows on this page." : "No rows yet."));
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    const to = (page) => link({ ...route, page });
    fill(pager, (pages > 1 || route.page > 1) && [
      route.page > 1 && h("a", { href: to(Math.min(route.page - 1, pages)), rel: "prev" }, "← Previous"),
      h("span", {}, ` Page ${route.page} of ${pages} `),
      route.page < pages && h("a", { href: to(route.page + 1), rel: "next" }, "Next →")]);
  }
  return { nodes, load, show };
}

function kvView(route) {
  const { binding, prefix } = route;
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const nodes = [crumbs([["Data", { view: "data" }]], binding),
    h("h2", {}, "KV namespace ", h("code", {}, binding)), prefixForm(route, "keys"), meta,
    dataTable(`Keys${prefix ? ` starting with "${prefix}"` : ""}, in order`,
      ["Key", "Expires", "Metadata"], rows)];
  const load = async () =>
    (await call("GET", `${dataPath("kv", binding)}/keys?${new URLSearchParams({ prefix })}`)).result;

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      return fill(rows, messageRow(3, data.failed));
    }
    meta.textContent = listedText(data.length, "key", prefix);
    fill(rows, data.length ? data.map((k) => h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "kv-key", binding, key: k.name }), "data-focus": `open:${k.name}`,
      }, h("code", {}, k.name))),
      h("td", {}, k.expiration ? time(msIso(k.expiration * 1000)) : "never"),
      h("td", {}, metadata(`${k.name}:metadata`, k.metadata))))
      : messageRow(3, prefix ? `No keys start with "${prefix}".` : "No keys yet."));
  }
  return { nodes, load, show };
}

function kvKeyView(route) {
  const { binding, key } = route;
  const body = h("div");
  const nodes = [
    crumbs([["Data", { view: "data" }], [binding, { view: "kv", binding, prefix: "" }]], key),
    h("h2", {}, "Key ", h("code", {}, key)), body];
  const load = async () => (await call("GET", `${dataPath("kv", binding)}/keys/${enc(key)}`)).result;

  function show(d) {
    if (d.failed) return fill(body, h("p", { class: "banner banner-error" }, d.failed));
    const binary = d.encoding === "base64";
    const size = binary ? base64Size(d.value) : new TextEncoder().encode(d.value).length;
    fill(body,
      h("dl", { class: "facts" },
        fact("Expires", d.expiration ? time(msIso(d.expiration * 1000)) : "never"),
        fact("Size", bytes(size)), fact("Encoding", binary ? "binary" : "UTF-8 text"),
        fact("Metadata", metadata("metadata", d.metadata))),
      h("section", { "aria-labelledby": "value-title" },
        h("h3", { id: "value-title" }, "Value"),
        binary ? [h("p", {}, `binary, ${bytes(size)}`),
          expander("value:base64", "Show as base64", h("pre", {}, d.value))]
          : h("pre", {}, d.value)));
  }
  return { nodes, load, show };
}

function r2View(route) {
  const { binding, prefix } = route;
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const nodes = [crumbs([["Data", { view: "data" }]], binding),
    h("h2", {}, "R2 bucket ", h("code", {}, binding)), prefixForm(route, "objects"), meta,
    dataTable(`Objects${prefix ? ` starting with "${prefix}"` : ""}, in order`,
      ["Key", "Size", "ETag", "Uploaded", "Content type"], rows)];
  const load = async () =>
    (await call("GET", `${dataPath("r2", binding)}/objects?${new URLSearchParams({ prefix })}`)).result;

  function show(data) {
    if (data.failed) {
      meta.textContent = data.failed;
      return fill(rows, messageRow(5, data.failed));
    }
    meta.textContent = listedText(data.length, "object", prefix);
    fill(rows, data.length ? data.map((o) => h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "r2-object", binding, key: o.key }), "data-focus": `open:${o.key}`,
      }, h("code", {}, o.key))),
      h("td", { class: "num" }, bytes(o.size)), h("td", {}, h("code", {}, o.etag)),
      h("td", {}, time(msIso(o.uploaded))), h("td", {}, o.http_metadata?.contentType ?? "—")))
      : messageRow(5, prefix ? `No objects start with "${prefix}".` : "No objects yet."));
  }
  return { nodes, load, show };
}

function r2ObjectView(route) {
  const { binding, key } = route;
  const body = h("div");
  const name = key.split("/").pop() || key;
  const nodes = [
    crumbs([["Data", { view: "data" }], [binding, { view: "r2", binding, prefix: "" }]], key),
    h("h2", {}, "Object ", h("code", {}, key)),
    h("p", {}, h("a", { href: objectPath(binding, key), download: name, class: "button" }, `Download ${name}`)),
    body];

  async function load() {
    const query = new URLSearchParams({ prefix: key });
    const listed = (await call("GET", `${dataPath("r2", binding)}/objects?${query}`)).result;
    const found = listed.find((o) => o.key === key);
    if (!found) throw new Error(`no object "${key}" in ${binding}`);
    return found;
  }

  function show(d) {
    if (d.failed) return fill(body, h("p", { class: "banner banner-error" }, d.failed));
    const http = d.http_metadata || {};
    const custom = d.custom_metadata || {};
    const others = Object.entries(http).filter(([k]) => k !== "contentType");
    fill(body,
      h("dl", { class: "facts" },
        fact("Size", `${bytes(d.size)}${d.size >= 1024 ? ` (${d.size} bytes)` : ""}`),
        fact("ETag", h("code", {}, d.etag)), fact("Uploaded", time(msIso(d.uploaded))),
        fact("Content type", http.contentType), fact("Version", d.version && h("code", {}, d.version)),
        others.map(([k, v]) => fact(k, h("code", {}, String(v))))),
      h("section", { "aria-labelledby": "custom-title" },
        h("h3", { id: "custom-title" }, "Custom metadata"),
        Object.keys(custom).length ? h("pre", {}, pretty(custom)) : h("p", { class: "muted" }, "None.")));
  }
  return { nodes, load, show };
}

function durableObjectsView(route) {
  const { binding } = route;
  const meta = h("p", { class: "muted" });
  const rows = h("tbody");
  const nodes = [crumbs([["Data", { view: "data" }]], binding),
    h("h2", {}, "Durable Objects ", h("code", {}, binding)), meta,
    dataTable("Objects with storage", ["Id", "Name", "Keys", "Alarm", "In memory"], rows)];
  const load = async () => (await call("GET", durablePath(binding))).result;

  function show(d) {
    if (d.failed) {
      meta.textContent = d.failed;
      return fill(rows, messageRow(5, d.failed));
    }
    meta.textContent = `class ${d.class_name}, ${d.storage === "sqlite" ? "SQLite" : "key-value"} `
      + `storage; ${d.objects.length} object${d.objects.length === 1 ? "" : "s"}`;
    fill(rows, d.objects.length ? d.objects.map((o) => h("tr", {},
      h("th", { scope: "row" }, h("a", {
        href: link({ view: "durable_object-object", binding, key: o.id }), "data-focus": `open:${o.id}`,
      }, h("code", {}, o.id.slice(0, 16) + "…"))),
      h("td", {}, o.name ?? "—"), h("td", {}, String(o.keys)),
      h("td", {}, o.alarm === null ? "none" : time(msIso(o.alarm))),
      h("td", {}, o.in_memory ? "yes" : "no")))
      : messageRow(5, "No objects yet."));
  }
  return { nodes, load, show };
}

function durableObjectView(route) {
  const { binding, key } = route;
  const body = h("div");
  const nodes = [
    crumbs([["Data", { view: "data" }], [binding, { view: "durable_object", binding }]], key),
    h("h2", {}, "Object ", h("code", {}, key)), body];
  const load = async () => (await call("GET", `${durablePath(binding)}/objects/${enc(key)}`)).result;

  function show(d) {
    if (d.failed) return fill(body, h("p", { class: "banner banner-error" }, d.failed));
    fill(body,
      h("dl", { class: "facts" }, fact("Alarm", d.alarm === null ? "none" : time(msIso(d.alarm)))),
      h("section", { "aria-labelledby": "storage-title" },
        h("h3", { id: "storage-title" }, "Key-value storage"),
        Object.keys(d.storage).length ? h("pre", {}, pretty(d.storage))
          : h("p", { class: "muted" }, "No keys.")));
  }
  return { nodes, load, show };
}

// -- queues: per queue, its pending, in-flight and dead-lettered messages -------------------------

const QUEUE_STATES = [["pending", "Pending"], ["in_flight", "In flight"], ["dead_lettered", "Dead-lettered"]];

function queueCounts(c) {
  return `${c.pending} pending, ${c.delayed} delayed, ${c.in_flight} in flight, ${c.dead_lettered} dead-lettered`;
}

function queuesView() {
  const body = h("div");
  const nodes = [h("h2", {}, "Queues"),
    h("p", { class: "muted" }, "Messages still stored, oldest first: acknowledged ones are gone. "
      + "Delayed messages are pending with a later visible time."), body];
  const load = async () => {
    const { queues } = (await call("GET", `${CONTROL}/queues`)).result;
    return Promise.all(queues.map(async (q) => ({
      ...q, messages: (await call("GET", `${CONTROL}/queues/${enc(q.queue)}/messages`)).result.messages,
    })));
  };

  function show(queues) {
    if (queues.failed) return fill(body, h("p", { class: "banner banner-error" }, queues.failed));
    if (!queues.length) return fill(body, h("p", { class: "muted" }, 'No queues: add "queues" to your wrangler config.'));
    fill(body, queues.map((q) => h("section", { class: "queue", "data-queue": q.queue,
      "aria-labelledby": `queue-${q.queue}` },
    h("h3", { id: `queue-${q.queue}` }, "Queue ", h("code", {}, q.queue)),
    h("dl", { class: "facts compact" },
      fact("Messages", h("span", { class: "queue-counts" }, queueCounts(q.counts))),
      fact("Producers", q.producers.length ? q.producers.join(", ") : "none"),
      fact("Consumer", q.consumer ? h("code", {}, JSON.stringify(q.consumer)) : "none")),
    QUEUE_STATES.map(([key, title]) => {
      const rows = q.messages.filter((m) => m.state === key);
      return dataTable(`${title} (${rows.length})`, ["Id", "Body", "Type", "Sent", "Visible at", "Attempts"],
        h("tbody", { "data-state": key }, rows.length ? rows.map((m) => h("tr", {},
          h("th", { scope: "row" }, h("code", {}, m.id)),
          h("td", { class: "message-body" }, clipped(`${q.queue}:${m.id}`, m.body)),
          h("td", {}, m.content_type), h("td", {}, time(msIso(m.timestamp))),
          h("td", {}, time(msIso(m.visible_at))), h("td", {}, String(m.attempts))))
          : messageRow(6, "None.")));
    }))));
  }
  return { nodes, load, show };
}

// -- Workers AI: the registered responses and the calls made -------------------------------------

function aiView() {
  const mocks = h("tbody");
  const calls = h("tbody");
  const nodes = [h("h2", {}, "Workers AI"),
    h("p", { class: "muted" }, "No model runs here: env.AI.run answers from the responses registered "
      + "(emu.mock_ai, wf ai mock, .wf/ai.json). The latest calls, newest first."),
    dataTable("Registered responses", ["Model", "Match", "Answer", "Times", "Used", "From"], mocks),
    dataTable("Calls", ["Time", "Model", "Inputs", "Answer", "Answered by"], calls)];
  const load = async () => {
    const [m, c] = await Promise.all([call("GET", `${CONTROL}/ai/mocks`), call("GET", `${CONTROL}/ai/calls?limit=100`)]);
    return { mocks: m.result, calls: c.result };
  };

  function show(d) {
    if (d.failed) return fill(mocks, messageRow(6, d.failed, "banner-error"));
    fill(mocks, d.mocks.length ? d.mocks.map((m, i) => h("tr", {},
      h("th", { scope: "row" }, h("code", {}, m.model)),
      h("td", {}, m.match ? clipped(`mock:${i}:match`, m.match) : "any input"),
      h("td", {}, m.error ? h("span", { class: "row-error" }, errorText(m.error)) : clipped(`mock:${i}`, m.response)),
      h("td", {}, m.times ?? "every call"), h("td", {}, String(m.used)), h("td", {}, m.source)))
      : messageRow(6, "No responses registered: a call fails, saying how to register one."));
    const newest = [...d.calls].reverse();
    fill(calls, newest.length ? newest.map((c, i) => h("tr", {},
      h("td", {}, time(msIso(c.at))), h("th", { scope: "row" }, h("code", {}, c.model)),
      h("td", {}, clipped(`call:${i}:inputs`, c.inputs)),
      h("td", {}, c.error ? h("span", { class: "row-error" }, c.error) : clipped(`call:${i}`, c.response)),
      h("td", {}, c.mocked_by ?? "no mock")))
      : messageRow(5, "No calls yet."));
  }
  return { nodes, load, show };
}

// -- time controls -------------------------------------------------------------------------------

function wireClock() {
  $("advance-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const by = $("advance-by").value.trim();
    act(async () => {
      const clock = (await call("POST", `${CONTROL}/time/advance`, { by })).result;
      const fired = clock.fired?.length ? `; fired ${firedText(clock.fired)}` : "; no timer fired";
      return `Advanced ${by}: now ${when(clock.now)}${fired}`;
    }, e.submitter);
  });
  $("skip-button").addEventListener("click", (e) => act(async () => {
    const result = (await call("POST", `${CONTROL}/time/skip`, {})).result;
    if (!result.skipped) return "No pending timer to skip to";
    return `Skipped to ${when(result.fired_at)}; fired ${firedText(result.fired || [])}`;
  }, e.currentTarget));
  $("reset-button").addEventListener("click", (e) => {
    if (!confirm("Bring virtual time back to the wall clock? It stops at the latest time already stored.")) return;
    act(async () => {
      const clock = (await call("POST", `${CONTROL}/time/reset`, {})).result;
      const held = clock.held_by_state ? ` (held at the latest stored time, ${when(clock.latest_stored)})` : "";
      return `Reset virtual time: ${when(clock.from)} → ${when(clock.now)}${held}`;
    }, e.currentTarget);
  });
  $("mode-select").addEventListener("change", () => {
    $("mode-scale").disabled = $("mode-select").value !== "scale";
  });
  $("mode-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const mode = $("mode-select").value;
    const scale = Number.parseFloat($("mode-scale").value);
    const body = mode === "scale" && Number.isFinite(scale) ? { mode, scale } : { mode };
    act(async () => {
      const clock = (await call("POST", `${CONTROL}/time`, body)).result;
      state.clockMode = null; // show the server's mode and scale again
      return `Time: ${clock.mode}${clock.mode === "scale" ? ` ×${clock.scale}` : ""}`;
    }, e.submitter);
  });
}

// -- start ---------------------------------------------------------------------------------------

wireClock();
$("find-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("find-id").value.trim();
  location.hash = link({ view: "search", q, status: "", since: "", until: "", page: 1 });
});
// Virtual now moves on between server events in real, scale and auto time.
setInterval(() => {
  if (state.clock && state.clock.mode !== "manual") $("clock-now").textContent = when(new Date(virtualNow()).toISOString());
}, 1000);
// ?poll on the page's URL keeps it to polling: for a proxy that buffers event streams, and for
// headless renders (chromium --dump-dom waits for every open request to end).
const pollOnly = new URLSearchParams(location.search).has("poll");
showLive();
if (!pollOnly) connectLive();
window.addEventListener("hashchange", () => {
  if ($("flash").classList.contains("flash-error")) flash(null);
  state.navigated = true;
  tick();
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden) clearTimeout(state.timer);
  else tick();
});
tick();
