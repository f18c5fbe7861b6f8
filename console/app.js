// The agov console: preact + htm as ES modules from the package, no build step. Every view is
// read through governed calls (the same tools an agent calls, on the ledger, at the caller's
// tier); every control is a tool the caller's token is granted, and its click is that tool's call.
import htm from "htm";
import { h, render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { call, finishOAuth, grantedTools, session, startOAuth, watch } from "./api.js";

const html = htm.bind(h);
const TABS = [
  ["agents", "Agents & locks"],
  ["tasks", "Tasks"],
  ["pipelines", "Pipelines"],
  ["ledger", "Ledger"],
];

const short = (value, max = 160) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text && text.length > max ? `${text.slice(0, max)}…` : (text ?? "");
};
const time = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : "");
function taskOf(row) {
  const d = row.detail;
  if (!d) return null;
  try {
    return (typeof d === "string" ? JSON.parse(d) : d)?.task_id ?? null;
  } catch {
    return null;
  }
}

/** Loads with `load` whenever a dependency (the change counter among them) moves. */
function useGoverned(load, deps) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: null }),
      (err) => current && setState((s) => ({ data: s.data, error: err.message })),
    );
    return () => {
      current = false;
    };
  }, deps);
  return state;
}

function Problem({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const token = new FormData(e.target).get("token").trim();
    if (!token) return setError("paste a token issued with `agov token issue`");
    setBusy(true);
    session.signIn(token);
    try {
      onSignedIn(await call("whoami"));
    } catch (err) {
      session.signOut();
      setError(err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`<section class="signin">
    <h1>agov console</h1>
    <p>Sign in with an agov identity: a token from <code>agov token issue --agent you --tier N</code>.
    You see and may do exactly what that identity's tier allows; every action is a governed call on the ledger.</p>
    <form onSubmit=${submit}>
      <label for="token">Token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" />
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
    <p class="or">or</p>
    <button type="button" onClick=${() => startOAuth().catch((err) => setError(err.message))}>Sign in with OAuth</button>
    <span class="muted"> (agov's consent page: paste a token there once)</span>
    <${Problem} error=${error} />
  </section>`;
}

function Agents({ version, granted, act }) {
  const { data, error } = useGoverned(async () => {
    const { rows } = await call("audit_query", { limit: 200 });
    const agents = new Map();
    const tasks = [];
    for (const row of rows) {
      const a = agents.get(row.agent_id) ?? {
        id: row.agent_id,
        tier: row.tier,
        last: row.timestamp,
        sessions: new Set(),
      };
      if (row.session_id) a.sessions.add(row.session_id);
      agents.set(row.agent_id, a);
      const t = taskOf(row);
      if (t && !tasks.includes(t)) tasks.push(t);
    }
    const recent = tasks.slice(0, 8);
    const phases = new Map();
    const handoffs = [];
    await Promise.all(
      recent.map(async (task) => {
        const [spawn, handoff] = await Promise.all([
          call("spawn_conditions", { task_id: task }).catch(() => null),
          call("handoff_read", { task_id: task }).catch(() => null),
        ]);
        for (const [agent, line] of Object.entries(spawn?.roster ?? {}))
          if (!phases.has(agent)) phases.set(agent, { task, ...line });
        if (handoff?.found) handoffs.push({ task, ...handoff.handoff });
      }),
    );
    const list = [...agents.values()].slice(0, 30);
    // Only an agent on a roster and not yet at EXIT can hold its execution lock: ask for those.
    const running = list.filter((a) => phases.has(a.id) && phases.get(a.id).phase !== "EXIT");
    const locks = await Promise.all(
      running
        .slice(0, 20)
        .map((a) => call("lock_status", { resource: `agent:${a.id}:exec` }).catch(() => null)),
    );
    const revocations = rows.filter(
      (r) => r.tool === "agent_revoke" || r.kind === "revocation" || /revok/i.test(r.action),
    );
    return { list, phases, locks: locks.filter((l) => l?.held), handoffs, revocations };
  }, [version]);
  const [revoking, setRevoking] = useState(null);
  const canRevoke = granted.has("agent_revoke");
  return html`<section>
    <${Problem} error=${error} />
    <h2>Agents and sessions</h2>
    ${
      !data
        ? html`<p class="muted">Loading…</p>`
        : html`<table class="agents">
          <thead><tr><th>agent</th><th>tier</th><th>phase</th><th>task</th><th>sessions</th><th>last call</th>${canRevoke && html`<th>control</th>`}</tr></thead>
          <tbody>
            ${data.list.map((a) => {
              const p = data.phases.get(a.id);
              return html`<tr data-agent=${a.id}>
                <td>${a.id}</td><td>${a.tier == null ? "" : `T${a.tier}`}</td>
                <td>${p?.phase ?? ""}</td><td>${p?.task ?? ""}</td>
                <td>${a.sessions.size}</td><td>${time(a.last)}</td>
                ${
                  canRevoke &&
                  html`<td>${
                    revoking === a.id
                      ? html`<form class="inline" onSubmit=${async (e) => {
                          e.preventDefault();
                          const reason = new FormData(e.target).get("reason").trim();
                          if (
                            await act("agent_revoke", {
                              agent_id: a.id,
                              reason: reason || "revoked from the console",
                            })
                          )
                            setRevoking(null);
                        }}>
                      <input name="reason" placeholder="reason" aria-label=${`reason to revoke ${a.id}`} />
                      <button type="submit" class="danger">Confirm revoke</button>
                      <button type="button" onClick=${() => setRevoking(null)}>Cancel</button>
                    </form>`
                      : html`<button class="danger" onClick=${() => setRevoking(a.id)}>Revoke</button>`
                  }</td>`
                }
              </tr>`;
            })}
          </tbody>
        </table>
        <h2>Locks</h2>
        ${
          data.locks.length === 0
            ? html`<p class="muted">No execution lock held.</p>`
            : html`<table class="locks"><thead><tr><th>lock</th><th>holder</th><th>fence</th><th>expires</th></tr></thead>
            <tbody>${data.locks.map((l) => html`<tr><td>${l.resource}</td><td>${l.holder}</td><td>${l.fence}</td><td>${time(l.expires_at)}</td></tr>`)}</tbody></table>`
        }
        <${LockLookup} />
        <h2>Revocations</h2>
        ${
          data.revocations.length === 0
            ? html`<p class="muted">None in the recent ledger.</p>`
            : html`<ul>${data.revocations.map((r) => html`<li>${time(r.timestamp)} ${r.agent_id}: ${r.action} (${r.decision})</li>`)}</ul>`
        }
        <h2>Handoffs</h2>
        ${
          data.handoffs.length === 0
            ? html`<p class="muted">None on the recent tasks.</p>`
            : html`<ul>${data.handoffs.map((x) => html`<li><b>${x.task}</b>: ${short(x, 240)}</li>`)}</ul>`
        }`
    }
    ${granted.has("promotion_approve") && html`<${PromotionApprove} act=${act} />`}
  </section>`;
}

function LockLookup() {
  const [answer, setAnswer] = useState(null);
  async function submit(e) {
    e.preventDefault();
    const resource = new FormData(e.target).get("resource").trim();
    try {
      setAnswer(await call("lock_status", { resource }));
    } catch (err) {
      setAnswer({ error: err.message });
    }
  }
  return html`<form class="inline" onSubmit=${submit}>
    <input name="resource" placeholder="lock name" aria-label="lock name" />
    <button type="submit">Look up lock</button>
    ${
      answer &&
      html`<span class=${answer.error ? "error" : ""}>${
        answer.error ??
        (answer.held
          ? `${answer.resource}: held by ${answer.holder}, fence ${answer.fence}, until ${time(answer.expires_at)}`
          : `${answer.resource}: free`)
      }</span>`
    }
  </form>`;
}

function PromotionApprove({ act }) {
  return html`<section>
    <h2>Promotions</h2>
    <form class="inline" onSubmit=${(e) => {
      e.preventDefault();
      const agent = new FormData(e.target).get("agent").trim();
      if (agent) void act("promotion_approve", { agent_id: agent });
    }}>
      <input name="agent" placeholder="agent id" aria-label="agent whose T3 → T4 promotion to approve" />
      <button type="submit">Approve promotion</button>
    </form>
  </section>`;
}

function Tasks({ version }) {
  const [picked, setPicked] = useState(null);
  const { data, error } = useGoverned(async () => {
    const { rows } = await call("audit_query", { limit: 200 });
    const tasks = [];
    for (const row of rows) {
      const t = taskOf(row);
      if (t && !tasks.includes(t)) tasks.push(t);
    }
    const task = picked && tasks.includes(picked) ? picked : tasks[0];
    if (!task) return { tasks, task: null };
    const [board, consensus, messages, spawn] = await Promise.all([
      call("blackboard_read", { task_id: task }),
      call("consensus_status", { task_id: task }).catch(() => ({ proposals: [] })),
      call("message_read", { task_id: task, limit: 100 }).catch(() => ({ messages: [] })),
      call("spawn_conditions", { task_id: task }).catch(() => null),
    ]);
    return { tasks, task, board, consensus, messages, spawn };
  }, [version, picked]);
  return html`<section>
    <${Problem} error=${error} />
    ${
      !data
        ? html`<p class="muted">Loading…</p>`
        : !data.task
          ? html`<p class="muted">No task in the recent ledger yet.</p>`
          : html`<nav class="tasks">${data.tasks.map(
              (t) =>
                html`<button class=${t === data.task ? "on" : ""} onClick=${() => setPicked(t)}>${t}</button>`,
            )}</nav>
          <h2>Roster of ${data.task}</h2>
          <table class="roster"><thead><tr><th>agent</th><th>phase</th><th>step</th><th>at</th></tr></thead><tbody>
            ${Object.entries(data.spawn?.roster ?? {}).map(([a, l]) => html`<tr><td>${a}</td><td>${l.phase}</td><td>${l.step}</td><td>${time(l.at)}</td></tr>`)}
          </tbody></table>
          ${data.spawn?.spawn && html`<p>Spawn condition: <b>${data.spawn.spawn}</b></p>`}
          <h2>Blackboard</h2>
          <table class="blackboard"><thead><tr><th>section</th><th>key</th><th>version</th><th>value</th></tr></thead><tbody>
            ${data.board.entries.map((e) => html`<tr><td>${e.section}</td><td>${e.key}</td><td>${e.version}</td><td class="value">${short(e.value)}</td></tr>`)}
          </tbody></table>
          <h2>Proposals and votes</h2>
          ${
            data.consensus.proposals.length === 0
              ? html`<p class="muted">No proposal.</p>`
              : html`<table class="proposals"><thead><tr><th>proposal</th><th>author</th><th>status</th><th>votes</th></tr></thead><tbody>
              ${data.consensus.proposals.map(
                (p) => html`<tr><td>${p.title}</td><td>${p.author}</td><td>${p.status}</td>
                <td>${p.votes.map((v) => html`<span class=${`vote ${v.vote}`}>${v.agent}: ${v.vote}</span> `)}</td></tr>`,
              )}
            </tbody></table>`
          }
          <h2>Messages to you</h2>
          ${
            data.messages.messages.length === 0
              ? html`<p class="muted">None addressed to you (or to ALL).</p>`
              : html`<ul>${data.messages.messages.map((m) => html`<li>${m.from} → ${m.to} <b>${m.type}</b>: ${short(m.body)}</li>`)}</ul>`
          }`
    }
  </section>`;
}

function Pipelines({ version, granted, act }) {
  const { data, error } = useGoverned(async () => {
    const { runs = [] } = await call("pipeline_status", { limit: 20 });
    return Promise.all(runs.slice(0, 8).map((r) => call("pipeline_status", { run_id: r.run_id })));
  }, [version]);
  const canDecide = granted.has("gate_approve");
  return html`<section>
    <${Problem} error=${error} />
    ${
      !data
        ? html`<p class="muted">Loading…</p>`
        : data.length === 0
          ? html`<p class="muted">No pipeline run yet.</p>`
          : data.map(
              (run) => html`<article class="run" data-run=${run.run_id}>
              <h2>${run.pipeline} <span class=${`status ${run.status}`}>${run.status}</span></h2>
              <p class="muted">run ${run.run_id}, started by ${run.started_by} at ${time(run.created_at)}${run.objective ? `: ${run.objective}` : ""}</p>
              <table class="stages"><thead><tr><th>stage</th><th>kind</th><th>status</th><th>agents</th><th>artifacts</th><th>why</th><th></th></tr></thead><tbody>
                ${run.stages.map(
                  (s) => html`<tr data-stage=${s.name}>
                    <td>${s.name}</td><td>${s.kind}</td><td class=${`status ${s.status}`}>${s.status}</td>
                    <td>${s.agents.join(", ")}</td><td>${s.artifacts.join(", ")}</td><td>${s.reason ?? ""}</td>
                    <td>${
                      s.status === "waiting" && /gate/.test(s.kind)
                        ? canDecide
                          ? html`<button onClick=${() => act("gate_approve", { run_id: run.run_id, stage: s.name, decision: "approve", reason: "approved in the console" })}>Approve</button>
                          <button class="danger" onClick=${() => act("gate_approve", { run_id: run.run_id, stage: s.name, decision: "reject", reason: "rejected in the console" })}>Reject</button>`
                          : html`<span class="muted">waits for a T4 decision</span>`
                        : ""
                    }</td>
                  </tr>`,
                )}
              </tbody></table>
            </article>`,
            )
    }
  </section>`;
}

function Ledger({ version, granted }) {
  const [filters, setFilters] = useState({});
  const { data, error } = useGoverned(
    () => call("audit_query", { limit: 100, ...filters }),
    [version, filters],
  );
  const canVerify = granted.has("audit_verify");
  const chain = useGoverned(
    () => (canVerify ? call("audit_verify") : Promise.resolve(null)),
    [version, canVerify],
  );
  function submit(e) {
    e.preventDefault();
    const f = {};
    for (const [k, v] of new FormData(e.target)) if (String(v).trim()) f[k] = String(v).trim();
    setFilters(f);
  }
  return html`<section>
    <form class="filters" onSubmit=${submit}>
      <input name="agent_id" placeholder="agent" aria-label="agent filter" />
      <input name="tool" placeholder="tool" aria-label="tool filter" />
      <select name="decision" aria-label="decision filter"><option value="">any decision</option><option value="allow">allow</option><option value="deny">deny</option></select>
      <input name="task_id" placeholder="task" aria-label="task filter" />
      <button type="submit">Filter</button>
    </form>
    <${Problem} error=${error} />
    <p class="chain">${
      !canVerify
        ? html`<span class="muted">The chain's check (audit_verify) is an architect's (T4) tool.</span>`
        : chain.error
          ? html`<span class="error">chain check failed: ${chain.error}</span>`
          : !chain.data
            ? "checking the chain…"
            : chain.data.ok
              ? html`<span class="verified">chain verified</span> <span class="muted">(${chain.data.scope}: ${chain.data.rows} rows read, up to row ${chain.data.last_row})</span>`
              : html`<span class="error">chain BROKEN at row ${chain.data.bad_row} (${chain.data.kind}): ${chain.data.reason}</span>`
    }</p>
    ${
      data &&
      html`<p class="muted">${data.total} matching rows${data.note ? `; ${data.note}` : ""}.</p>
      <table class="ledger"><thead><tr><th>#</th><th>time</th><th>agent</th><th>tier</th><th>tool</th><th>action</th><th>decision</th><th>outcome</th></tr></thead><tbody>
        ${data.rows.map(
          (r) => html`<tr class=${r.decision} data-row=${r.id}>
            <td>${r.id}</td><td>${time(r.timestamp)}</td><td>${r.agent_id}</td><td>${r.tier == null ? "" : `T${r.tier}`}</td>
            <td>${r.tool ?? ""}</td><td>${short(r.action, 80)}</td><td>${r.decision}</td>
            <td>${r.success === false ? short(`${r.error_type}: ${r.error_message ?? ""}`, 120) : r.success === null ? "unknown" : "ok"}</td>
          </tr>`,
        )}
      </tbody></table>`
    }
  </section>`;
}

function Console({ me, onSignOut }) {
  const [tab, setTab] = useState("agents");
  const [granted, setGranted] = useState(new Set(me.granted_tools));
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState("connecting");
  const [notice, setNotice] = useState(null);
  const pending = useRef(null);

  useEffect(() => {
    grantedTools().then(
      (names) => setGranted(new Set(names)),
      () => {},
    );
    const bump = () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        setVersion((v) => v + 1);
      }, 500);
    };
    const stop = watch(
      (type) => {
        if (type === "revoked" || type === "tier_changed")
          grantedTools().then(
            (names) => setGranted(new Set(names)),
            () => {},
          );
        bump();
      },
      (status) => {
        setLive(status);
        if (status === "signed-out") onSignOut("your token no longer works; sign in again");
      },
    );
    const signedOut = (e) => onSignOut(`signed out: ${e.detail}`);
    window.addEventListener("agov-signed-out", signedOut);
    return () => {
      stop();
      clearTimeout(pending.current);
      window.removeEventListener("agov-signed-out", signedOut);
    };
  }, []);

  /** A control's click: the tool's governed call; its answer or refusal is shown. */
  async function act(name, args) {
    try {
      const out = await call(name, args);
      setNotice({ ok: true, text: `${name}: ${short(out, 200)}` });
      setVersion((v) => v + 1);
      return true;
    } catch (err) {
      setNotice({ ok: false, text: err.message });
      return false;
    }
  }

  const View = { agents: Agents, tasks: Tasks, pipelines: Pipelines, ledger: Ledger }[tab];
  return html`<div>
    <header>
      <strong>agov console</strong>
      <span class="who">${me.agent_id} · T${me.tier} ${me.tier_name}</span>
      <span class=${`live ${live}`} title="updates from the server">${live}</span>
      <button onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <nav class="tabs" role="tablist">
      ${TABS.map(
        ([id, label]) =>
          html`<button role="tab" aria-selected=${tab === id} class=${tab === id ? "on" : ""} onClick=${() => setTab(id)}>${label}</button>`,
      )}
    </nav>
    ${notice && html`<p class=${notice.ok ? "notice" : "error"} role="status">${notice.text}</p>`}
    <${View} version=${version} granted=${granted} act=${act} />
  </div>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(true);
  const [reason, setReason] = useState(null);
  useEffect(() => {
    finishOAuth()
      .then(() => (session.token() ? call("whoami") : null))
      .then(
        (who) => setMe(who),
        (err) => {
          session.signOut();
          setReason(err.message);
        },
      )
      .finally(() => setChecking(false));
  }, []);
  if (checking) return html`<p class="muted">Checking your sign-in…</p>`;
  if (!me)
    return html`<div><${Problem} error=${reason} /><${SignIn} onSignedIn=${(who) => {
      setReason(null);
      setMe(who);
    }} /></div>`;
  return html`<${Console} me=${me} onSignOut=${(why) => {
    session.signOut();
    setReason(why);
    setMe(null);
  }} />`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
