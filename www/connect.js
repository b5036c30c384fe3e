// The Klaviyo connect page of one store: /store/{storePublicId}/klaviyo-connect
//
//   GET    /api/store/{id}/klaviyo-connect   status (any role)
//   POST   … {apiKey, action:"test"}         test a key, list its metrics
//   POST   … {apiKey, conversionMetricId}    connect, or replace the key
//   POST   … {conversionMetricId}            change the conversion metric
//   POST   … {method:"oauth", action:"test"} after Klaviyo's consent page: its metrics
//   POST   … {method:"oauth", conversionMetricId}  connect with that approval
//   DELETE …                                 disconnect (an OAuth grant is revoked)
//   GET    /api/store/{id}/klaviyo-metrics   metrics with the stored credential
//   POST   /api/store/{id}/klaviyo-sync      sync now
//   GET    /api/store/{id}/klaviyo-oauth/start  (a navigation) to Klaviyo's consent page
//
// A store may have several Klaviyo accounts (connections), one primary;
// the routes above act on the primary. With two or more the page lists
// them and acts on each with:
//   GET    /api/store/{id}/klaviyo-accounts          the list (any role)
//   POST   …  the bodies above (test, connect, OAuth): add another account
//   PATCH  …/{accountId} {conversionMetricId} | {apiKey} | {primary:true}
//   DELETE …/{accountId}                             remove it and its data
//   GET    …/{accountId}/metrics                     its metrics, stored credential
//   POST   /api/store/{id}/klaviyo-sync {account}    sync that one
// With one account (or none) the page is the single-connection page it
// always was, plus "Add another Klaviyo account".
//
// Klaviyo sends the browser back through our callback to this page with
// ?oauth=ready (an approval waits server-side, 30 minutes, for this user and
// store: the page lists the metrics and connects with it) or
// ?oauth_error=<code> (said in words; the query is then removed).
//
// The API key lives only in the input field and in the body of the request
// that sends it: never in a URL, web storage, the console or page state.
// The field is emptied after a successful save and when the page is left.
import {
	$, api, describeError, duration, el, initTopbar, KNOWN_CODES, loginUrl,
	oauthErrorParam, ROLE_NAMES, sentence, statusInfo, timeNode,
} from "/common.js";
import { webhookSummary } from "/webhooks.js";

const POLL_MS = 2000;			// status refresh while a sync runs
const SEARCH_FROM = 9;			// metric lists longer than this get a search box
const TYPES = [
	{ key: "campaigns", label: "Campaigns", last: "campaign_values_last_update" },
	{ key: "flows", label: "Flows", last: "flow_series_last_update" },
	{ key: "segments", label: "Segments", last: "segment_series_last_update" },
	{ key: "forms", label: "Sign-up forms", last: "form_series_last_update" },
	{ key: "orders", label: "Orders", last: null },
];
const ACTIVE = new Set(["queued", "running"]);

const storeId = (() => {
	try {
		return decodeURIComponent(location.pathname.split("/")[2] || "");
	} catch (e) {
		return "";
	}
})();
const base = "/api/store/" + encodeURIComponent(storeId);
const statusPath = base + "/klaviyo-connect";
const accountsPath = base + "/klaviyo-accounts";
const accountPath = (id) => accountsPath + "/" + encodeURIComponent(id);
// Set across the trip to Klaviyo when the approval adds another account
// (rather than connecting the primary); only a flag, never a secret.
const ADD_FLAG = "kc-oauth-add:" + storeId;

const S = {
	me: null,
	store: null,		// this store's entry of GET /api/me
	status: null,		// last GET …/klaviyo-connect body
	canManage: false,
	oauth: false,
	mode: null,		// "connect" | "rotate" | "metric" | "oauth": the open panel
	tested: null,		// {account, metrics, hasShopifyPlacedOrder} of the key in the field
	selected: null,		// chosen metric id
	metricsCache: null,	// {accountId, account, metrics} of the last key saved here
	busy: false,
	pollTimer: null,
	expectSyncUntil: 0,
	wasActive: false,
	accounts: null,		// GET …/klaviyo-accounts' list; null: the route is not there
	target: null,		// the account (entry of accounts) the panel acts on; null: the primary's seed routes
	oauthAdd: false,	// the OAuth panel adds another account
	openSync: new Set(),	// accounts whose progress the user opened
	firstSyncFor: null,	// Klaviyo account id whose "first sync starts" message shows
	firstSyncLast: null,	// its last_sync then
	accountMsg: null,	// {id, d}: the last action's message on one account
	retryAdd: false,	// the OAuth message's "again" button adds an account
};

const keyInput = $("api-key");

// ------------------------------------------------------------ helpers --

function integ() {
	return (S.status && S.status.klaviyo_integration) || { status: "not_configured" };
}

function isOauthStore() {
	return integ().auth_method === "oauth";
}

// Two or more accounts: the list replaces the single-connection view.
function multi() {
	return Array.isArray(S.accounts) && S.accounts.length >= 2;
}

// The store has an account, so another can be added.
function multiOrOne() {
	return Array.isArray(S.accounts) && S.accounts.length > 0;
}

// Adding another account: from the key panel, or finishing OAuth for it.
function adding() {
	return S.mode === "add" || (S.mode === "oauth" && S.oauthAdd);
}

// The connection the open panel is about ("not_configured" when adding).
function panelInteg() {
	if (S.target) return S.target.klaviyo_integration || {};
	return adding() ? { status: "not_configured" } : integ();
}

function acctName(k) {
	const a = k && k.account && typeof k.account === "object" ? k.account : {};
	return a.name || (k && k.public_id) || a.id || "this Klaviyo account";
}

// Connected now (also in error): a new connection replaces this one.
function wasConnected() {
	const s = integ().status;
	return s === "connected" || s === "error";
}

// Drops ?oauth=… so a reload does not finish (or report) it again.
function clearOauthQuery() {
	if (location.search) history.replaceState(null, "", location.pathname);
	setAddFlag(false);
}

// Whether the approval waiting at Klaviyo adds another account.
function setAddFlag(on) {
	try {
		if (on) sessionStorage.setItem(ADD_FLAG, "1");
		else sessionStorage.removeItem(ADD_FLAG);
	} catch (e) {
		// No web storage: the approval then connects the primary, as before.
	}
}
function addFlag() {
	try {
		return sessionStorage.getItem(ADD_FLAG) === "1";
	} catch (e) {
		return false;
	}
}

// Two names a person would read as the same.
function sameName(a, b) {
	const n = (x) => String(x || "").trim().toLowerCase();
	return n(a) !== "" && n(a) === n(b);
}

function storeName() {
	return (S.store && S.store.name) || storeId;
}

function show(id, on) {
	$(id).hidden = !on;
}

function setText(id, text) {
	$(id).textContent = text;
}

// A notice: the sentence, and a sign-in link when the session ended.
function fillNotice(node, d, extra) {
	if (node.classList.contains("notice")) {
		node.classList.remove("notice-err", "notice-warn", "notice-info", "notice-ok");
		node.classList.add(d.tone === "warn" ? "notice-warn" : "notice-err");
	}
	node.replaceChildren(el("strong", { text: d.title }), el("span", { text: d.text + (extra ? " " + extra : "") }));
	if (d.signin) node.append(el("a", { href: loginUrl(), text: "Sign in again" }));
	if ((d.oauthAgain || d.reconnect) && S.oauth && S.canManage) {
		const again = d.reconnect || (isOauthStore() && wasConnected()) ? "Reconnect with Klaviyo" : "Connect with Klaviyo again";
		// Not primary: the page's own Reconnect button is (one per view).
		const b = el("button", { type: "button", class: "btn btn-sm", text: again });
		if (S.retryAdd) b.dataset.add = "1";	// starting again adds an account, as before
		b.addEventListener("click", () => startOauth(b));
		node.append(el("div", { class: "actions" }, b));
	}
	node.hidden = false;
}

// The outcome of a trip to Klaviyo, above everything, focused. retry:
// the approval still waits, so finishing can be tried again.
function showOauthMsg(d, retry) {
	const n = $("oauth-msg");
	fillNotice(n, retry ? { ...d, oauthAgain: false } : d);
	if (retry) {
		const b = el("button", { type: "button", class: "btn btn-sm", text: "Try again" });
		b.addEventListener("click", () => {
			show("oauth-msg", false);
			finishOauth();
		});
		let row = n.querySelector(".actions");
		if (!row) n.append(row = el("div", { class: "actions" }));
		row.prepend(b);
	}
	n.focus();
}

function flash(text, kind) {
	const f = $("flash");
	f.textContent = text;
	f.dataset.kind = kind || "";
	f.hidden = false;
	f.focus({ preventScroll: false });
}

// Results of the last action (and of the last trip to Klaviyo) go when
// another action starts.
function clearFlash() {
	$("flash").hidden = true;
	$("oauth-msg").hidden = true;
	S.accountMsg = null;
	for (const n of document.querySelectorAll("#accounts-list .acct-msg")) n.hidden = true;
}

// ------------------------------------------------- API key validation --

// Mirrors the server's check (src/core/apikey.c) so nothing is sent before the
// format is right. final: the user is done typing (blur, Enter).
function checkKey(raw, final) {
	const v = raw.trim();
	if (!v) return { state: "empty", text: "Starts with pk_. Find it in Klaviyo under Settings \u2192 API keys." };
	if (/^klaviyo-api-key/i.test(v)) return { state: "error", text: "Paste only the key itself, without \u201cKlaviyo-API-Key\u201d in front of it." };
	if (/\s/.test(v)) return { state: "error", text: "The key contains spaces or line breaks. Copy it again from Klaviyo (Settings \u2192 API keys)." };
	if (/^[A-Za-z0-9]{6}$/.test(v)) return { state: "error", text: "This looks like your public API key (site ID). Connecting needs a private API key, which starts with pk_." };
	if (!v.startsWith("pk_")) {
		if ("pk_".startsWith(v) && !final) return { state: "typing", text: "A private API key starts with pk_\u2026" };
		return { state: "error", text: "A Klaviyo private API key starts with pk_. Check that you copied the private key, not another value." };
	}
	const rest = v.slice(3);
	const bad = /[^A-Za-z0-9]/.exec(rest);
	if (bad) return { state: "error", text: "After pk_ a key has only letters and digits; \u201c" + bad[0] + "\u201d is not allowed. Copy the key again from Klaviyo." };
	if (rest.length > 64) return { state: "error", text: "Too long for a Klaviyo key: " + rest.length + " characters after pk_, at most 64. Copy only the key." };
	if (rest.length < 20) {
		const t = rest.length + " characters after pk_; a private key has at least 20.";
		return final ? { state: "error", text: "Too short: " + t + " Check that you copied the whole key." } : { state: "typing", text: "Keep going: " + t };
	}
	return { state: "ok", text: "Looks like a private API key. Test it to check it with Klaviyo." };
}

