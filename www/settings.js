// Sync settings and activity of one store: /store/{storePublicId}/klaviyo-settings
//
//   GET   /api/store/{id}/klaviyo-accounts                        the store's Klaviyo accounts
//   GET   /api/store/{id}/klaviyo-accounts/{accountId}/settings   per type: on, interval, runs
//   PATCH … {types: {<type>: {enabled?, interval_hours?}}, delete_data?, webhooks?}   (manage)
//   GET   /api/store/{id}/klaviyo-activity?limit&before&action&account     newest first
//
// ?account=kcn_… picks the account (the primary otherwise). Each change is
// saved at once; turning a type off first asks whether to keep or delete
// its synced data. Viewers see the same page with every control disabled.
import { $, api, describeError, el, initTopbar, loginUrl, relative, sentence } from "/common.js";
import { renderWebhooks } from "/webhooks.js";

const PAGE = 25;			// activity entries per request
const TYPES = [
	{ key: "campaigns", label: "Campaigns", what: "campaign reports" },
	{ key: "flows", label: "Flows", what: "flow reports" },
	{ key: "segments", label: "Segments", what: "segment reports" },
	{ key: "forms", label: "Sign-up forms", what: "sign-up form reports" },
	{ key: "orders", label: "Orders", what: "orders and revenue" },
];
// The interval choices, in hours: 1 hour to 7 days.
const INTERVALS = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168];
const ACTIONS = {
	settings_changed: "Changed the sync settings",
	sync_now: "Asked for a sync",
	connect: "Connected Klaviyo",
	add_account: "Added a Klaviyo account",
	remove_account: "Removed a Klaviyo account",
	make_primary: "Made an account the primary one",
	rotate_key: "Replaced the API key",
	change_metric: "Changed the conversion metric",
	disconnect: "Disconnected Klaviyo",
	test: "Tested an API key",
	oauth_start: "Started connecting with Klaviyo",
	oauth_authorize: "Approved access in Klaviyo",
	oauth_callback: "Came back from Klaviyo",
	oauth_refreshed: "Klaviyo renewed the sign-in",
	oauth_revoked: "The Klaviyo sign-in was revoked",
	credential_refused: "Klaviyo refused the stored credential",
	webhook_registered: "Live updates were set up with Klaviyo",
	webhook_unavailable: "Klaviyo does not allow live updates for the account",
	webhook_removed: "Live updates were removed at Klaviyo",
};

const storeId = (() => {
	try {
		return decodeURIComponent(location.pathname.split("/")[2] || "");
	} catch (e) {
		return "";
	}
})();
const base = "/api/store/" + encodeURIComponent(storeId);
const connectPage = "/store/" + encodeURIComponent(storeId) + "/klaviyo-connect";

const S = {
	store: null,		// this store's entry of GET /api/me
	accounts: [],		// GET …/klaviyo-accounts
	account: null,		// the chosen account's id (kcn_…)
	doc: null,		// its settings (GET/PATCH …/settings)
	busy: false,
	pendingOff: null,	// the type the dialog asks about
	next: null,		// activity: next_before, null at the end
	loaded: [],		// activity entries shown
	activitySeq: 0,		// drops answers of superseded activity requests
};

// ------------------------------------------------------------ helpers --

function show(id, on) {
	$(id).hidden = !on;
}

function storeName() {
	return (S.store && S.store.name) || storeId;
}

function accountLabel(a) {
	const k = (a && a.klaviyo_integration) || {};
	const name = (k.account && k.account.name) || "Klaviyo account";
	const kid = k.public_id || (k.account && k.account.id) || "";
	return name + (kid ? " (" + kid + ")" : "");
}

function accountById(id) {
	return S.accounts.find((a) => a.id === id) || null;
}

// "Every hour", "Every 6 hours", "Every day", "Every 2 days".
function every(h) {
	if (h === 1) return "Every hour";
	if (h % 24 === 0) return h === 24 ? "Every day" : "Every " + h / 24 + " days";
	return "Every " + h + " hours";
}

function hoursText(h) {
	if (h % 24 === 0) return h === 24 ? "a day" : h / 24 + " days";
	return h === 1 ? "an hour" : h + " hours";
}

const absFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });

function validDate(iso) {
	if (!iso || typeof iso !== "string") return null;
	const d = new Date(iso);
	return isNaN(d.getTime()) ? null : d;
}

