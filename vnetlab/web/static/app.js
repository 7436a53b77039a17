// vnetlab web view: plain JavaScript over the JSON endpoints (the CLI's --json shapes).
// Every request carries the run's token; all text goes in through textContent.
"use strict";

const TOKEN = document.body.dataset.token;
let INFO = null;         // /api/info
let STATE = null;        // last /api/state (vnetlab show --json)
let TRACE = null;        // last /api/trace answer {trace, path}
let hop = -1;            // current step of the trace being shown
let player = null;
let PICKED = null;       // the interface clicked on the drawing

async function api(path, body) {
  const opts = { headers: { "X-Vnetlab-Token": TOKEN } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const type = r.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const msg = data && data.error ? data.error + (data.hint ? " (" + data.hint + ")" : "") : String(data);
    throw new Error(msg);
  }
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(tbody, cells) {
  const tr = el("tr");
  for (const c of cells) {
    if (c instanceof Node) { const td = el("td"); td.appendChild(c); tr.appendChild(td); }
    else tr.appendChild(el("td", c));
  }
  tbody.appendChild(tr);
  return tr;
}

function status(text, isError) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = "status" + (isError ? " error" : "");
}

// ---- tabs ------------------------------------------------------------------------------
for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => {
    document.querySelectorAll("#tabs button").forEach(x => x.classList.toggle("active", x === b));
    document.querySelectorAll(".tab").forEach(t => t.classList.toggle("active", t.id === "tab-" + b.dataset.tab));
  });
}

// ---- topology --------------------------------------------------------------------------
function svgElement(id) {
  // graphviz ids: "if:NODE:IFNAME", "ns:NODE", "edge:KIND:A--B"
  return document.getElementById(id);
}

function clearPath() {
  document.querySelectorAll("#topology .on-path, #topology .current").forEach(
    e => e.classList.remove("on-path", "current"));
}

function showPath(path) {
  clearPath();
  for (const v of path.vertices) { const e = svgElement("if:" + v); if (e) e.classList.add("on-path"); }
  for (const c of path.clusters) { const e = svgElement("ns:" + c); if (e) e.classList.add("on-path"); }
  for (const id of path.edges) { const e = svgElement("edge:" + id); if (e) e.classList.add("on-path"); }
}

// ---- trace -----------------------------------------------------------------------------
function showHop(i) {
  if (!TRACE) return;
  const steps = TRACE.path.steps;
  if (steps.length === 0) return;
  hop = Math.max(0, Math.min(i, steps.length - 1));
  document.querySelectorAll("#topology .current").forEach(e => e.classList.remove("current"));
  const s = steps[hop];
  const target = s.element.startsWith("ns:") ? svgElement(s.element) : svgElement("if:" + s.element);
  if (target) {
    target.classList.add("current");
    target.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  document.querySelectorAll("#trace-steps li").forEach((li, j) => li.classList.toggle("current", j === hop));
  document.getElementById("trace-pos").textContent = `step ${hop + 1} of ${steps.length}: ${s.where}`;
}

function stopPlayer() {
  if (player !== null) { clearInterval(player); player = null; }
  document.getElementById("trace-play").textContent = "▶ play";
}

document.getElementById("trace-prev").addEventListener("click", () => { stopPlayer(); showHop(hop - 1); });
document.getElementById("trace-next").addEventListener("click", () => { stopPlayer(); showHop(hop + 1); });
document.getElementById("trace-play").addEventListener("click", () => {
  if (player !== null) { stopPlayer(); return; }
  if (!TRACE) return;
  if (hop >= TRACE.path.steps.length - 1) hop = -1;
  document.getElementById("trace-play").textContent = "❚❚ pause";
  player = setInterval(() => {
    if (hop >= TRACE.path.steps.length - 1) { stopPlayer(); return; }
    showHop(hop + 1);
  }, 400);
});

document.getElementById("trace-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  stopPlayer();
  const src = document.getElementById("trace-from").value;
  const dst = document.getElementById("trace-to").value.trim();
  const verdict = document.getElementById("trace-verdict");
  const list = document.getElementById("trace-steps");
  verdict.textContent = "tracing…";
  verdict.className = "verdict";
  list.replaceChildren();
  try {
    TRACE = await api("api/trace", { from: src, to: dst });
  } catch (e) {
    verdict.textContent = "error: " + e.message;
    verdict.className = "verdict bad";
    return;
  }
  const t = TRACE.trace;
  verdict.textContent = "verdict: " + t.verdict;
  verdict.className = "verdict " + (t.delivered ? "ok" : "bad");
  TRACE.path.steps.forEach((s, i) => {
    const li = el("li", null, s.kind);
    li.appendChild(el("span", s.kind, "kind"));
    li.appendChild(document.createTextNode(`${s.where}: ${s.text}`));
    li.addEventListener("click", () => { stopPlayer(); showHop(i); });
    list.appendChild(li);
  });
  showPath(TRACE.path);
  document.getElementById("trace-controls").hidden = false;
  hop = -1;
  refreshState();
});