function renderKeyHint(final) {
	const c = checkKey(keyInput.value, final);
	const hint = $("key-hint");
	hint.textContent = c.text;
	hint.className = "hint" + (c.state === "ok" ? " hint-ok" : c.state === "error" ? " hint-err" : "");
	if (c.state === "error") keyInput.setAttribute("aria-invalid", "true");
	else keyInput.removeAttribute("aria-invalid");
	// Screen readers hear a change of verdict, not every keystroke.
	const live = $("key-live");
	if (live.dataset.state !== c.state) {
		live.dataset.state = c.state;
		live.textContent = c.state === "ok" || c.state === "error" ? c.text : "";
	}
	return c;
}

// -------------------------------------------------------- busy state --

const ACTION_IDS = ["test-btn", "connect-btn", "restart-btn", "sync-now", "change-metric",
	"rotate-key", "reconnect-oauth", "disconnect", "panel-close", "dlg-confirm", "dlg-cancel",
	"add-account", "add-account-multi", "rm-confirm", "rm-cancel"];

// Enables what may be used now; everything is off while a request runs.
function refreshControls() {
	const buttons = ACTION_IDS.map($).concat([...$("accounts-list").querySelectorAll("button")]);
	for (const b of buttons) {
		if (b.dataset.cooldown) continue;
		b.disabled = S.busy;
	}
	const oauth = $("oauth-btn");
	oauth.disabled = S.busy && S.oauth;
	keyInput.readOnly = S.busy;
	$("metric-fieldset").disabled = S.busy;
	$("metric-search").disabled = S.busy;
	if (!S.busy) {
		const c = checkKey(keyInput.value, false);
		const tb = $("test-btn");
		if (!tb.dataset.cooldown) tb.disabled = c.state !== "ok";
		const cb = $("connect-btn");
		// A metric must be chosen first (nothing is preselected without
		// Shopify's Placed Order); a key alone keeps the current one.
		if (!cb.dataset.cooldown) cb.disabled = !S.tested || S.tested.metrics.length === 0 || S.tested.mismatch || (!S.tested.keyOnly && !S.selected);
	}
	renderPrimary();
}

// One primary button per view: the action the view is for.
function renderPrimary() {
	const step = !$("metric-step").hidden;
	const choose = S.mode === "connect" || S.mode === "add";
	$("oauth-btn").classList.toggle("btn-primary", S.oauth && choose && !step);
	$("test-btn").classList.toggle("btn-primary", !step && !(S.oauth && choose));
	const k = integ();
	const idle = !S.mode && !multi();	// no panel open: the status card's actions
	const fixOauth = k.auth_method === "oauth" && S.oauth;
	$("sync-now").classList.toggle("btn-primary", idle && k.status === "connected");
	$("reconnect-oauth").classList.toggle("btn-primary", idle && k.status === "error" && fixOauth);
	$("rotate-key").classList.toggle("btn-primary", idle && k.status === "error" && !fixOauth);
}

// Runs fn with every action disabled and btn showing busyLabel.
async function withBusy(btn, busyLabel, fn, slowLabel) {
	if (S.busy) return;
	S.busy = true;
	const slow = slowLabel ? setTimeout(() => { btn.textContent = slowLabel; }, 4000) : null;
	if (!btn.dataset.label) btn.dataset.label = btn.textContent;
	btn.setAttribute("aria-busy", "true");
	btn.textContent = busyLabel;
	$("main").setAttribute("aria-busy", "true");
	refreshControls();
	try {
		await fn();
	} finally {
		clearTimeout(slow);
		S.busy = false;
		btn.removeAttribute("aria-busy");
		if (!btn.dataset.cooldown) {
			btn.textContent = btn.dataset.label;
			delete btn.dataset.label;
		}
		$("main").removeAttribute("aria-busy");
		refreshControls();
	}
}

// Rate limited: the button counts down, then comes back.
function cooldown(btn, secs) {
	const label = btn.dataset.label || btn.textContent;
	btn.dataset.label = label;
	btn.dataset.cooldown = "1";
	btn.disabled = true;
	let left = Math.max(1, secs);
	const tick = () => {
		if (left <= 0) {
			clearInterval(timer);
			delete btn.dataset.cooldown;
			btn.textContent = label;
			delete btn.dataset.label;
			refreshControls();
			return;
		}
		btn.textContent = "Try again in " + duration(left);
		left--;
	};
	const timer = setInterval(tick, 1000);
	tick();
}

// ------------------------------------------------------------ status --

// The sync's own short reasons (sync_step.c, sync_run.c), in words.
function jobErrorText(le) {
	const scope = /^needs scope ([a-z_-]+:[a-z]+)$/.exec(le);
	if (scope) return "The API key lacks the \u201c" + scope[1] + "\u201d permission, so this was not synced. Replace the key with one that has read access to it.";
	if (le === "the credential was refused" || le === "Klaviyo refused the OAuth authorization") return "Stopped because Klaviyo refused the saved credential.";
	if (/^orders are synced only with Shopify/.test(le)) return "Orders are synced only when the conversion metric is Shopify\u2019s Placed Order.";
	if (le === "Klaviyo is not connected") return "Stopped because Klaviyo was not connected.";
	return "";
}

function lastErrorText(le) {
	if (!le) return "";
	if (typeof le === "string") {
		const job = jobErrorText(le);
		if (job) return job;
		// The server's words when a revoked or expired grant was refused.
		if (/OAuth authorization/i.test(le) && /connect with Klaviyo again/i.test(le)) return describeError({ code: "oauth_reconnect_required" }, "status").text;
		return /^[a-z_]+$/.test(le) && KNOWN_CODES.has(le) ? describeError({ code: le }, "status").text : sentence(le);
	}
	if (typeof le === "object") {
		const code = typeof le.code === "string" ? le.code : "";
		const msg = le.message || le.error || "";
		if (KNOWN_CODES.has(code)) return describeError({ code, error: msg }, "status").text;
		return sentence(msg || "Unknown error");
	}
	return "";
}

function metricNode(m, withNote) {
	if (!m) return null;
	const wrap = el("span", {},
		el("span", { text: m.name || m.id }), " ",
		m.integration ? el("span", { class: "tag", text: m.integration }) : null, " ",
		m.isShopifyPlacedOrder ? el("span", { class: "tag tag-rec", text: "Shopify Placed Order" }) : null);
	if (withNote) {
		wrap.append(el("span", { class: "sub", text: m.isShopifyPlacedOrder
			? "Orders and revenue are synced too."
			: "Orders are not synced: that needs Shopify\u2019s Placed Order as the metric." }));
	}
	return wrap;
}

function renderStatus() {
	const k = integ();
	const s = k.status || "not_configured";
	const info = statusInfo(s);
	const badge = $("badge");
	badge.className = "badge " + info.cls;
	badge.textContent = info.label;
	setText("crumb-store", storeName());
	setText("store-line", storeName() + (S.store ? " \u00b7 your role: " + (ROLE_NAMES[S.store.role] || S.store.role) : ""));
	document.title = storeName() + " \u00b7 Klaviyo \u00b7 klaviyo-connect";
	show("status-card", !multi());
	show("accounts-card", multi());
	if (multi()) {
		renderAccounts();
		if (S.mode === "connect" || !S.canManage) closePanel();
		renderProgress();
		renderHelp();
		renderSyncNotes();
		return;
	}

	const acct = k.account && typeof k.account === "object" ? k.account : {};
	const acctName = acct.name || k.public_id || "";
	const text = $("status-text");
	text.replaceChildren();
	if (s === "connected") {
		text.append("Connected to the Klaviyo account ", el("strong", { text: acctName }), ". Reports are synced automatically.");
	} else if (s === "error") {
		let next = " Replace the API key, or disconnect and connect again.";
		if (k.auth_method === "oauth") next = S.oauth ? " Reconnect with Klaviyo to approve access again, or use an API key instead." : " Use an API key instead, or disconnect.";
		text.append("The connection to Klaviyo has a problem, so reports are not being synced.", S.canManage ? next : "");
	} else if (s === "disconnected") {
		text.append("Klaviyo was disconnected from this store, so reports are not synced.",
			S.canManage ? " Connect it again below." : "");
	} else {
		text.append("Klaviyo is not connected to this store yet.",
			S.canManage ? " Connect it below to sync your campaign, flow, segment and form reports." : "");
	}

	const configured = s !== "not_configured";
	show("facts", configured);
	// Its sync settings and the store's activity: the primary's page.
	$("settings-a").href = "/store/" + encodeURIComponent(storeId) + "/klaviyo-settings";
	$("dashboard-link").href = "/store/" + encodeURIComponent(storeId) + "/klaviyo-dashboard";
	show("settings-link", configured);
	show("dashboard-link", s === "connected" || s === "error");
	if (configured) {
		const a = $("f-account");
		a.replaceChildren(el("span", { text: acctName || "\u2013" }));
		const extra = [k.public_id || acct.id ? "Account ID " + (k.public_id || acct.id) : "", acct.timezone, acct.currency].filter(Boolean).join(" \u00b7 ");
		if (extra) a.append(el("span", { class: "sub", text: extra }));
		$("f-connected").replaceChildren(timeNode(k.connected_at) || "\u2013");
		$("f-lastsync").replaceChildren(timeNode(k.last_sync) || "Not synced yet");
		const key = $("f-key");
		setText("f-key-label", k.auth_method === "oauth" ? "Access" : "API key");
		if (k.auth_method === "oauth") {
			key.replaceChildren(el("span", { text: "Klaviyo sign-in (OAuth)" }),
				el("span", { class: "sub", text: "Approved in Klaviyo and renewed automatically; no API key is stored." }));
		} else {
			key.replaceChildren(el("span", { class: "mono", text: k.api_key_hint || "\u2013" }),
				el("span", { class: "sub", text: "Stored encrypted; never shown in full." }));
		}
		const m = k.conversion_metric || (k.conversion_metric_id ? { id: k.conversion_metric_id, name: k.conversion_metric_id } : null);
		$("f-metric").replaceChildren(metricNode(m, true) || "\u2013");
		setText("f-error", lastErrorText(k.last_error));
		const prim = (S.accounts || []).find((x) => x.primary);
		const live = prim ? webhookSummary(prim.webhooks) : null;
		show("f-live-row", !!live);
		if (live) $("f-live").replaceChildren(el("span", { text: live[0] }), el("span", { class: "sub", text: live[1] }));
	}

	show("manage-actions", S.canManage && configured);
	// In error too: "Try again" retries the stored credential.
	show("sync-now", s === "connected" || s === "error");
	const sn = $("sync-now");
	if (!sn.dataset.label) sn.textContent = s === "error" ? "Try again" : "Sync now";
	show("change-metric", s === "connected" || s === "error");
	show("rotate-key", s === "connected" || s === "error");
	setText("rotate-key", k.auth_method === "oauth" ? "Use an API key instead" : "Replace API key");
	const reauth = $("reconnect-oauth");
	reauth.hidden = !(k.auth_method === "oauth" && S.oauth && (s === "connected" || s === "error"));
	show("disconnect", configured);
	show("add-account", Array.isArray(S.accounts) && (s === "connected" || s === "error"));
	if (!S.canManage) {
		const role = S.store ? (ROLE_NAMES[S.store.role] || S.store.role) : "";
		setText("viewer-note", "You can view this integration" + (role ? " (your role: " + role + ")" : "") +
			". Only owners and admins of this store can connect, change or disconnect Klaviyo; ask one of them if something needs to change.");
	}
	show("viewer-note", !S.canManage);
	if (!configured || s === "disconnected") show("sync-msg", false);

	// The connect panel opens by itself when there is nothing connected
	// (unless it is finishing a Klaviyo sign-in).
	if (S.canManage && (s === "not_configured" || s === "disconnected")) {
		if (S.mode !== "connect" && S.mode !== "oauth") openPanel("connect", false);
	} else if (S.mode === "connect" || !S.canManage) {
		closePanel();
	}
	const shown = renderProgress();
	// The connection's error is said once: in a row when it is that
	// type's (connected), here when the whole connection is refused.
	const le = configured ? lastErrorText(k.last_error) : "";
	show("f-error-row", !!le && !(s !== "error" && shown.has(le)));
	renderHelp();
	renderSyncNotes();
	refreshControls();
}