// "5 minutes ago" (or "in 3 hours"), the exact time in its title.
function when(iso) {
	const d = validDate(iso);
	if (!d) return null;
	return el("time", { datetime: d.toISOString(), title: absFmt.format(d), text: relative(d) });
}

// A notice from a failed request. The settings' own refusals (400, 422)
// are the server's sentence, which says what was wrong and what fits.
function fillError(node, r, what) {
	let d;
	if ((r.status === 400 || r.status === 422) && r.error && r.code !== "unsupported_media_type") {
		d = { title: what + " was not saved", text: sentence(r.error) };
	} else if (r.code === "account_not_found") {
		d = { title: "Account not found", text: "This Klaviyo account is no longer connected to the store; someone may have just removed it. Reload the page to see the current accounts." };
	} else if (r.status === 403 && !/origin/i.test(r.error || "")) {
		d = { title: "Not allowed", text: "Your role on this store does not allow changing the sync settings. Ask an owner or admin of the store." };
	} else {
		d = describeError(r, "settings");
	}
	node.replaceChildren(el("strong", { text: d.title }), el("span", { text: d.text }));
	if (d.signin) node.append(el("a", { href: loginUrl(), text: "Sign in again" }));
	node.hidden = false;
}

function flash(text) {
	const f = $("flash");
	f.textContent = text;
	f.hidden = false;
}

// ---------------------------------------------------------- accounts --

function renderAccounts() {
	const sel = $("account-select");
	sel.replaceChildren(...S.accounts.map((a) => el("option", {
		value: a.id, text: accountLabel(a) + (a.primary ? " \u00b7 primary" : ""),
	})));
	if (S.account) sel.value = S.account;
	show("picker-row", S.accounts.length > 1);
	show("no-accounts", S.accounts.length === 0);
	const a = accountById(S.account);
	const line = $("account-line");
	if (!a) {
		line.hidden = true;
	} else {
		const k = a.klaviyo_integration || {};
		const status = { connected: "connected", error: "connected, with an error", disconnected: "disconnected" }[k.status] || "not connected";
		line.replaceChildren(el("strong", { text: accountLabel(a) }),
			document.createTextNode(" is " + status + (a.primary ? ", the store\u2019s primary account." : ".")));
		line.hidden = false;
	}
	// The activity's account filter: every account, and what was removed.
	const f = $("filter-account");
	const keep = f.value;
	f.replaceChildren(el("option", { value: "", text: "All accounts" }),
		...S.accounts.map((x) => el("option", { value: x.id, text: accountLabel(x) })));
	f.value = accountById(keep) ? keep : "";
	show("filter-account-box", S.accounts.length > 1);
}

function chooseAccount(id) {
	S.account = id;
	const u = new URL(location.href);
	u.searchParams.set("account", id);
	history.replaceState(null, "", u.pathname + u.search);
	renderAccounts();
	loadSettings();
}

$("account-select").addEventListener("change", (ev) => {
	show("flash", false);
	chooseAccount(ev.target.value);
});

// ---------------------------------------------------------- settings --

function settingsPath() {
	return base + "/klaviyo-accounts/" + encodeURIComponent(S.account) + "/settings";
}

async function loadSettings() {
	show("settings-error", false);
	if (!S.account) {
		show("settings-card", false);
		return;
	}
	const want = S.account;
	const r = await api("GET", settingsPath());
	if (want !== S.account) return;
	if (r.status === 401) {
		location.assign(loginUrl());
		return;
	}
	show("settings-card", true);
	if (!r.ok) {
		S.doc = null;
		$("type-list").replaceChildren();
		fillError($("settings-error"), r, "The settings");
		$("settings-error").firstChild.textContent = "The settings could not be loaded";
		return;
	}
	S.doc = r.body;
	renderSettings();
}

function canManage() {
	return !!(S.doc && S.doc.can_manage === true);
}

function intervalSelect(t, v, id, disabled) {
	const cur = v.interval_hours, def = v.default_interval_hours;
	// The shortest interval the budget allows is a choice too: a refusal
	// names it, so it must be there to pick.
	const hours = [...new Set(INTERVALS.concat([cur, def, v.shortest_interval_hours]).filter((h) => Number.isInteger(h) && h >= 1 && h <= 168))].sort((a, b) => a - b);
	const sel = el("select", { id, disabled: disabled || undefined, "aria-describedby": id + "-hint" });
	for (const h of hours) {
		const o = el("option", { value: String(h), text: every(h) + (h === def ? " (default)" : "") });
		if (h === cur) o.selected = true;
		sel.append(o);
	}
	sel.dataset.saved = String(cur);
	sel.addEventListener("change", () => saveInterval(t, sel));
	return sel;
}