// ---- checks ----------------------------------------------------------------------------
document.getElementById("checks-run").addEventListener("click", async () => {
  const summary = document.getElementById("checks-summary");
  const tbody = document.querySelector("#checks-table tbody");
  summary.textContent = "running…";
  summary.className = "";
  tbody.replaceChildren();
  let rep;
  try {
    rep = await api("api/checks", {});
  } catch (e) {
    summary.textContent = "error: " + e.message;
    summary.className = "error";
    return;
  }
  for (const r of rep.results) {
    const verdict = el("span", r.status.toUpperCase(), r.status.toUpperCase());
    const observed = r.got + (r.detail ? " — " + r.detail : "");
    row(tbody, [r.index, `${r.kind} ${r.subject}`, r.expected, verdict, observed]);
  }
  const c = rep.counts;
  summary.textContent = `${rep.ok ? "all checks passed" : "checks failed"}: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped`;
  summary.className = rep.ok ? "PASS" : "FAIL";
  refreshState();
});

// ---- ping ------------------------------------------------------------------------------
document.getElementById("ping-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const out = document.getElementById("ping-out");
  out.textContent = "pinging…";
  try {
    const r = await api("api/ping", {
      src: document.getElementById("ping-from").value,
      dst: document.getElementById("ping-to").value.trim(),
      count: Number(document.getElementById("ping-count").value || 1),
    });
    const lines = r.replies.map(x => `icmp_seq=${x.seq} ttl=${x.ttl} time=${x.time_ms.toFixed(3)} ms`);
    lines.push(...r.error_lines);
    lines.push(`${r.transmitted} packets transmitted, ${r.received} received, ${r.loss_percent}% packet loss`);
    out.textContent = lines.join("\n");
  } catch (e) {
    out.textContent = "error: " + e.message;
  }
  refreshState();
});

// ---- counters and tables (polled) --------------------------------------------------------
async function arm(iface, cell) {
  try {
    await api("api/capture", { iface });
    INFO.captures.push(iface);
    cell.replaceChildren(pcapLink(iface));
  } catch (e) {
    status(e.message, true);
  }
}

function pcapLink(iface) {
  const a = el("a", "pcap");
  a.href = `api/pcap?iface=${encodeURIComponent(iface)}&token=${encodeURIComponent(TOKEN)}`;
  a.setAttribute("download", iface.replace(":", "-") + ".pcap");
  a.dataset.iface = iface;
  return a;
}

function renderCounters() {
  const tbody = document.querySelector("#counters-table tbody");
  tbody.replaceChildren();
  for (const [name, node] of Object.entries(STATE.nodes)) {
    for (const ln of node.links) {
      if (ln.ifname === "lo") continue;
      const iface = `${name}:${ln.ifname}`;
      const s = ln.stats;
      const cell = el("span");
      if (INFO.captures.includes(iface)) cell.appendChild(pcapLink(iface));
      else {
        const b = el("button", "capture");
        b.type = "button";
        b.addEventListener("click", () => arm(iface, cell));
        cell.appendChild(b);
      }
      const tr = row(tbody, [iface, ln.operstate, s.rx_packets, s.tx_packets, s.rx_bytes,
        s.tx_bytes, `${s.rx_dropped}/${s.tx_dropped}`, cell]);
      tr.dataset.iface = iface;
      if (iface === PICKED) tr.classList.add("picked");
      for (let i = 2; i <= 6; i++) tr.children[i].className = "num";
      // the drawing's tooltip of the device follows its counters too
      const link = document.querySelector(`[id="a_if:${CSS.escape(iface)}"] > a`);
      if (link) {
        link.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:title",
          `${iface} ${ln.operstate}: rx ${s.rx_packets} pkts, tx ${s.tx_packets} pkts, ` +
          `dropped ${s.rx_dropped}/${s.tx_dropped}`);
      }
    }
  }
}