// The help that fits what is on screen: connecting (or giving a new
// key), syncing, or the error the connection is in.
function renderHelp() {
	const k = integ();
	const s = k.status || "not_configured";
	const keyPanel = S.mode === "connect" || S.mode === "add" || S.mode === "rotate" || S.mode === "oauth";
	const accts = multi() ? S.accounts.map((a) => a.klaviyo_integration || {}) : [k];
	const broken = accts.filter((x) => x.status === "error");
	const part = keyPanel || s === "not_configured" || s === "disconnected" ? "connect" : broken.length ? "error" : "connected";
	for (const p of ["connect", "connected", "error"]) show("help-" + p, p === part);
	setText("help-h", part === "connect" ? "Help: connecting Klaviyo" : part === "error" ? "Help: what this error means" : "Help: syncing");
	const oauthBroken = broken.some((x) => x.auth_method === "oauth");
	show("help-error-oauth", oauthBroken);
	show("help-error-key", !oauthBroken || broken.some((x) => x.auth_method !== "oauth"));
}

// Messages about a sync that are no longer true go: "first sync starts
// in a moment" once it has begun, "Sync finished" once another runs.
function renderSyncNotes() {
	const f = $("flash");
	if (!f.hidden && f.dataset.kind === "first-sync" && firstSyncBegun(S.firstSyncFor)) {
		f.hidden = true;
		f.dataset.kind = "";
	}
	const msg = $("sync-msg");
	if (!msg.hidden && msg.dataset.kind === "ended" && syncActive()) {
		msg.hidden = true;
		msg.dataset.kind = "";
	}
}

// The connection (by Klaviyo account id) has started or ended a sync.
function firstSyncBegun(accountId) {
	const all = multi() ? S.accounts : [{ klaviyo_integration: integ(), sync: S.status && S.status.sync }];
	const a = all.find((x) => (x.klaviyo_integration || {}).public_id === accountId) || (multi() ? null : all[0]);
	if (!a) return false;
	const k = a.klaviyo_integration || {};
	if (k.last_sync && k.last_sync !== S.firstSyncLast) return true;
	if (["running", "completed", "failed"].includes(k.sync_status)) return true;
	return TYPES.some((t) => ["running", "done", "completed", "failed", "cancelled"].includes(syncEntry((a.sync || {})[t.key]).state));
}

// ---------------------------------------------------------- accounts --

function accountById(id) {
	return (S.accounts || []).find((a) => a.id === id) || null;
}

// The message of the last action on one account (kept across refreshes).
function setAccountMsg(id, d) {
	S.accountMsg = d ? { id, d } : null;
	renderStatus();
	const n = document.querySelector('#accounts-list [data-account-id="' + CSS.escape(id) + '"] .acct-msg');
	if (n && d) n.focus();
}

// Focus on the account's button for action (after a re-render), if any.
function focusAccountAction(id, action) {
	const li = document.querySelector('#accounts-list [data-account-id="' + CSS.escape(id || "") + '"]');
	const b = li && li.querySelector('[data-action="' + action + '"]');
	if (b) b.focus();
	return !!b;
}

function renderAccounts() {
	const accts = S.accounts;
	const list = $("accounts-list");
	// Keep the focus and the open progress across a refresh.
	const f = document.activeElement;
	const keep = f && list.contains(f) && f.dataset.action ? [f.closest("[data-account-id]").dataset.accountId, f.dataset.action] : null;
	const states = accts.map((a) => (a.klaviyo_integration || {}).status);
	const problems = states.filter((x) => x !== "connected").length;
	const info = statusInfo(states.includes("error") ? "error" : problems ? "disconnected" : "connected");
	const badge = $("badge");
	badge.className = "badge " + info.cls;
	badge.textContent = info.label;
	setText("accounts-h", "Klaviyo accounts (" + accts.length + ")");
	setText("accounts-intro", accts.length + " Klaviyo accounts are connected to this store" +
		(problems ? ", " + problems + (problems === 1 ? " of them has" : " of them have") + " a problem" : "") +
		". Each is synced on its own and their reports are kept apart. The primary account is the one shown to tools that know a single Klaviyo account per store.");
	show("add-account-multi", S.canManage);
	$("accounts-dashboard-link").href = "/store/" + encodeURIComponent(storeId) + "/klaviyo-dashboard";
	if (!S.canManage) {
		const role = S.store ? (ROLE_NAMES[S.store.role] || S.store.role) : "";
		setText("accounts-viewer-note", "You can view these accounts" + (role ? " (your role: " + role + ")" : "") +
			". Only owners and admins of this store can add, change or remove Klaviyo accounts; ask one of them if something needs to change.");
	}
	show("accounts-viewer-note", !S.canManage);
	list.replaceChildren(...accts.map(renderAccount));
	if (keep) focusAccountAction(keep[0], keep[1]);
}

function fact(label, ...value) {
	return el("div", {}, el("dt", { text: label }), el("dd", {}, ...value));
}

// One account of the list: its state, facts, progress and actions.
function renderAccount(a, i) {
	const k = a.klaviyo_integration || {};
	const s = k.status || "not_configured";
	const info = statusInfo(s);
	const acct = k.account && typeof k.account === "object" ? k.account : {};
	const hid = "acct-h-" + i;
	const li = el("li", { class: "acct" + (a.primary ? " acct-primary" : ""), "data-account-id": a.id, "aria-labelledby": hid });
	li.append(el("div", { class: "acct-head" },
		el("h3", { id: hid, text: acctName(k) }),
		a.primary ? el("span", { class: "tag tag-current", text: "Primary" }) : null,
		el("span", { class: "badge acct-badge " + info.cls, text: info.label })));
	if (s === "error") {
		let next = "";
		if (S.canManage) next = k.auth_method === "oauth" ? (a.primary && S.oauth ? " Reconnect with Klaviyo, or use an API key instead." : " Use an API key instead, or remove it.") : " Replace its API key, or remove it.";
		li.append(el("p", { class: "acct-problem", text: "This account has a problem, so its reports are not being synced." + next }));
	}

	const facts = el("dl", { class: "facts" });
	const extra = [k.public_id || acct.id ? "Account ID " + (k.public_id || acct.id) : "", acct.timezone, acct.currency].filter(Boolean).join(" \u00b7 ");
	facts.append(fact("Klaviyo account", el("span", { text: acctName(k) }), extra ? el("span", { class: "sub", text: extra }) : null));
	facts.append(fact("Connected", timeNode(k.connected_at) || "\u2013"));
	facts.append(fact("Last sync", timeNode(k.last_sync) || "Not synced yet"));
	if (k.auth_method === "oauth") facts.append(fact("Access", el("span", { text: "Klaviyo sign-in (OAuth)" })));
	else facts.append(fact("API key", el("span", { class: "mono", text: k.api_key_hint || "\u2013" })));
	const m = k.conversion_metric || (k.conversion_metric_id ? { id: k.conversion_metric_id, name: k.conversion_metric_id } : null);
	facts.append(fact("Conversion metric", metricNode(m, true) || "\u2013"));
	const live = webhookSummary(a.webhooks);
	if (live) facts.append(fact("Live updates", el("span", { text: live[0] }), el("span", { class: "sub", text: live[1] })));
	const plist = el("ul", { class: "progress-list", "aria-label": "Progress of " + acctName(k) + " by data type" });
	const pr = fillProgress(plist, k, a.sync);
	// Said once: in its type's row unless the whole account is refused.
	const le = lastErrorText(k.last_error);
	if (le && (s === "error" || !pr.errors.has(le))) facts.append(fact("Last error", el("span", { class: "acct-error-text", text: le })));
	li.append(facts);

	// Progress: open while it runs, or when the user opened it.
	const det = el("details", { class: "acct-sync" });
	det.open = pr.active || S.openSync.has(a.id);
	det.append(el("summary", {}, el("span", { class: "acct-sync-title", text: "Sync progress" }), el("span", { class: "pill " + pr.pill[1], text: pr.pill[0] })),
		el("p", { class: "muted small", text: pr.note }), plist);
	det.addEventListener("toggle", () => {
		if (det.open) S.openSync.add(a.id);
		else S.openSync.delete(a.id);
	});
	li.append(det);
	li.append(el("p", { class: "acct-settings-link" }, el("a", {
		href: "/store/" + encodeURIComponent(storeId) + "/klaviyo-settings?account=" + encodeURIComponent(a.id),
		text: "Sync settings and activity" })));

	if (S.canManage) {
		const btn = (action, text, cls) => el("button", { type: "button", class: "btn btn-sm" + (cls ? " " + cls : ""), "data-action": action, "aria-describedby": hid, text });
		const live = s === "connected" || s === "error";
		const row = el("div", { class: "actions acct-actions" });
		// No primary here: several accounts would make several.
		if (live) row.append(btn("sync", s === "error" ? "Try again" : "Sync now"));
		if (a.primary && k.auth_method === "oauth" && S.oauth && live) row.append(btn("reconnect", "Reconnect with Klaviyo"));
		if (live) row.append(btn("metric", "Change conversion metric"), btn("rotate", k.auth_method === "oauth" ? "Use an API key instead" : "Replace API key"));
		if (!a.primary) row.append(btn("primary", "Make primary"));
		row.append(btn("remove", "Remove\u2026", "btn-danger-ghost"));
		li.append(row);
	}
	const msg = el("div", { class: "notice acct-msg", role: "status", tabindex: "-1", hidden: true });
	if (S.accountMsg && S.accountMsg.id === a.id) fillNotice(msg, S.accountMsg.d);
	li.append(msg);
	refreshControlsIn(li);
	return li;
}

// A freshly drawn account follows the page's busy state.
function refreshControlsIn(node) {
	for (const b of node.querySelectorAll("button")) b.disabled = S.busy;
}