function typeRow(t) {
	const v = S.doc.types[t.key];
	if (!v) return null;
	const manage = canManage();
	const usable = v.allowed !== false && v.available !== false;
	const idc = "t-" + t.key;
	const sw = el("input", {
		type: "checkbox", role: "switch", id: idc + "-enabled", class: "switch",
		checked: !!v.enabled && v.allowed !== false, disabled: !manage || v.allowed === false || undefined,
		"aria-describedby": idc + "-state",
	});
	sw.addEventListener("change", () => toggle(t, sw));
	const head = el("div", { class: "type-head" },
		el("label", { for: idc + "-enabled", class: "type-name", text: "Sync " + t.label.toLowerCase() }),
		el("span", { id: idc + "-state", class: "pill " + (v.enabled && usable ? "pill-done" : ""), text: !usable ? "Unavailable" : v.enabled ? "On" : "Off" }),
		sw);
	const row = el("li", { class: "type-row" + (v.enabled && usable ? "" : " is-off"), id: idc });
	row.append(head);

	const notes = [];
	if (v.allowed === false) {
		notes.push(el("p", { class: "type-note", text: "Orders are synced only when the conversion metric is Shopify\u2019s Placed Order. Change the metric on the connection page to sync them." }));
	} else if (v.available === false) {
		notes.push(el("p", { class: "type-note", text: "Unavailable: the key needs the scope " + (v.missing_scope || "for this type") + ". Give the key read access to it in Klaviyo (Settings \u2192 API keys), or replace the key on the connection page." }));
	}
	row.append(...notes);

	const iv = el("div", { class: "type-interval" },
		el("label", { for: idc + "-interval", text: "How often" }),
		intervalSelect(t, v, idc + "-interval", !manage || !v.enabled || !usable));
	const hint = [];
	if (Number.isInteger(v.shortest_interval_hours) && v.shortest_interval_hours > 1) {
		hint.push("The shortest interval this Klaviyo account\u2019s report budget allows now is " + hoursText(v.shortest_interval_hours) + ".");
	} else if (v.shortest_interval_hours === 0) {
		hint.push("Other stores on this Klaviyo account use its whole report budget: no shorter interval fits now.");
	}
	iv.append(el("p", { id: idc + "-interval-hint", class: "hint", text: hint.join(" ") }));
	row.append(iv);

	const last = when(v.last_sync), next = when(v.next_run);
	// A run that is due (queued, waiting for a worker) is not "ago".
	if (next && new Date(next.dateTime).getTime() <= Date.now() + 45000) next.textContent = "due now";
	row.append(el("dl", { class: "type-times" },
		el("div", {}, el("dt", { text: "Last sync" }), el("dd", { id: idc + "-last" }, last || "Never")),
		el("div", {}, el("dt", { text: "Next run" }), el("dd", { id: idc + "-next" }, next || (v.enabled ? "Not scheduled" : "Off")))));
	row.append(el("div", { id: idc + "-error", class: "notice notice-err", role: "alert", hidden: true }));
	return row;
}

function renderSettings() {
	const d = S.doc;
	if (d.budget && Number.isInteger(d.budget.reports_per_day)) $("budget-daily").textContent = String(d.budget.reports_per_day);
	const manage = canManage();
	const note = $("viewer-note");
	note.textContent = manage ? "" : "You can see these settings; only owners and admins of " + storeName() + " can change them.";
	note.hidden = manage;
	show("intro-save", manage);
	const focused = document.activeElement && document.activeElement.id;
	$("type-list").replaceChildren(...TYPES.map(typeRow).filter(Boolean));
	renderWebhooks(d, manage, toggleWebhooks);
	// A redraw keeps the keyboard where it was.
	if (focused && /^t-/.test(focused) && $(focused)) $(focused).focus();
	refreshControls();
}

