// The wf dashboard: a client of `wf dev`'s explorer REST API and control API, nothing else.
// Its state lives in the URL hash (#/workflows/NAME?status=S&page=N and
// #/workflows/NAME/instances/ID); it polls every second while the tab is visible.
// Every value from the server enters the DOM as text (append, textContent), never as markup.

const EXPLORER = "/cdn-cgi/explorer/api";
const CONTROL = "/cdn-cgi/wf";
const POLL_MS = 1000;
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
const UNITS = [["year", 31536e3], ["month", 2592e3], ["day", 86400], ["hour", 3600],
  ["minute", 60], ["second", 1]];

const state = {
  view: null, // the view shown: {nodes, load(), show(data)}
  viewKey: null, // its route, as a hash
  shown: "", // the JSON of the data it shows (redrawn only when this changes)
  open: new Map(), // open/closed expanders of the view, by key
  timer: 0, loading: false, again: false, navigated: false, clockMode: null,
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
  const [section, workflow, sub, id] = path.split("/").filter(Boolean).map(decode);
  if (section !== "workflows" || !workflow) return { view: "home" };
  if (sub === "instances" && id) return { view: "instance", workflow, id };
  const params = new URLSearchParams(query);
  const page = Math.max(1, Number.parseInt(params.get("page"), 10) || 1);
  return { view: "workflow", workflow, status: params.get("status") || "", page };
}

function link(route) {
  const base = `#/workflows/${enc(route.workflow)}`;
  if (route.view === "instance") return `${base}/instances/${enc(route.id)}`;
  const query = new URLSearchParams();
  if (route.status) query.set("status", route.status);
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
    state.timer = setTimeout(tick, POLL_MS);
  }
}

async function load() {
  const info = (await call("GET", `${CONTROL}/status`)).result;
  const workflows = await Promise.all(
    info.workflows.map(async (name) => (await call("GET", workflowPath(name))).result));
  showProject(info);
  showClock(info.time);
  let route = readRoute();
  if (route.view === "home") {
    const first = workflows[0]?.name;
    route = first ? { view: "workflow", workflow: first, status: "", page: 1 } : { view: "empty" };
  }
  showWorkflows(workflows, route.workflow);

  const key = route.view === "empty" ? "empty" : link(route);
  const rebuilt = key !== state.viewKey;
  const focusKey = document.activeElement?.dataset?.focus;
  if (rebuilt) {
    const views = { instance: instanceView, workflow: workflowView, empty: emptyView };
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
  $("clock-now").textContent = when(clock.now);
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
    const query = new URLSearchParams({ page: route.page, per_page: PER_PAGE });
    if (route.status) query.set("status", route.status);
    const [described, listed] = await Promise.all([
      call("GET", workflowPath(workflow)),
      call("GET", `${workflowPath(workflow)}/instances?${query}`)]);
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
      h("td", {}, badge(STATUS, instance.status)),
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
      + `${info.total_count} ${route.status ? statusWord.toLowerCase() : "in all"}`;
    const counts = info.status_counts || {};
    const total = Object.keys(STATUS).reduce((sum, s) => sum + (counts[s] || 0), 0);
    fill(filters, [["", ["", "All"], total],
      ...Object.entries(STATUS).map(([s, label]) => [s, label, counts[s] || 0])].map(filterLink));
    const none = route.status ? `No ${statusWord.toLowerCase()} instances.`
      : "No instances yet: create one below, or from your Worker.";
    fill(rows, instances.length ? instances.map(row)
      : h("tr", {}, h("td", { colspan: 5, class: "muted" }, none)));
    const pages = info.total_pages || 1;
    const to = (page) => link({ ...route, page });
    fill(pager, pages > 1 && [
      route.page > 1 && h("a", { href: to(route.page - 1), rel: "prev" }, "← Newer"),
      h("span", {}, ` Page ${route.page} of ${pages} `),
      route.page < pages && h("a", { href: to(route.page + 1), rel: "next" }, "Older →")]);
  }
  return { nodes, load, show };
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
    h("section", { "aria-labelledby": "steps-title" },
      h("h3", { id: "steps-title" }, "Steps"), steps),
    h("section", { class: "panel", "aria-labelledby": "event-title" },
      h("h3", { id: "event-title" }, "Send an event"),
      h("form", { class: "stack", onsubmit: sendEvent },
        h("label", { for: "event-type" }, "Type"), typeInput,
        jsonInput("event-payload", "Payload (JSON, optional)", '{"approved": true}'),
        h("div", {}, h("button", { type: "submit" }, "Send event")))),
  ];

  const load = async () => (await call("GET", instancePath(workflow, id))).result;

  function show(d) {
    if (d.failed) {
      for (const b of Object.values(actions)) b.disabled = b !== actions.delete;
      fill(steps);
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
      h("div", { class: "values" },
        h("section", { "aria-labelledby": "params-title" },
          h("h3", { id: "params-title" }, "Params"), h("pre", {}, pretty(d.params))),
        h("section", { "aria-labelledby": "output-title" },
          h("h3", { id: "output-title" }, "Output"), output)));
    const waitingFor = d.steps?.find((s) => s.type === "waitForEvent" && !s.finished)?.event_type;
    typeInput.placeholder = waitingFor ? `waiting for "${waitingFor}"` : "";
    fill(steps, d.steps?.length ? d.steps.map((s, i) => stepItem(s, i, restartFrom))
      : h("li", { class: "muted" }, "No steps yet."));
  }
  return { nodes, load, show };
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
  return h("li", { class: `step step-${s.type}` },
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
    s.config && Object.keys(s.config).length > 0
      && expander(`${key}:config`, "Config", h("pre", {}, pretty(s.config))),
    attempts.length > 0 && expander(`${key}:attempts`, `Attempts (${attempts.length})`,
      attemptsTable(attempts), attempts.length > 1 || attempts.some((a) => a.error)));
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

// -- time controls -------------------------------------------------------------------------------

function wireClock() {
  $("advance-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const by = $("advance-by").value.trim();
    act(async () => {
      const clock = (await call("POST", `${CONTROL}/time/advance`, { by })).result;
      return `Advanced ${by}: now ${when(clock.now)}`;
    }, e.submitter);
  });
  $("skip-button").addEventListener("click", (e) => act(async () => {
    const result = (await call("POST", `${CONTROL}/time/skip`, {})).result;
    return result.skipped ? `Skipped to ${when(result.fired_at)}` : "No pending timer to skip to";
  }, e.currentTarget));
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