$("accounts-list").addEventListener("click", (ev) => {
	const b = ev.target.closest("button[data-action]");
	if (!b || S.busy) return;
	const a = accountById(b.closest("[data-account-id]").dataset.accountId);
	if (!a) return;
	switch (b.dataset.action) {
	case "sync": syncAccount(a, b); break;
	case "metric": openFor(a, "metric"); break;
	case "rotate": openFor(a, "rotate"); break;
	case "reconnect": startOauth(b); break;
	case "primary": makePrimary(a, b); break;
	case "remove": openRemove(a); break;
	}
});

// The panel, for one account of several.
function openFor(a, mode) {
	clearFlash();
	S.target = a;
	S.oauthAdd = false;
	openPanel(mode, true);
	$("connect-card").scrollIntoView({ block: "start" });
}

function openAdd() {
	if (S.busy) return;
	clearFlash();
	S.target = null;
	S.oauthAdd = false;
	openPanel("add", true);
	$("connect-card").scrollIntoView({ block: "start" });
}
$("add-account").addEventListener("click", openAdd);
$("add-account-multi").addEventListener("click", openAdd);

function syncAccount(a, btn) {
	withBusy(btn, "Starting sync\u2026", async () => {
		clearFlash();
		const r = await api("POST", base + "/klaviyo-sync", { account: a.id });
		const name = acctName(a.klaviyo_integration);
		if (r.ok) {
			const jobs = Array.isArray(r.body.jobs) ? r.body.jobs.length : 0;
			S.expectSyncUntil = Date.now() + 15000;
			S.openSync.add(a.id);
			await reloadStatus();
			flash("Sync started for " + name + "." + (jobs ? " " + jobs + (jobs === 1 ? " job is" : " jobs are") + " queued." : "") + " Its progress shows below and refreshes on its own.");
			return;
		}
		if (r.status === 404 || r.status === 409) await reloadStatus();
		setAccountMsg(a.id, describeError(r, "sync"));
	});
}

function makePrimary(a, btn) {
	withBusy(btn, "Making primary\u2026", async () => {
		clearFlash();
		const r = await api("PATCH", accountPath(a.id), { primary: true });
		if (!r.ok) {
			if (r.status === 404 || r.status === 409) await reloadStatus();
			setAccountMsg(a.id, describeError(r, "primary"));
			return;
		}
		await reloadStatus();
		flash(acctName(a.klaviyo_integration) + " is now the primary Klaviyo account of " + storeName() + ".");
	});
}

// ------------------------------------------------ removing an account --

const rmDlg = $("remove-dialog");
let removing = null;		// the account the dialog is about

function openRemove(a) {
	if (S.busy) return;
	clearFlash();
	removing = a;
	const k = a.klaviyo_integration || {};
	const name = acctName(k);
	const same = sameName(name, storeName());
	setText("rm-h", same ? "Remove the Klaviyo account " + name + "?" : "Remove " + name + " from " + storeName() + "?");
	setText("rm-lead", "This removes the Klaviyo account " + (same ? "of the same name" : name) + (k.public_id ? " (" + k.public_id + ")" : "") + " from " + (same ? "this store" : storeName()) + " and deletes:");
	setText("rm-cred", k.auth_method === "oauth" ? "its Klaviyo sign-in (OAuth): it is revoked in Klaviyo too," : "its saved API key,");
	const next = a.primary ? (S.accounts || []).filter((x) => x.id !== a.id).sort((x, y) => String(x.created_at).localeCompare(String(y.created_at)))[0] : null;
	setText("rm-primary", next ? "It is the primary account: " + acctName(next.klaviyo_integration) + ", the oldest of the others, becomes the primary account." : "");
	show("rm-primary", !!next);
	show("rm-error", false);
	rmDlg.showModal();
	$("rm-cancel").focus();
}

rmDlg.addEventListener("cancel", (ev) => {
	if (S.busy) ev.preventDefault();
});
rmDlg.addEventListener("close", () => {
	// Cancelled: back to the account's Remove button, unless the focus
	// has moved on since (the event comes a task after the close).
	const f = document.activeElement;
	const moved = f && f !== document.body && !rmDlg.contains(f) && f.dataset.action !== "remove";
	if (removing && !moved) focusAccountAction(removing.id, "remove");
	removing = null;
});

$("rm-confirm").addEventListener("click", () => {
	const a = removing;
	if (!a) return;
	withBusy($("rm-confirm"), "Removing\u2026", async () => {
		show("rm-error", false);
		const r = await api("DELETE", accountPath(a.id), {});
		if (!r.ok) {
			fillNotice($("rm-error"), describeError(r, "remove"));
			if (r.status === 404) reloadStatus();
			return;
		}
		const k = a.klaviyo_integration || {};
		const before = new Set((S.accounts || []).filter((x) => x.primary).map((x) => x.id));
		removing = null;
		rmDlg.close();
		S.metricsCache = null;
		await reloadStatus();
		const p = (S.accounts || []).find((x) => x.primary && !before.has(x.id));
		flash("The Klaviyo account " + acctName(k) + " was removed from " + storeName() + ". " +
			(k.auth_method === "oauth" ? "Its Klaviyo sign-in (OAuth) was revoked in Klaviyo and the data synced from it was deleted." : "Its API key and the data synced from it were deleted.") +
			(p ? " " + acctName(p.klaviyo_integration) + " is now the primary account." : ""));
	});
});

// ---------------------------------------------------------- progress --

// One connection's sync is queued or running.
function accountActive(k, sync) {
	if (ACTIVE.has(k.sync_status)) return true;
	return TYPES.some((t) => ACTIVE.has(syncEntry((sync || {})[t.key]).state));
}

function syncActive() {
	if (multi()) return S.accounts.some((a) => accountActive(a.klaviyo_integration || {}, a.sync));
	return accountActive(integ(), S.status && S.status.sync);
}

const STATE_WORDS = {
	queued: "Waiting to start", running: "Syncing", done: "Up to date", completed: "Up to date",
	failed: "Failed", cancelled: "Cancelled", idle: "Up to date",
};
const PILL = {
	queued: ["Queued", "pill-running"], running: ["Syncing\u2026", "pill-running"], completed: ["Up to date", "pill-done"],
	failed: ["Last sync failed", "pill-failed"], idle: ["Idle", ""],
};

// One type's progress, also in the klaviyo_syncs shape ({status,
// progress:{done,total}}) in case the route passes that through.
function syncEntry(v) {
	if (!v || typeof v !== "object") return {};
	const prog = v.progress && typeof v.progress === "object" ? v.progress : {};
	return {
		state: typeof v.state === "string" ? v.state : typeof v.status === "string" ? v.status : "",
		done: v.done !== undefined ? v.done : prog.done,
		total: v.total !== undefined ? v.total : prog.total,
		last_sync: v.last_sync || null,
		last_error: v.last_error || null,
		eta: typeof v.eta === "string" ? v.eta : null,
	};
}

// "about 4 minutes left" from the finish Klaviyo's limits allow.
function etaText(iso) {
	const t = Date.parse(iso || "");
	if (!Number.isFinite(t)) return "";
	const min = Math.ceil((t - Date.now()) / 60000);
	if (min <= 1) return "less than a minute left";
	if (min < 90) return "about " + min + " minutes left";
	return "about " + Math.round(min / 60) + " hours left";
}

// The errors its rows show (a Set of sentences).
function renderProgress() {
	const k = integ();
	const s = k.status || "not_configured";
	const on = (s === "connected" || s === "error") && !multi();
	show("progress-card", on);
	if (!on) return new Set();
	const r = fillProgress($("progress-list"), k, S.status && S.status.sync);
	const p = $("sync-pill");
	p.textContent = r.pill[0];
	p.className = "pill " + r.pill[1];
	setText("progress-note", r.note);
	return r.errors;
}

// One row per type of connection k into list; its pill and note.
function fillProgress(list, k, sync) {
	const s = k.status || "not_configured";
	sync = sync || {};
	const noOrders = !!(k.conversion_metric && !k.conversion_metric.isShopifyPlacedOrder);
	const active = accountActive(k, sync);
	// Refused: the status card says why once; each type is on hold.
	const refused = s === "error";
	const errors = new Set();
	let anything = false;
	list.replaceChildren();
	for (const t of TYPES) {
		const p = syncEntry(sync[t.key]);
		const lastIso = p.last_sync || (t.last ? k[t.last] : null);
		const last = timeNode(lastIso);
		if (last || p.state) anything = true;
		const li = el("li", { class: "progress-item", "data-type": t.key });
		const stateEl = el("span", { class: "progress-state" });
		li.append(el("div", { class: "progress-top" }, el("span", { class: "progress-name", text: t.label }), stateEl));
		if (t.key === "orders" && noOrders && !p.state) {
			stateEl.textContent = "Not synced";
			li.append(el("div", { class: "progress-meta" }, el("span", {
				text: "Orders are synced only when the conversion metric is Shopify\u2019s Placed Order." })));
			list.append(li);
			continue;
		}
		const state = p.state || (last ? "done" : "");
		const held = refused && state !== "done" && state !== "completed" && state !== "";
		stateEl.textContent = held ? "On hold" : !p.state && last ? "Synced" : STATE_WORDS[state] || "Not synced yet";
		// Green only for success; a cancelled job is neutral, not done.
		stateEl.classList.add(held ? "s-none" : state === "running" || state === "queued" ? "s-running" : state === "failed" ? "s-failed"
			: state === "cancelled" ? "s-cancelled" : state ? "s-done" : "s-none");
		const done = Number.isFinite(+p.done) ? Math.max(0, +p.done) : null;
		const total = Number.isFinite(+p.total) && +p.total > 0 ? +p.total : null;
		const bar = el("progress", { "aria-label": t.label + " progress" });
		let count = "";
		if (total !== null) {
			bar.max = total;
			bar.value = Math.min(done || 0, total);
			count = (done || 0).toLocaleString() + " of " + total.toLocaleString();
			if (state === "running") count += " (" + Math.floor(100 * Math.min(done || 0, total) / total) + "%)";
			if (state === "running" && p.eta) count += ", " + etaText(p.eta);
		} else if (state === "running" || state === "queued") {
			count = state === "queued" ? "Waiting\u2026" : (done ? done.toLocaleString() + " so far" : "Counting\u2026");
			if (state === "queued") { bar.max = 1; bar.value = 0; }
		} else {
			bar.max = 1;
			bar.value = state === "done" || state === "completed" ? 1 : 0;
		}
		if (state === "done" || state === "completed") bar.classList.add("p-done");
		if (state === "failed") bar.classList.add("p-failed");
		if (state) {
			li.append(bar);
			li.append(el("div", { class: "progress-meta" },
				el("span", { class: "progress-count", text: count }),
				el("span", { class: "progress-last" }, "Last update: ", last || "never")));
		}
		const perr = refused || state === "done" || state === "completed" ? "" : lastErrorText(p.last_error);
		if (perr) {
			errors.add(perr);
			li.append(el("p", { class: "progress-err" + (state === "cancelled" ? " progress-err-quiet" : ""), text: perr }));
		}
		list.append(li);
	}
	const st = active ? (ACTIVE.has(k.sync_status) ? k.sync_status : "running") : (k.sync_status || "idle");
	// In error, waiting jobs cannot run until the connection works again.
	const stalled = active && s === "error";
	// Refused: on hold, as each row says, whatever the last job did.
	const pill = stalled || refused ? ["On hold", "pill-failed"] : PILL[st] || PILL.idle;
	let note = "Nothing has been synced yet. The first full sync starts shortly after connecting.";
	if (stalled || refused) note = "Syncing is on hold: it continues once the connection to Klaviyo works again.";
	else if (active) note = "A sync is running. This list refreshes on its own until it ends.";
	else if (anything) note = "Reports refresh automatically: campaigns and segments every day, flows and forms every two days.";
	return { pill, note, active, errors };
}