function renderTables() {
  const sel = document.getElementById("tables-node");
  const node = STATE.nodes[sel.value];
  const routes = document.querySelector("#routes-table tbody");
  const neigh = document.querySelector("#neigh-table tbody");
  const fdb = document.querySelector("#fdb-table tbody");
  routes.replaceChildren(); neigh.replaceChildren(); fdb.replaceChildren();
  if (!node) return;
  for (const r of node.routes) {
    let s = r.dst + (r.via ? ` via ${r.via}` : "") + ` dev ${r.dev}`;
    if (r.proto !== "boot") s += ` proto ${r.proto}`;
    if (r.scope !== "global") s += ` scope ${r.scope}`;
    if (r.prefsrc) s += ` src ${r.prefsrc}`;
    row(routes, [s]);
  }
  for (const n of node.neighs) row(neigh, [n.dst, n.dev, n.lladdr || "", n.state]);
  for (const f of node.fdb) row(fdb, [f.mac, f.port, f.bridge, f.vlan ?? "", f.flags.join(" ")]);
}

async function refreshState() {
  try {
    STATE = await api("api/state");
  } catch (e) {
    status("state: " + e.message, true);
    return;
  }
  renderCounters();
  renderTables();
  const dl = document.getElementById("addresses");
  if (dl.children.length === 0) {
    for (const node of Object.values(STATE.nodes)) {
      for (const a of node.addrs) {
        const ip = a.cidr.split("/")[0];
        if (!ip.startsWith("127.")) { const o = el("option"); o.value = ip; o.label = `${node.name}:${a.ifname}`; dl.appendChild(o); }
      }
    }
  }
  status("updated " + new Date().toLocaleTimeString());
}

document.getElementById("tables-node").addEventListener("change", renderTables);

// ---- start -----------------------------------------------------------------------------
async function start() {
  INFO = await api("api/info");
  document.getElementById("engine").textContent = "engine " + INFO.engine;
  const svg = await api("api/graph.svg");
  document.getElementById("topology").innerHTML = svg;  // our own dot output
  // a click on a device shows its node's tables and its counters row
  for (const g of document.querySelectorAll("#topology g.node")) {
    if (!g.id.startsWith("if:")) continue;
    g.addEventListener("click", ev => {
      ev.preventDefault();
      const iface = g.id.slice(3);
      PICKED = iface;
      document.querySelectorAll("#counters-table tr.picked").forEach(x => x.classList.remove("picked"));
      document.getElementById("tables-node").value = iface.split(":")[0];
      renderTables();
      document.querySelector("#tabs button[data-tab=counters]").click();
      const tr = document.querySelector(`#counters-table tr[data-iface="${CSS.escape(iface)}"]`);
      if (tr) { tr.scrollIntoView({ block: "nearest" }); tr.classList.add("picked"); }
    });
  }
  for (const id of ["trace-from", "ping-from", "tables-node"]) {
    const sel = document.getElementById(id);
    for (const node of Object.keys(INFO.topology.nodes)) sel.appendChild(new Option(node, node));
  }
  if (!INFO.can_trace) {
    document.getElementById("trace-verdict").textContent =
      `the ${INFO.engine} engine cannot trace a packet's path (serve with --engine sim)`;
    document.getElementById("trace-run").disabled = true;
  }
  await refreshState();
  setInterval(refreshState, 1000);
}

start().catch(e => status("start: " + e.message, true));