function refreshControls() {
	for (const n of document.querySelectorAll("#type-list input, #type-list select")) {
		if (S.busy) n.disabled = true;
	}
	$("main").toggleAttribute("aria-busy", S.busy);
	if (!S.busy && S.doc) {
		// Back to what the document allows.
		for (const t of TYPES) {
			const v = S.doc.types[t.key];
			if (!v) continue;
			const usable = v.allowed !== false && v.available !== false;
			const sw = $("t-" + t.key + "-enabled"), sel = $("t-" + t.key + "-interval");
			if (sw) sw.disabled = !canManage() || v.allowed === false;
			if (sel) sel.disabled = !canManage() || !v.enabled || !usable;
		}
	}
}

// One PATCH; on success the page shows the new document. Returns the
// answer, or null when another request is running.
async function patch(body, errNode, what) {
	if (S.busy) return null;
	S.busy = true;
	refreshControls();
	errNode.hidden = true;
	show("settings-error", false);
	show("flash", false);
	let r;
	try {
		r = await api("PATCH", settingsPath(), body);
		if (r.ok) {
			S.doc = r.body;
		} else if (r.status === 401) {
			location.assign(loginUrl());
		} else {
			fillError(errNode, r, what);
		}
	} finally {
		S.busy = false;
	}
	if (r.ok) {
		renderSettings();
		loadActivity(false);
	} else {
		refreshControls();
		if (r.code === "account_not_found") reloadAccounts();
	}
	return r;
}

async function saveInterval(t, sel) {
	const h = parseInt(sel.value, 10);
	const v = S.doc.types[t.key];
	const body = { types: { [t.key]: { interval_hours: h === v.default_interval_hours ? null : h } } };
	const errId = "t-" + t.key + "-error";
	const r = await patch(body, $(errId), t.label + " every " + hoursText(h).replace(/^an? /, ""));
	if (!r) {
		sel.value = sel.dataset.saved;
		return;
	}
	if (r.ok) {
		$("saved-live").textContent = "Saved: " + t.label + " " + every(h).toLowerCase() + ".";
		flash("Saved: " + t.label + " are synced " + every(h).toLowerCase() + ".");
		return;
	}
	// Refused: the choice goes back to what is saved; the reason stays.
	const now = $("t-" + t.key + "-interval");
	if (now) {
		now.value = now.dataset.saved;
		now.focus();
	}
}

async function toggle(t, sw) {
	if (!sw.checked) {
		// Off: ask about the data first; the switch stays on until then.
		sw.checked = true;
		openOffDialog(t);
		return;
	}
	const r = await patch({ types: { [t.key]: { enabled: true } } }, $("t-" + t.key + "-error"), "Turning " + t.label.toLowerCase() + " on");
	if (!r || !r.ok) {
		const n = $("t-" + t.key + "-enabled");
		if (n) n.checked = false;
		return;
	}
	flash(t.label + " are synced again: a full sync of them is queued.");
}

async function toggleWebhooks(on) {
	const r = await patch({ webhooks: on }, $("webhooks-error"), on ? "Turning live updates on" : "Turning live updates off");
	if (!r || !r.ok) {
		$("webhooks-enabled").checked = !on;
		return;
	}
	flash(on ? "Live updates are being set up with Klaviyo." : "Live updates are off; the webhook is removed at Klaviyo.");
}

// ------------------------------------------------------ off dialog --

const dlg = $("off-dialog");

function openOffDialog(t) {
	S.pendingOff = t;
	$("off-h").textContent = "Stop syncing " + t.label.toLowerCase() + "?";
	$("off-lead").textContent = "Syncs of " + t.what + " that are queued or running are cancelled, and " + t.label.toLowerCase() + " are no longer synced for " + storeName() + ".";
	$("off-delete-sub").textContent = "The synced " + t.what + " are deleted now. This cannot be undone.";
	$("off-keep").checked = true;
	renderOffConfirm();
	show("off-error", false);
	dlg.showModal();
	$("off-keep").focus();
}

// The button says what it does: deleting is red.
function renderOffConfirm() {
	const del = $("off-delete").checked;
	const b = $("off-confirm");
	b.textContent = del ? "Turn off and delete data" : "Turn off";
	b.className = "btn " + (del ? "btn-danger" : "btn-primary");
}
$("off-keep").addEventListener("change", renderOffConfirm);
$("off-delete").addEventListener("change", renderOffConfirm);