// ------------------------------------------------------------ polling --

function stopPolling() {
	clearTimeout(S.pollTimer);
	S.pollTimer = null;
}

function schedulePoll() {
	stopPolling();
	const active = syncActive() || Date.now() < S.expectSyncUntil;
	if (!active) {
		show("refresh-note", false);
		return;
	}
	S.pollTimer = setTimeout(pollOnce, POLL_MS);
}

async function pollOnce() {
	S.pollTimer = null;
	if (document.hidden) return;	// resumed by visibilitychange
	const before = syncActive();
	const many = multi();
	const r = await api("GET", many ? accountsPath : statusPath);
	if (r.status === 401) {
		fillNotice($("banner"), describeError(r, "load"));
		return;
	}
	if (r.ok && (!many || applyAccounts(r))) {
		if (!many) S.status = r.body;
		renderStatus();
		const now = new Date();
		setText("refresh-note", "Checked at " + now.toLocaleTimeString());
		show("refresh-note", true);
		const after = syncActive();
		if (after) S.wasActive = true;
		else if (before || S.wasActive) {
			// It ended: say so once, and stop refreshing.
			S.wasActive = false;
			S.expectSyncUntil = 0;
			const ks = many ? S.accounts.map((a) => a.klaviyo_integration || {}) : [integ()];
			// Refused: only a new key or approval helps, nothing is retried.
			const refused = ks.some((x) => x.status === "error");
			const failed = refused || ks.some((x) => x.sync_status === "failed");
			setText("sync-done-live", refused ? "The sync stopped: Klaviyo refused the saved credential." : failed ? "The sync failed." : "The sync has finished.");
			const msg = $("sync-msg");
			if (!msg.hidden && msg.dataset.kind === "started") {
				msg.dataset.kind = "ended";
				msg.className = "notice " + (failed ? "notice-err" : "notice-ok");
				msg.replaceChildren(el("strong", { text: refused ? "The sync stopped." : failed ? "The sync failed." : "Sync finished." }),
					el("span", { text: refused ? "Klaviyo refused the saved credential; the connection status above says what to do."
						: failed ? "It is retried automatically; the details are below." : "Your Klaviyo reports are up to date." }));
			}
		}
	}
	schedulePoll();
}

// Back on the tab: once, what changed meanwhile (a scheduled sync may
// have started since the last one ended), then on while it runs.
document.addEventListener("visibilitychange", () => {
	if (!document.hidden && !S.pollTimer && S.status) pollOnce();
});

// The accounts list: S.accounts, and the primary's status from it.
// false when it could not be read (then S.accounts is kept; null when
// the server has no such route).
function applyAccounts(r) {
	if (r.ok && Array.isArray(r.body.accounts)) {
		S.accounts = r.body.accounts;
		if (typeof r.body.can_manage === "boolean") S.canManage = r.body.can_manage;
		// With several, the list is what is shown and polled: the
		// primary's status comes from it. With one, the seed's route is.
		const p = multi() && S.accounts.find((a) => a.primary);
		if (p && S.status) S.status = { ...S.status, klaviyo_integration: p.klaviyo_integration, sync: p.sync || {} };
		return true;
	}
	if (r.status === 404 && r.error === "No such route") S.accounts = null;
	return false;
}

async function reloadStatus() {
	const [r, ra] = await Promise.all([api("GET", statusPath), api("GET", accountsPath)]);
	if (r.ok) {
		S.status = r.body;
		applyAccounts(ra);
		if (typeof r.body.can_manage === "boolean") S.canManage = r.body.can_manage;
		renderStatus();
		if (syncActive()) S.wasActive = true;
		schedulePoll();
	} else if (r.status === 401 || r.status === 404) {
		fillNotice($("banner"), describeError(r, "load"));
	}
	return r;
}

// ------------------------------------------------------- the panel ----

const MODE_TEXT = {
	connect: {
		title: "Connect Klaviyo",
		intro: "Choose how to connect. Both give us read-only access to your Klaviyo reports.",
		keyIntro: "Paste a private API key from Klaviyo. We test it before anything is saved.",
		test: "Test key", save: "Connect Klaviyo",
	},
	rotate: {
		title: "Replace the API key",
		intro: "Paste the new private API key. With a key of the same Klaviyo account, your synced data is kept and nothing is disconnected.",
		keyIntro: "The new key is tested before it replaces the current one.",
		test: "Test new key", save: "Save new key",
	},
	metric: {
		title: "Change the conversion metric",
		intro: "Pick another metric; the connection and the key stay as they are.",
		keyIntro: "Klaviyo lists metrics only for a key, and your saved key never comes back to the browser. Paste your private API key to load the list; the saved key is not changed.",
		test: "Load metrics", save: "Save metric",
	},
	// Back from Klaviyo's consent page with an approval.
	oauth: {
		title: "Finish connecting with Klaviyo",
		intro: "Klaviyo approved read-only access. Choose the conversion metric to finish; nothing is saved before you press Connect.",
		keyIntro: "", test: "Test key", save: "Connect Klaviyo", restart: "Use an API key instead",
	},
};
// The same panels for a store connected with Klaviyo sign-in (OAuth).
const MODE_TEXT_OAUTH_STORE = {
	rotate: {
		title: "Use an API key instead",
		intro: "Paste a private API key. With a key of the same Klaviyo account your synced data is kept; the Klaviyo sign-in (OAuth) is then revoked.",
		keyIntro: "The key is tested before it replaces the Klaviyo sign-in.",
		test: "Test key", save: "Save key",
	},
	metric: {
		title: "Change the conversion metric",
		intro: "Pick another metric; the connection stays as it is.",
		keyIntro: "", test: "Load metrics", save: "Save metric",
	},
	oauth: {
		title: "Reconnect with Klaviyo",
		intro: "Klaviyo approved read-only access again. Check the conversion metric and save; nothing changes before you do.",
		keyIntro: "", test: "Test key", save: "Save", restart: "Use an API key instead",
	},
};

// Adding another account; acting on one account of several.
const MODE_TEXT_ADD = {
	add: {
		title: "Add another Klaviyo account",
		intro: "Connect one more Klaviyo account to this store; the accounts already connected stay as they are. Both methods give us read-only access to its reports.",
		keyIntro: "Paste a private API key of the other Klaviyo account. We test it before anything is saved.",
		test: "Test key", save: "Add account",
	},
	oauth: {
		title: "Finish adding a Klaviyo account",
		intro: "Klaviyo approved read-only access. Choose the conversion metric of this account to add it; nothing is saved before you press Add account.",
		keyIntro: "", test: "Test key", save: "Add account", restart: "Use an API key instead",
	},
};
function targetText(mode, k) {
	const name = acctName(k);
	if (mode === "metric") return { title: "Change the conversion metric of " + name, intro: "Pick another metric for this account; its connection stays as it is." };
	if (mode === "rotate" && k.auth_method === "oauth") {
		return { title: "Use an API key for " + name, intro: "Paste a private API key of this Klaviyo account. Its synced data is kept and its conversion metric stays; its Klaviyo sign-in (OAuth) is then revoked.", save: "Save key" };
	}
	if (mode === "rotate") return { title: "Replace the API key of " + name, intro: "Paste a new private API key of this same Klaviyo account. Its synced data is kept and its conversion metric stays as it is." };
	return {};
}

function modeText(mode) {
	if (adding()) return MODE_TEXT_ADD[mode === "oauth" ? "oauth" : "add"];
	if (S.target) {
		const k = panelInteg();
		const base = (k.auth_method === "oauth" && MODE_TEXT_OAUTH_STORE[mode]) || MODE_TEXT[mode];
		return { ...base, ...targetText(mode, k) };
	}
	return (isOauthStore() && wasConnected() && MODE_TEXT_OAUTH_STORE[mode]) || MODE_TEXT[mode];
}

function openPanel(mode, focus) {
	S.mode = mode;
	const t = modeText(mode);
	setText("connect-h", t.title);
	setText("connect-intro", t.intro);
	setText("key-intro", t.keyIntro);
	$("test-btn").textContent = t.test;
	$("connect-btn").textContent = t.save;
	$("restart-btn").textContent = t.restart || "Use another key";
	const choose = mode === "connect" || mode === "add";	// both methods offered
	show("method-oauth", choose);
	show("panel-close", mode !== "connect" && (mode !== "oauth" || wasConnected()));
	show("oauth-wait", false);
	$("methods").classList.toggle("single", !choose);
	show("form-error", false);
	show("connect-error", false);
	resetTest(false);
	const k = panelInteg();
	const cache = S.metricsCache;
	if (mode === "metric" && cache && cache.accountId === k.public_id) {
		// The list of the key saved from this page: no key needed.
		show("methods", false);
		S.tested = { account: cache.account, metrics: cache.metrics, fromCache: true };
		renderMetricStep();
	} else if (mode === "metric") {
		// The server lists them with the stored key: no key to paste.
		show("methods", false);
		loadStoredMetrics(k, focus);
		focus = false;
	} else if (mode === "oauth") {
		show("methods", false);		// finishOauth() lists the metrics
	} else {
		show("methods", true);
	}
	show("connect-card", true);
	renderKeyHint(false);
	refreshControls();
	renderHelp();
	if (focus) {
		if (!$("methods").hidden) keyInput.focus();
		else $("metric-h").focus();
	}
}

// GET …/klaviyo-metrics; falls back to testing the key when it fails.
async function loadStoredMetrics(k, focus) {
	const target = S.target;
	const r = await api("GET", target ? accountPath(target.id) + "/metrics" : base + "/klaviyo-metrics");
	if (S.mode !== "metric" || S.target !== target) return;
	if (r.ok && r.body && Array.isArray(r.body.metrics)) {
		S.metricsCache = { accountId: k.public_id, account: k.account || {}, metrics: r.body.metrics };
		S.tested = { account: S.metricsCache.account, metrics: r.body.metrics, fromCache: true };
		renderMetricStep();
		refreshControls();
		if (focus) $("metric-h").focus();
		return;
	}
	if (k.auth_method === "oauth" || r.code === "oauth_reconnect_required") {
		// No key to fall back to: say why, and how to go on.
		const d = describeError(r, "metric");
		fillNotice($("form-error"), d);
		if (d.transient) {
			const again = el("button", { type: "button", class: "btn btn-sm", text: "Try again" });
			again.addEventListener("click", () => openPanel("metric", true));
			$("form-error").append(el("div", { class: "actions" }, again));
		}
		$("form-error").focus();
		if (r.code === "oauth_reconnect_required" || r.status === 409) reloadStatus();
		return;
	}
	show("methods", true);
	renderKeyHint(false);
	refreshControls();
	if (focus) keyInput.focus();
}

function closePanel() {
	S.mode = null;
	S.target = null;
	S.oauthAdd = false;
	keyInput.value = "";
	resetTest(false);
	show("connect-card", false);
	show("form-error", false);
	show("connect-error", false);
	renderKeyHint(false);
	refreshControls();
	renderHelp();
}

function resetTest(keepHint) {
	S.tested = null;
	S.selected = null;
	if (S.mode && !$("connect-btn").dataset.label) $("connect-btn").textContent = modeText(S.mode).save;
	show("metric-step", false);
	$("metric-list").replaceChildren();
	$("metric-search").value = "";
	if (!keepHint) renderKeyHint(false);
	refreshControls();
}

// ----------------------------------------------------------- metrics --

function groupOf(m) {
	if (m.category === "CUSTOM") return "custom";
	return m.integration_key === "shopify" ? "shopify" : "other";
}

const GROUPS = [
	{ key: "shopify", title: "Shopify" },
	{ key: "other", title: "Other integrations" },
	{ key: "custom", title: "Custom metrics" },
];

function renderMetricStep() {
	const t = S.tested;
	const k = panelInteg();
	const metrics = Array.isArray(t.metrics) ? t.metrics : [];
	const acct = t.account || {};
	const box = $("account-box");
	box.replaceChildren(el("div", {},
		el("div", {},
			el("span", { text: t.oauth ? "Approved in Klaviyo: account " : t.fromCache ? "Klaviyo account " : "Key works. Klaviyo account " }),
			el("span", { class: "acct-name", text: acct.name || acct.id || "" }),
			el("span", { text: acct.id ? " (" + acct.id + ")" : "" })),
		el("div", { class: "small", text: [acct.timezone, acct.currency, metrics.length + (metrics.length === 1 ? " metric" : " metrics")].filter(Boolean).join(" \u00b7 ") })));

	// Another account than the connected one.
	const warn = $("account-warn");
	warn.hidden = true;
	t.mismatch = false;
	t.keyOnly = false;
	const connectedId = k.public_id || (k.account && k.account.id);
	const connectedName = (k.account && k.account.name) || connectedId;
	const replacing = S.mode === "rotate" || S.mode === "metric" || (S.mode === "oauth" && !S.oauthAdd && wasConnected());
	const same = adding() && acct.id && (S.accounts || []).find((a) => (a.klaviyo_integration || {}).public_id === acct.id);
	if (same) {
		// Adding an account the store has already: said before anything is sent.
		t.mismatch = true;
		warn.replaceChildren(el("strong", { text: "This Klaviyo account is already connected to this store." }),
			el("span", { text: (acct.name || acct.id) + " (" + acct.id + ") is " + (same.primary ? "the primary" : "one of the") + " Klaviyo account" + (same.primary ? "" : "s") + " of " + storeName() + ". To add another account, use a key of that account" + (S.mode === "oauth" ? " or choose it in Klaviyo" : "") + "; to give this one a new key, use \u201cReplace API key\u201d on it." }));
		warn.hidden = false;
	} else if (S.target && S.mode === "rotate" && connectedId && acct.id && acct.id !== connectedId) {
		// An account's key is replaced by a key of the same account only.
		t.mismatch = true;
		warn.replaceChildren(el("strong", { text: "This key belongs to another Klaviyo account." }),
			el("span", { text: "It opens " + (acct.name || acct.id) + " (" + acct.id + "), not " + connectedName + " (" + connectedId + "). Paste a key of " + connectedName + ", or connect " + (acct.name || acct.id) + " with \u201cAdd another Klaviyo account\u201d." }));
		warn.hidden = false;
	} else if (S.target && S.mode === "rotate") {
		t.keyOnly = true;	// PATCH {apiKey}: the metric stays
	}
	if (t.mismatch || t.keyOnly || !replacing) {
		// Nothing more to compare.
	} else if (connectedId && acct.id && acct.id !== connectedId) {
		if (S.mode === "oauth") {
			warn.replaceChildren(el("strong", { text: "You approved a different Klaviyo account." }),
				el("span", { text: "Klaviyo approved " + (acct.name || acct.id) + " (" + acct.id + "); this store is connected to " + connectedName + " (" + connectedId + "). Saving replaces the connection: the data synced from " + connectedName + " is deleted and everything is synced again from " + (acct.name || acct.id) + ". To keep " + connectedName + ", cancel and reconnect choosing that account in Klaviyo." }));
			$("connect-btn").textContent = "Switch to " + (acct.name || acct.id);
		} else if (S.mode === "metric") {
			t.mismatch = true;
			warn.replaceChildren(el("strong", { text: "This key belongs to another Klaviyo account." }),
				el("span", { text: "It opens " + (acct.name || acct.id) + " (" + acct.id + "), but this store is connected to " + connectedName + " (" + connectedId + "). Paste a key of " + connectedName + ", or use \u201cReplace API key\u201d to switch accounts." }));
		} else {
			warn.replaceChildren(el("strong", { text: "This key belongs to a different Klaviyo account." }),
				el("span", { text: "It opens " + (acct.name || acct.id) + " (" + acct.id + "); this store is connected to " + connectedName + " (" + connectedId + "). Saving replaces the connection: the data synced from " + connectedName + " is deleted and everything is synced again from " + (acct.name || acct.id) + "." }));
			$("connect-btn").textContent = "Switch to " + (acct.name || acct.id);
		}
		warn.hidden = false;
	}

	const hasPO = metrics.some((m) => m.isShopifyPlacedOrder);
	const pick = !t.mismatch && !t.keyOnly;	// a metric to choose here
	show("no-po-warning", metrics.length > 0 && !hasPO && pick);
	show("no-metrics", metrics.length === 0);
	show("metric-tools", metrics.length > 0 && pick);
	show("metric-fieldset", metrics.length > 0 && pick);
	show("metric-search-row", metrics.length >= SEARCH_FROM);

	// Preselection: the current metric when changing, else Shopify's Placed Order.
	const current = k.conversion_metric_id;
	let pre = null;
	if (replacing && current && metrics.some((m) => m.id === current)) pre = current;
	else if (hasPO) pre = metrics.find((m) => m.isShopifyPlacedOrder).id;
	S.selected = pre;

	const list = $("metric-list");
	list.replaceChildren();
	list.classList.toggle("short", metrics.length < SEARCH_FROM);
	for (const g of GROUPS) {
		const items = metrics.filter((m) => groupOf(m) === g.key);
		// Without Shopify's, another platform's "Placed Order" comes first.
		if (!hasPO) items.sort((a, b) => (b.name === "Placed Order") - (a.name === "Placed Order"));
		if (items.length === 0) continue;
		const fs = el("fieldset", { class: "metric-group", "data-group": g.key },
			el("legend", {}, g.title, el("span", { class: "group-count", "data-total": items.length, text: "(" + items.length + ")" })));
		for (const m of items) {
			const input = el("input", { type: "radio", name: "metric", value: m.id });
			input.checked = m.id === pre;
			const tags = el("span", { class: "m-tags" });
			if (m.isShopifyPlacedOrder) tags.append(el("span", { class: "tag tag-rec", text: "Recommended" }));
			else if (!hasPO && m.name === "Placed Order") tags.append(el("span", { class: "tag tag-rec", text: "Suggested" }));
			if (m.id === current && replacing && !t.mismatch) tags.append(el("span", { class: "tag tag-current", text: "Current" }));
			if (m.category === "CUSTOM") tags.append(el("span", { class: "tag tag-custom", text: "Custom" }));
			else if (g.key !== "shopify") tags.append(el("span", { class: "tag", text: m.integration || "API" }));
			const row = el("label", { class: "metric", "data-metric-id": m.id, "data-search": (m.name + " " + (m.integration || "")).toLowerCase() },
				input, el("span", { class: "m-name", text: m.name }), tags);
			fs.append(row);
		}
		list.append(fs);
	}
	updateCount();
	renderExplain();
	show("metric-step", true);
	refreshControls();
	const sel = list.querySelector("input:checked");
	if (sel) sel.closest(".metric").scrollIntoView({ block: "nearest" });
}

function updateCount() {
	const t = S.tested;
	if (!t) return;
	const q = $("metric-search").value.trim().toLowerCase();
	let shown = 0;
	for (const fs of $("metric-list").querySelectorAll(".metric-group")) {
		let n = 0;
		for (const row of fs.querySelectorAll(".metric")) {
			const hit = !q || row.dataset.search.includes(q);
			row.hidden = !hit;
			if (hit) n++;
		}
		fs.hidden = n === 0;
		const gc = fs.querySelector(".group-count");
		gc.textContent = "(" + (q ? n + " of " : "") + gc.dataset.total + ")";
		shown += n;
	}
	const total = t.metrics.length;
	let text;
	if (!q) text = total + (total === 1 ? " metric" : " metrics") + " in this account.";
	else if (shown === 0) text = "No metric matches \u201c" + $("metric-search").value.trim() + "\u201d.";
	else text = "Showing " + shown + " of " + total + " metrics.";
	setText("metric-count", text);
}

function selectedMetric() {
	return S.tested && S.tested.metrics.find((m) => m.id === S.selected);
}

function renderExplain() {
	const box = $("metric-explain");
	const m = selectedMetric();
	if (S.tested && S.tested.mismatch) {
		box.hidden = true;
		return;
	}
	if (S.tested && S.tested.keyOnly) {
		const cur = panelInteg().conversion_metric;
		box.className = "explain";
		box.replaceChildren(el("strong", { text: "The conversion metric stays " + (cur ? "\u201c" + cur.name + "\u201d" + (cur.integration ? " (" + cur.integration + ")" : "") : "as it is") + "." }),
			el("span", { text: "Change it afterwards with \u201cChange conversion metric\u201d if needed." }));
		box.hidden = false;
		return;
	}
	if (!m) {
		box.className = "explain";
		box.replaceChildren(el("strong", { text: "No metric chosen yet." }),
			el("span", { text: "Pick the metric that records a conversion for your store; \u201c" + $("connect-btn").textContent + "\u201d is enabled once you have." }));
		box.hidden = !(S.tested && S.tested.metrics.length) || S.tested.mismatch;
		return;
	}
	const who = "\u201c" + m.name + "\u201d" + (m.integration ? " (" + m.integration + ")" : "");
	if (m.isShopifyPlacedOrder) {
		box.className = "explain explain-yes";
		box.replaceChildren(
			el("strong", { text: "Chosen: " + who + ". Orders and revenue are synced too." }),
			el("span", { text: "Reports count conversions with Shopify\u2019s Placed Order, and we also import your order data from Klaviyo." }));
	} else {
		const hasPO = S.tested.metrics.some((x) => x.isShopifyPlacedOrder);
		box.className = "explain explain-no";
		box.replaceChildren(
			el("strong", { text: "Chosen: " + who + ". Orders will not be synced." }),
			el("span", { text: "Campaign, flow, segment and form reports count conversions with this metric, but order and revenue data is imported only with Shopify\u2019s Placed Order. Choose it if this is how you measure a conversion (a store on another platform, sign-ups, leads)." +
				(hasPO ? " This account has Shopify\u2019s Placed Order: choose that one to sync orders." : "") }));
	}
	box.hidden = false;
}