dlg.addEventListener("cancel", (ev) => {
	if (S.busy) ev.preventDefault();
});
dlg.addEventListener("close", () => {
	const t = S.pendingOff;
	S.pendingOff = null;
	const sw = t && $("t-" + t.key + "-enabled");
	if (sw) sw.focus();
});

$("off-confirm").addEventListener("click", async () => {
	const t = S.pendingOff;
	if (!t || S.busy) return;
	const del = $("off-delete").checked;
	const btn = $("off-confirm");
	btn.setAttribute("aria-busy", "true");
	btn.disabled = $("off-cancel").disabled = true;
	const r = await patch({ types: { [t.key]: { enabled: false } }, delete_data: del }, $("off-error"), "Turning " + t.label.toLowerCase() + " off");
	btn.removeAttribute("aria-busy");
	btn.disabled = $("off-cancel").disabled = false;
	if (!r || !r.ok) return;	// the dialog stays, with the reason
	dlg.close();
	flash(t.label + " are no longer synced. " + (del ? "Their synced data was deleted." : "Their synced data was kept."));
});

// ---------------------------------------------------------- activity --

function describeChanges(ch) {
	if (!ch || typeof ch !== "object") return "";
	const parts = [];
	if (ch.webhooks === true) parts.push("Live updates on");
	if (ch.webhooks === false) parts.push("Live updates off");
	for (const t of TYPES) {
		const c = ch[t.key];
		if (!c || typeof c !== "object") continue;
		if (c.enabled === false) parts.push(t.label + " off");
		else if (Number.isInteger(c.interval_hours)) parts.push(t.label + " on, " + every(c.interval_hours).toLowerCase());
		else parts.push(t.label + " on");
	}
	return parts.join("; ");
}

function activityAccount(e) {
	const a = e.connection_id ? accountById(e.connection_id) : null;
	if (a) return accountLabel(a);
	if (e.account_id) return "Klaviyo account " + e.account_id;
	return "";
}

function activityItem(e) {
	const what = ACTIONS[e.action] || e.action;
	const failed = e.outcome && e.outcome !== "success";
	const detail = [];
	const ch = describeChanges(e.changes);
	if (ch) detail.push(ch);
	if (e.api_key_hint) detail.push("key " + e.api_key_hint);
	if (e.auth_method === "oauth") detail.push("with Klaviyo sign-in");
	if (e.conversion_metric_id) detail.push("metric " + e.conversion_metric_id);
	if (e.reason) detail.push(e.reason);
	if (e.error) detail.push(e.error);
	const who = e.actor ? e.actor : e.via === "klaviyo-admin" ? "An operator (klaviyo-admin)" : "The system";
	const acct = activityAccount(e);
	return el("li", { class: "activity-item", "data-action": e.action },
		el("div", { class: "activity-top" },
			el("span", { class: "activity-what", text: what }),
			failed ? el("span", { class: "tag tag-failed", text: e.outcome === "failure" ? "Failed" : sentence(e.outcome).replace(/\.$/, "") }) : null,
			when(e.at)),
		detail.length ? el("p", { class: "activity-detail", text: detail.join(" \u00b7 ") }) : null,
		el("p", { class: "activity-meta" },
			el("span", { class: "activity-who", text: who }),
			acct ? el("span", { class: "activity-acct", text: acct }) : null));
}

function activityQuery(before) {
	const q = new URLSearchParams({ limit: String(PAGE) });
	if (before) q.set("before", String(before));
	const action = $("filter-action").value, acct = $("filter-account").value;
	if (action) q.set("action", action);
	if (acct) q.set("account", acct);
	return base + "/klaviyo-activity?" + q.toString();
}