$("metric-list").addEventListener("change", (ev) => {
	if (ev.target.name !== "metric") return;
	S.selected = ev.target.value;
	show("connect-error", false);
	renderExplain();
	refreshControls();
});
$("metric-search").addEventListener("input", updateCount);
$("metric-search").addEventListener("keydown", (ev) => {
	if (ev.key === "Enter") ev.preventDefault();
});

// -------------------------------------------------------------- test --

keyInput.addEventListener("input", () => {
	if (S.tested && !S.tested.fromCache && !S.tested.oauth) {
		resetTest(true);
		show("form-error", false);
	}
	renderKeyHint(false);
	refreshControls();
});
keyInput.addEventListener("blur", () => {
	if (keyInput.value) renderKeyHint(true);
});
keyInput.addEventListener("keydown", (ev) => {
	if (ev.key === "Enter" && checkKey(keyInput.value, false).state !== "ok") {
		ev.preventDefault();
		renderKeyHint(true);
	}
});
$("key-toggle").addEventListener("click", (ev) => {
	const shown = keyInput.classList.toggle("masked") === false;
	ev.currentTarget.textContent = shown ? "Hide" : "Show";
	ev.currentTarget.setAttribute("aria-pressed", String(shown));
	ev.currentTarget.setAttribute("aria-label", shown ? "Hide key" : "Show key");
});

$("key-form").addEventListener("submit", (ev) => {
	ev.preventDefault();
	if (S.busy) return;
	const c = renderKeyHint(true);
	if (c.state !== "ok") {
		keyInput.focus();
		return;
	}
	const btn = $("test-btn");
	withBusy(btn, S.mode === "metric" ? "Loading metrics\u2026" : "Testing with Klaviyo\u2026", async () => {
		show("form-error", false);
		show("connect-error", false);
		clearFlash();
		resetTest(true);
		const r = await api("POST", adding() || S.target ? accountsPath : statusPath, { apiKey: keyInput.value.trim(), action: "test" });
		if (!r.ok) {
			failTest(r, btn);
			return;
		}
		S.tested = {
			account: r.body.account || {},
			metrics: Array.isArray(r.body.metrics) ? r.body.metrics : [],
			hasShopifyPlacedOrder: !!r.body.hasShopifyPlacedOrder,
		};
		renderMetricStep();
		$("metric-h").focus();
	}, "Still waiting for Klaviyo\u2026");
});

function failTest(r, btn) {
	const d = describeError(r, "test");
	fillNotice($("form-error"), d);
	if (r.code === "invalid_api_key_format" || r.code === "klaviyo_key_rejected" || r.code === "klaviyo_scope_missing") {
		keyInput.setAttribute("aria-invalid", "true");
		const hint = $("key-hint");
		hint.className = "hint hint-err";
		hint.textContent = r.code === "klaviyo_scope_missing" ? "Klaviyo accepted this key, but it is missing a permission: see below."
			: r.code === "klaviyo_key_rejected" ? "The format is right, but Klaviyo refused this key: see below." : "Klaviyo refused this key: see below.";
	}
	if (r.status === 429) cooldown(btn, d.wait);
	if (r.status === 409 || r.status === 403) reloadStatus();
}

$("restart-btn").addEventListener("click", () => {
	if (S.busy) return;
	if (S.mode === "oauth") {
		// The approval is left to expire server-side; the key goes instead.
		const add = S.oauthAdd;
		clearOauthQuery();
		S.oauthAdd = false;
		openPanel(add ? "add" : wasConnected() ? "rotate" : "connect", true);
		return;
	}
	keyInput.value = "";
	resetTest(false);
	show("form-error", false);
	show("connect-error", false);
	if (S.mode === "metric" && $("methods").hidden) show("methods", true);
	keyInput.focus();
});

// ----------------------------------------------------------- connect --

$("connect-btn").addEventListener("click", () => {
	if (S.busy || !S.tested) return;
	const m = selectedMetric();
	const keyOnly = !!S.tested.keyOnly;	// PATCH {apiKey}: the metric stays
	if (!m && !keyOnly) {
		fillNotice($("connect-error"), { title: "Choose a metric", text: "Choose the conversion metric first." });
		const first = $("metric-list").querySelector(".metric:not([hidden]) input");
		if (first) first.focus();
		return;
	}
	const mode = S.mode;
	const target = S.target;
	const add = adding();
	const body = keyOnly ? {} : { conversionMetricId: m.id };
	if (mode === "oauth") {
		body.method = "oauth";
	} else if (mode !== "metric") {
		const c = checkKey(keyInput.value, true);
		if (c.state !== "ok") {
			fillNotice($("connect-error"), { title: "Key missing", text: "Enter the API key again and test it." });
			keyInput.focus();
			return;
		}
		body.apiKey = keyInput.value.trim();
	}
	const btn = $("connect-btn");
	const busyLabel = mode === "connect" ? "Connecting\u2026" : add ? "Adding\u2026" : "Saving\u2026";
	// Adding: POST …/klaviyo-accounts; one account of several: PATCH it;
	// else the seed's route on the primary.
	const [verb, path] = add ? ["POST", accountsPath] : target ? ["PATCH", accountPath(target.id)] : ["POST", statusPath];
	withBusy(btn, busyLabel, async () => {
		show("connect-error", false);
		clearFlash();
		const tested = S.tested;
		const r = await api(verb, path, body);
		delete body.apiKey;
		if (!r.ok) {
			const d = describeError(r, mode === "metric" ? "metric" : mode === "oauth" ? "oauth" : "connect");
			if (mode === "oauth" && APPROVAL_GONE.has(r.code)) {
				// The approval is gone: back to the start.
				S.retryAdd = add;
				leaveOauth();
				showOauthMsg(d, false);
				S.retryAdd = false;
				if (r.status === 409) reloadStatus();
				return;
			}
			fillNotice($("connect-error"), d);
			if (r.status === 429) cooldown(btn, d.wait);
			if (r.status === 409 || r.code === "account_not_found") {
				await reloadStatus();
				// Connected meanwhile (another tab): the step says so, Add is off.
				if (r.code === "account_already_connected" && S.tested === tested) renderMetricStep();
			}
			return;
		}
		const saved = (r.body.store && r.body.store.klaviyo_integration) || (r.body.account && r.body.account.klaviyo_integration) || {};
		const acct = saved.account || tested.account || {};
		const before = target ? target.klaviyo_integration || {} : integ();
		const replaced = !add && (before.status === "connected" || before.status === "error");
		if (mode === "oauth") clearOauthQuery();
		if (!keyOnly) S.metricsCache = { accountId: saved.public_id || acct.id, account: acct, metrics: tested.metrics };
		keyInput.value = "";
		S.mode = null;
		S.target = null;
		S.oauthAdd = false;
		resetTest(false);
		show("connect-card", false);
		const name = acct.name || acct.id || "your Klaviyo account";
		const orders = m && m.isShopifyPlacedOrder ? " Orders and revenue are synced too." : " Orders are not synced with this metric.";
		let msg;
		if (add) {
			msg = "The Klaviyo account " + name + " was added to " + storeName() + ". Its first sync starts in a moment; its progress shows below." + orders;
		} else if (target && mode === "metric") {
			msg = "The conversion metric of " + name + " is now \u201c" + m.name + "\u201d" + (m.integration ? " (" + m.integration + ")" : "") + "." + orders;
		} else if (target) {
			msg = before.auth_method === "oauth"
				? name + " now uses the API key, and its Klaviyo sign-in (OAuth) was revoked. Its synced data is kept."
				: "The API key of " + name + " was replaced. Its synced data is kept.";
		} else if (mode === "metric") {
			msg = "The conversion metric is now \u201c" + m.name + "\u201d" + (m.integration ? " (" + m.integration + ")" : "") + "." + orders;
		} else if (mode === "rotate" && r.body.message === "Klaviyo API key updated") {
			msg = before.auth_method === "oauth"
				? "The store now uses the API key, and the Klaviyo sign-in (OAuth) was revoked. The connection to " + name + " and its synced data are kept."
				: "The API key was replaced. The connection to " + name + " and its synced data are kept.";
		} else if (mode === "oauth" && replaced && r.body.message === "Klaviyo authorization updated") {
			msg = before.auth_method === "oauth"
				? "Klaviyo access was approved again. The connection to " + name + " and its synced data are kept."
				: "The store now connects with Klaviyo sign-in (OAuth); the API key was deleted. The connection to " + name + " and its synced data are kept.";
		} else if ((mode === "rotate" || (mode === "oauth" && replaced)) && before.public_id && before.public_id !== acct.id) {
			msg = "Klaviyo is now connected to " + name + ". The previous account\u2019s data was deleted and a full sync starts in a moment.";
		} else {
			msg = "Klaviyo is connected to " + name + ". The first sync starts in a moment; its progress shows below." + orders;
		}
		// A new credential: the old sync messages are about the old one.
		if (mode !== "metric") show("sync-msg", false);
		await reloadStatus();
		S.expectSyncUntil = mode === "metric" ? 0 : Date.now() + 6000;
		schedulePoll();
		const first = /sync starts in a moment/.test(msg);
		S.firstSyncFor = saved.public_id || acct.id || null;
		S.firstSyncLast = saved.last_sync || null;
		flash(msg, first ? "first-sync" : "");
	}, "Still waiting for Klaviyo\u2026");
});

$("panel-close").addEventListener("click", () => {
	if (S.busy) return;
	const target = S.target, mode = S.mode, add = adding();
	const back = S.mode === "rotate" ? $("rotate-key") : S.mode === "oauth" ? $("reconnect-oauth") : $("change-metric");
	if (S.mode === "oauth") clearOauthQuery();
	closePanel();
	renderStatus();
	// Back to the button that opened the panel.
	if (target && focusAccountAction(target.id, mode)) return;
	if (add) $(multi() ? "add-account-multi" : "add-account").focus();
	else if (multi()) focusAccountAction((S.accounts.find((a) => a.primary) || {}).id, "reconnect");
	else back.focus();
});
$("rotate-key").addEventListener("click", () => {
	if (S.busy) return;
	clearFlash();
	openPanel("rotate", true);
	$("connect-card").scrollIntoView({ block: "start" });
});
$("change-metric").addEventListener("click", () => {
	if (S.busy) return;
	clearFlash();
	openPanel("metric", true);
	$("connect-card").scrollIntoView({ block: "start" });
});