// more: the next page after what is shown; else the first page again.
async function loadActivity(more) {
	const seq = ++S.activitySeq;
	const btn = $("more-btn");
	if (more) {
		btn.setAttribute("aria-busy", "true");
		btn.disabled = true;
	}
	$("activity-list").setAttribute("aria-busy", "true");
	const r = await api("GET", activityQuery(more ? S.next : null));
	if (seq !== S.activitySeq) return;
	btn.removeAttribute("aria-busy");
	btn.disabled = false;
	$("activity-list").setAttribute("aria-busy", "false");
	if (r.status === 401) {
		location.assign(loginUrl());
		return;
	}
	show("activity-error", false);
	if (!r.ok) {
		fillError($("activity-error"), r, "The activity");
		$("activity-error").firstChild.textContent = "The activity could not be loaded";
		return;
	}
	const items = Array.isArray(r.body.activity) ? r.body.activity : [];
	if (!more) S.loaded = [];
	S.loaded = S.loaded.concat(items);
	S.next = r.body.next_before || null;
	const list = $("activity-list");
	const nodes = items.map(activityItem);
	if (more) list.append(...nodes);
	else list.replaceChildren(...nodes);
	show("activity-empty", S.loaded.length === 0);
	$("activity-empty").textContent = $("filter-action").value || $("filter-account").value
		? "Nothing matches these filters." : "Nothing has happened yet.";
	show("more-btn", !!S.next);
	if (more) {
		$("activity-count").textContent = items.length + " more shown, " + S.loaded.length + " in all.";
		// The keyboard goes on with the first new entry.
		if (nodes[0]) {
			nodes[0].tabIndex = -1;
			nodes[0].focus();
		}
	}
}

function fillActionFilter() {
	$("filter-action").replaceChildren(el("option", { value: "", text: "Everything" }),
		...Object.entries(ACTIONS).map(([k, v]) => el("option", { value: k, text: v })));
}

$("filter-action").addEventListener("change", () => loadActivity(false));
$("filter-account").addEventListener("change", () => loadActivity(false));
$("more-btn").addEventListener("click", () => loadActivity(true));

// ------------------------------------------------------------- start --

async function reloadAccounts() {
	const r = await api("GET", base + "/klaviyo-accounts");
	if (!r.ok) return r;
	S.accounts = Array.isArray(r.body.accounts) ? r.body.accounts : [];
	if (!accountById(S.account)) {
		const p = S.accounts.find((a) => a.primary) || S.accounts[0];
		S.account = p ? p.id : null;
	}
	renderAccounts();
	await loadSettings();
	return r;
}

async function init() {
	initTopbar(null);
	fillActionFilter();
	$("back-link").href = connectPage;
	$("no-accounts-link").href = connectPage;
	$("crumb-store").href = connectPage;
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(storeId)) {
		const b = $("banner");
		b.replaceChildren(el("strong", { text: "Page not found" }), el("span", { text: "This address does not point to a store." }));
		b.hidden = false;
		return;
	}
	const want = new URLSearchParams(location.search).get("account") || "";
	const [me, accts] = await Promise.all([api("GET", "/api/me"), api("GET", base + "/klaviyo-accounts")]);
	if (me.status === 401 || accts.status === 401) {
		location.assign(loginUrl());
		return;
	}
	if (me.ok) {
		initTopbar(me.body);
		S.store = (me.body.stores || []).find((s) => s.public_id === storeId) || null;
	}
	$("crumb-store").textContent = storeName();
	document.title = storeName() + " \u00b7 Klaviyo sync settings \u00b7 klaviyo-connect";
	if (!accts.ok) {
		const b = $("banner");
		if (accts.status === 404) {
			$("page-title").textContent = "Store not found";
			b.replaceChildren(el("strong", { text: "Store not found" }), el("span", { text: "This store does not exist or you do not have access to it. If you think you should, ask an owner of the store to give you access." }), el("a", { href: "/", text: "Back to your stores" }));
			b.hidden = false;
			return;
		}
		fillError(b, accts, "The page");
		const again = el("button", { type: "button", class: "btn btn-sm", text: "Try again" });
		again.addEventListener("click", () => location.reload());
		b.append(el("div", {}, again));
		return;
	}
	$("store-line").textContent = "What is synced from Klaviyo for " + storeName() + ", how often, and who changed what.";
	S.accounts = Array.isArray(accts.body.accounts) ? accts.body.accounts : [];
	const pick = accountById(want) || S.accounts.find((a) => a.primary) || S.accounts[0];
	S.account = pick ? pick.id : null;
	if (want && !accountById(want) && S.accounts.length) {
		const b = $("banner");
		b.className = "notice notice-warn page-notice";
		b.replaceChildren(el("strong", { text: "Account not found" }), el("span", { text: "The account in the address is not connected to this store; the page shows " + accountLabel(pick) + " instead." }));
		b.hidden = false;
	}
	show("layout", true);
	renderAccounts();
	await Promise.all([loadSettings(), loadActivity(false)]);
}

init();