// ------------------------------------------------------------- OAuth --

function renderOauth() {
	const b = $("oauth-btn");
	$("method-oauth").classList.toggle("method-main", S.oauth);
	$("method-key").classList.toggle("method-main", !S.oauth);
	show("help-oauth", S.oauth);
	if (S.oauth) {
		b.removeAttribute("aria-disabled");
		setText("oauth-tag", "Recommended");
		show("oauth-note", false);
	} else {
		b.setAttribute("aria-disabled", "true");
		setText("oauth-tag", "Not set up");
		show("oauth-note", true);
		// The method that works comes first.
		$("methods").prepend($("method-key"));
	}
}

// To Klaviyo's consent page, through our start route (a navigation: it
// answers a redirect). A session that ended is said here first, rather
// than by the route's JSON answer in the browser window.
function startOauth(btn) {
	if (S.busy || !S.oauth) return;
	const add = S.mode === "add" || btn.dataset.add === "1";	// the approval adds another account
	clearFlash();
	withBusy(btn, "Opening Klaviyo\u2026", async () => {
		const me = await api("GET", "/api/me");
		if (!me.ok) {
			showOauthMsg(describeError(me, "load"), false);
			return;
		}
		if (me.body.oauth_enabled !== true) {
			S.oauth = false;
			renderOauth();
			showOauthMsg(describeError({ code: "oauth_not_configured" }, "oauth"), false);
			return;
		}
		setAddFlag(add);
		location.assign(base + "/klaviyo-oauth/start");
		await new Promise(() => {});	// busy until the page is left
	});
}

// Coming back with ?oauth=ready: the approval's account and metrics.
async function finishOauth() {
	show("oauth-msg", false);
	// Started from "Add another Klaviyo account" (see startOauth).
	S.oauthAdd = addFlag() && multiOrOne();
	openPanel("oauth", false);
	const wait = $("oauth-wait");
	wait.textContent = "Klaviyo approved access. Loading the metrics of your Klaviyo account\u2026";
	wait.hidden = false;
	S.busy = true;
	$("main").setAttribute("aria-busy", "true");
	refreshControls();
	const slow = setTimeout(() => { wait.textContent = "Still waiting for Klaviyo\u2026"; }, 4000);
	let r;
	try {
		r = await api("POST", S.oauthAdd ? accountsPath : statusPath, { method: "oauth", action: "test" });
	} finally {
		clearTimeout(slow);
		S.busy = false;
		$("main").removeAttribute("aria-busy");
		wait.hidden = true;
		refreshControls();
	}
	if (S.mode !== "oauth") return;
	if (r.ok) {
		S.tested = {
			account: r.body.account || {},
			metrics: Array.isArray(r.body.metrics) ? r.body.metrics : [],
			hasShopifyPlacedOrder: !!r.body.hasShopifyPlacedOrder,
			oauth: true,
		};
		renderMetricStep();
		$("metric-h").focus();
		return;
	}
	const d = describeError(r, "oauth");
	S.retryAdd = S.oauthAdd;
	if (d.signin) {
		// Signing in comes back here, with ?oauth=ready: the approval waits.
		leaveOauth(true);
		showOauthMsg(d, false);
		S.retryAdd = false;
		return;
	}
	// Otherwise the approval still waits (Klaviyo or we had a problem):
	// it can be tried again, here or with a reload.
	const retry = !(APPROVAL_GONE.has(r.code) || r.status === 403 || r.status === 404);
	leaveOauth(retry);
	showOauthMsg(d, retry);
	S.retryAdd = false;
	if (r.status === 429) cooldown($("oauth-msg").querySelector("button"), d.wait);
	if (r.status === 403 || r.status === 409) reloadStatus();
}

// Answers after which the approval cannot be used: start again.
const APPROVAL_GONE = new Set(["oauth_not_authorized", "oauth_not_configured", "klaviyo_token_rejected", "klaviyo_scope_missing"]);

// Out of the OAuth panel; keepQuery: a reload may still finish it.
function leaveOauth(keepQuery) {
	if (!keepQuery) clearOauthQuery();
	if (S.mode !== "oauth") return;
	closePanel();
	renderStatus();
}

$("reconnect-oauth").addEventListener("click", (ev) => startOauth(ev.currentTarget));

// Back from Klaviyo with the browser's back button: the page is stale.
window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) location.reload();
});

$("oauth-btn").addEventListener("click", () => {
	if (S.busy) return;
	if (S.oauth) {
		startOauth($("oauth-btn"));
		return;
	}
	// Not configured: say so, and go to the key.
	const note = $("oauth-note");
	note.classList.remove("flash");
	void note.offsetWidth;
	note.classList.add("flash");
	keyInput.focus();
});
$("oauth-to-key").addEventListener("click", (ev) => {
	ev.preventDefault();
	keyInput.focus();
});

// ---------------------------------------------------------- sync now --

$("sync-now").addEventListener("click", () => {
	const btn = $("sync-now");
	withBusy(btn, "Starting sync\u2026", async () => {
		const msg = $("sync-msg");
		msg.hidden = true;
		clearFlash();
		const retry = integ().status === "error";
		const r = await api("POST", base + "/klaviyo-sync", {});
		msg.className = "notice notice-info";
		if (r.ok) {
			const jobs = Array.isArray(r.body.jobs) ? r.body.jobs.length : 0;
			msg.replaceChildren(el("strong", { text: retry ? "Trying again with the saved credential." : "Sync started." }),
				el("span", { text: (jobs ? jobs + (jobs === 1 ? " job is" : " jobs are") + " queued. " : "") +
					(retry ? "If Klaviyo refuses it again, this page says so; then replace it." : "Progress shows below and refreshes on its own.") }));
			msg.hidden = false;
			msg.dataset.kind = "started";
			S.expectSyncUntil = Date.now() + 15000;
			await reloadStatus();
			return;
		}
		if (r.status === 404 && r.error === "No such route") {
			msg.replaceChildren(el("strong", { text: "Sync is not available yet." }),
				el("span", { text: "On-demand sync is not set up on this server yet. Your reports are still synced automatically once the sync service runs." }));
			msg.hidden = false;
			return;
		}
		const d = describeError(r, "sync");
		msg.className = "notice notice-err";
		fillNotice(msg, d);
		if (r.status === 429) cooldown(btn, d.wait);
		if (r.status === 409) reloadStatus();
	});
});

// -------------------------------------------------------- disconnect --

const dlg = $("disconnect-dialog");

$("disconnect").addEventListener("click", () => {
	if (S.busy) return;
	const k = integ();
	const acct = (k.account && k.account.name) || k.public_id || "Klaviyo";
	setText("dlg-h", "Disconnect Klaviyo from " + storeName() + "?");
	// "…Acme Outdoor from Acme Outdoor" reads as a mistake: same names.
	setText("dlg-lead", sameName(acct, storeName())
		? "This disconnects the store from its Klaviyo account of the same name" + (k.public_id ? " (account ID " + k.public_id + ")" : "") + " and deletes:"
		: "This disconnects the Klaviyo account " + acct + " from " + storeName() + " and deletes:");
	setText("dlg-cred", k.auth_method === "oauth" ? "the Klaviyo sign-in (OAuth): it is revoked in Klaviyo too," : "the saved API key,");
	show("dlg-error", false);
	dlg.showModal();
	$("dlg-cancel").focus();
});

dlg.addEventListener("cancel", (ev) => {
	if (S.busy) ev.preventDefault();	// Escape while the request runs
});
dlg.addEventListener("close", () => {
	if (!$("disconnect").hidden) $("disconnect").focus();
});

$("dlg-confirm").addEventListener("click", () => {
	withBusy($("dlg-confirm"), "Disconnecting\u2026", async () => {
		show("dlg-error", false);
		const r = await api("DELETE", statusPath, {});
		if (!r.ok) {
			fillNotice($("dlg-error"), describeError(r, "disconnect"));
			return;
		}
		const oauth = isOauthStore();
		S.metricsCache = null;
		S.expectSyncUntil = 0;
		stopPolling();
		dlg.close();
		show("sync-msg", false);
		await reloadStatus();
		flash("Klaviyo is disconnected from " + storeName() + (oauth
			? ". The Klaviyo sign-in (OAuth) was revoked in Klaviyo and the data synced from Klaviyo was deleted."
			: ". The API key and the data synced from Klaviyo were deleted."));
	});
});

// ------------------------------------------------------------- start --

window.addEventListener("pagehide", () => {
	keyInput.value = "";
});

async function init() {
	const oauthError = oauthErrorParam();
	const oauthReady = new URLSearchParams(location.search).get("oauth") === "ready";
	initTopbar(null);
	renderKeyHint(false);
	// On a phone the help would push the page down: closed at first.
	if (matchMedia("(max-width: 40rem)").matches) $("help").open = false;
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(storeId)) {
		fillNotice($("banner"), { title: "Page not found", text: "This address does not point to a store." });
		return;
	}
	const [me, st, ac] = await Promise.all([api("GET", "/api/me"), api("GET", statusPath), api("GET", accountsPath)]);
	if (me.status === 401 || st.status === 401) {
		location.assign(loginUrl());
		return;
	}
	if (me.ok) {
		S.me = me.body;
		initTopbar(me.body);
		S.store = (me.body.stores || []).find((s) => s.public_id === storeId) || null;
		S.oauth = me.body.oauth_enabled === true;
	}
	renderOauth();
	if (!st.ok) {
		const badge = $("badge");
		badge.hidden = true;
		if (st.status === 404) {
			setText("page-title", "Store not found");
			setText("store-line", "");
			setText("crumb-store", "Not found");
			const b = $("banner");
			fillNotice(b, { title: "Store not found", text: "This store does not exist or you do not have access to it. If you think you should, ask an owner of the store to give you access." });
			b.append(el("a", { href: "/", text: "Back to your stores" }));
			return;
		}
		const b = $("banner");
		fillNotice(b, describeError(st, "load"), "");
		const again = el("button", { type: "button", class: "btn btn-sm", text: "Try again" });
		again.addEventListener("click", () => location.reload());
		b.append(el("div", {}, again));
		badge.hidden = false;
		badge.textContent = "Unknown";
		return;
	}
	S.status = st.body;
	S.canManage = st.body.can_manage === true;
	applyAccounts(ac);
	$("layout").hidden = false;
	renderStatus();
	if (syncActive()) S.wasActive = true;
	schedulePoll();
	if (oauthError) {
		S.retryAdd = addFlag() && multiOrOne();
		clearOauthQuery();
		showOauthMsg(describeError({ code: oauthError }, "oauth"), false);
		S.retryAdd = false;
	} else if (oauthReady && S.canManage) {
		finishOauth();
	} else if (oauthReady) {
		clearOauthQuery();
	}
}

init();
