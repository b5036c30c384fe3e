// The Klaviyo dashboard of one store: /store/{storePublicId}/klaviyo-dashboard
//
//   GET /api/me                                      the store's name
//   GET /api/store/{id}/klaviyo-accounts             accounts, currencies, sync state
//   GET /api/store/{id}/klaviyo-reports/{kind}       kind = summary | series |
//       campaigns | flows | segments | forms; ?from&to&account&interval&sort&order&limit
//       (docs/REPORTS.md). Every account answers apart, in its own currency.
//
// Address: ?range=7d|30d|90d|12m or ?from=YYYY-MM-DD&to=YYYY-MM-DD, and
// ?account=kcn_… (all accounts otherwise). Money is summed only over
// accounts of one currency: a combined view of several currencies shows
// one block per currency. Every chart has a table with its numbers.
import { $, api, describeError, el, initTopbar, loginUrl, relative, sentence } from "/common.js";
import { barChart, lineChart, sparkline, rateBar } from "/dashboard-charts.js";

const PAGE = 10;		// table rows per "Show more", per account
const MAX_LIMIT = 200;		// the API's largest limit
const POLL_MS = 15000;		// while the first sync runs
const RANGES = { "7d": "7 days", "30d": "30 days", "90d": "90 days", "12m": "12 months" };
const TYPES = [
	["campaigns", "Campaigns"], ["flows", "Flows"], ["segments", "Segments"],
	["forms", "Sign-up forms"], ["orders", "Orders"],
];

const storeId = (() => {
	try {
		return decodeURIComponent(location.pathname.split("/")[2] || "");
	} catch (e) {
		return "";
	}
})();
const storePath = "/store/" + encodeURIComponent(storeId);
const base = "/api/store/" + encodeURIComponent(storeId);

const S = {
	store: null,		// this store's entry of GET /api/me
	accounts: [],		// GET …/klaviyo-accounts
	account: "",		// "" all, else a kcn_… id
	range: "30d",		// a RANGES key or "custom"
	from: "", to: "",	// the custom range
	interval: "",		// chosen by the user; "" picks by length
	seq: 0,			// drops answers of superseded loads
	poll: null,
	data: null,		// the last answers, by kind
	tables: {},		// kind -> {sort, order, limit}
};

// ---------------------------------------------------------- numbers --

const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const pctFmt = new Intl.NumberFormat(undefined, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
const ptsFmt = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function num(v) {
	const n = typeof v === "number" ? v : parseFloat(v);
	return Number.isFinite(n) ? n : 0;
}
function isNum(v) {
	return v !== null && v !== undefined && v !== "" && Number.isFinite(typeof v === "number" ? v : parseFloat(v));
}

const moneyFmts = new Map();
function moneyFmt(cur, compact) {
	const k = cur + (compact ? "c" : "");
	if (!moneyFmts.has(k)) {
		let f;
		try {
			f = new Intl.NumberFormat(undefined, compact
				? { style: "currency", currency: cur, notation: "compact", maximumFractionDigits: 1 }
				: { style: "currency", currency: cur });
		} catch (e) {
			// Not an ISO code: the number and the code as Klaviyo gave it.
			const n = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, minimumFractionDigits: compact ? 0 : 2, notation: compact ? "compact" : "standard" });
			f = { format: (v) => n.format(v) + " " + (cur || "") };
		}
		moneyFmts.set(k, f);
	}
	return moneyFmts.get(k);
}
const money = (v, cur) => moneyFmt(cur, false).format(num(v));
const moneyShort = (v, cur) => moneyFmt(cur, true).format(num(v));
const count = (v) => intFmt.format(num(v));
const rate = (v) => (isNum(v) ? pctFmt.format(num(v)) : "\u2013");

// ------------------------------------------------------------ dates --

// YYYY-MM-DD arithmetic on UTC dates (no time zone moves a day).
function parseDay(s) {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(s || "")) return null;
	const d = new Date(s + "T00:00:00Z");
	return isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? null : d;
}
const dayStr = (d) => d.toISOString().slice(0, 10);
function addDays(s, n) {
	const d = parseDay(s);
	d.setUTCDate(d.getUTCDate() + n);
	return dayStr(d);
}
function daysBetween(a, b) {
	return Math.round((parseDay(b) - parseDay(a)) / 86400000);
}
// Today in the account's time zone (the API's days are the account's).
function todayIn(tz) {
	try {
		return new Intl.DateTimeFormat("en-CA", { timeZone: tz || "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
	} catch (e) {
		return new Date().toISOString().slice(0, 10);
	}
}
const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const monthFmt = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
const longMonthFmt = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
const showDay = (s) => (parseDay(s) ? dayFmt.format(parseDay(s)) : s || "");
function periodLabel(p, interval, long) {
	const d = parseDay(p);
	if (!d) return p || "";
	if (interval === "month") return (long ? longMonthFmt : monthFmt).format(d);
	if (interval === "week") return (long ? "Week of " + dayFmt.format(d) : shortDayFmt.format(d));
	return long ? dayFmt.format(d) : shortDayFmt.format(d);
}
const sendFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// ---------------------------------------------------------- accounts --

function integ(a) {
	return (a && a.klaviyo_integration) || {};
}
function acctName(a) {
	const k = integ(a);
	return (k.account && k.account.name) || "Klaviyo account";
}
function acctCurrency(a) {
	const k = integ(a);
	return (k.account && k.account.currency) || "USD";
}
function acctTz(a) {
	const k = integ(a);
	return (k.account && k.account.timezone) || "UTC";
}
function accountById(id) {
	return S.accounts.find((a) => a.id === id) || null;
}
function storeName() {
	return (S.store && S.store.name) || storeId;
}
// The accounts this view shows.
function inView() {
	return S.account ? S.accounts.filter((a) => a.id === S.account) : S.accounts;
}
// Syncing now (or about to), by the accounts list: per type and overall.
function syncing(a, type) {
	const k = integ(a);
	if (!type) return k.sync_status === "running" || k.sync_status === "queued";
	const t = a && a.sync && a.sync[type];
	return !!t && (t.state === "running" || t.state === "queued");
}

// ------------------------------------------------------------- range --

function currentRange() {
	if (S.range === "custom") return { from: S.from, to: S.to };
	const tz = acctTz(inView()[0] || S.accounts[0]);
	const to = todayIn(tz);
	let from;
	if (S.range === "12m") {
		const d = parseDay(to);
		d.setUTCFullYear(d.getUTCFullYear() - 1);
		from = addDays(dayStr(d), 1);
	} else {
		from = addDays(to, -(parseInt(S.range, 10) - 1));
	}
	return { from, to };
}
function autoInterval(r) {
	const n = daysBetween(r.from, r.to) + 1;
	return n <= 92 ? "day" : n <= 200 ? "week" : "month";
}
function intervalNow() {
	return S.interval || autoInterval(currentRange());
}

// A custom range as the API accepts it, or the sentence why not.
function checkCustom(from, to) {
	if (!from || !to) return "Enter both dates.";
	const a = parseDay(from), b = parseDay(to);
	if (!a || !b) return "Enter the dates as YYYY-MM-DD.";
	if (a.getUTCFullYear() < 2000 || b.getUTCFullYear() > 2099) return "Pick dates between the years 2000 and 2099.";
	if (a > b) return "The start date must not be after the end date.";
	if (daysBetween(from, to) + 1 > 731) return "Pick at most 731 days (two years).";
	return "";
}

function readAddress() {
	const q = new URLSearchParams(location.search);
	S.account = q.get("account") || "";
	const from = q.get("from") || "", to = q.get("to") || "";
	if (from || to) {
		S.range = "custom";
		S.from = from;
		S.to = to;
	} else {
		S.range = RANGES[q.get("range")] ? q.get("range") : "30d";
	}
}
function writeAddress(push) {
	const q = new URLSearchParams();
	if (S.range === "custom") {
		q.set("from", S.from);
		q.set("to", S.to);
	} else if (S.range !== "30d") {
		q.set("range", S.range);
	}
	if (S.account) q.set("account", S.account);
	const url = location.pathname + (q.toString() ? "?" + q.toString() : "");
	if (url === location.pathname + location.search) return;
	if (push) history.pushState(null, "", url);
	else history.replaceState(null, "", url);
}

// ---------------------------------------------------------- requests --

function reportUrl(kind, extra) {
	const r = currentRange();
	const q = new URLSearchParams({ from: r.from, to: r.to });
	if (S.account) q.set("account", S.account);
	for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
	return base + "/klaviyo-reports/" + kind + "?" + q.toString();
}
function tableState(kind) {
	if (!S.tables[kind]) {
		const def = { campaigns: "revenue", flows: "revenue", segments: "end_members", forms: "submits" }[kind];
		S.tables[kind] = { sort: def, order: "desc", limit: PAGE };
	}
	return S.tables[kind];
}
function tableUrl(kind) {
	const t = tableState(kind);
	return reportUrl(kind, { sort: t.sort, order: t.order, limit: t.limit });
}

// ------------------------------------------------------------ states --

function show(id, on) {
	$(id).hidden = !on;
}
function busy(on) {
	$("main").toggleAttribute("aria-busy", on);
	$("blocks").setAttribute("aria-busy", on ? "true" : "false");
}

// A failed request in words, with the way on.
function failText(r) {
	if (r.status === 400 && r.error) return "The request was not accepted: " + sentence(r.error) + " Pick another date range and try again.";
	if (r.code === "unknown_account") return "That Klaviyo account is no longer connected to this store; someone may have just removed it.";
	if (r.status === 404 && r.code === "not_found") return "This store does not exist or you do not have access to it.";
	if (r.status === 404) return "The reports are not available on this server yet.";
	const d = describeError(r, "load");
	return d.text.replace(/ ?Nothing was changed\./, "");
}
function showError(r) {
	$("error-text").textContent = failText(r);
	show("error", true);
	for (const id of ["blocks", "segments-card", "forms-card", "state-empty", "state-syncing"]) show(id, false);
}

// --------------------------------------------------- combining money --

const SUM_KEYS = ["orders", "revenue", "campaign_revenue", "campaign_conversions", "flow_revenue", "flow_conversions",
	"recipients", "delivered", "opens", "clicks"];

// Summary figures of accounts of one currency, added; rates again from
// the sums (never an average of rates).
function sumSummary(list) {
	const out = {};
	for (const k of SUM_KEYS) out[k] = list.reduce((s, x) => s + num(x && x[k]), 0);
	if (list.length === 1) {
		out.open_rate = list[0] ? list[0].open_rate : null;
		out.click_rate = list[0] ? list[0].click_rate : null;
	} else {
		const den = out.delivered || 0;
		out.open_rate = den ? out.opens / den : null;
		out.click_rate = den ? out.clicks / den : null;
	}
	return out;
}
function sumSeries(lists) {
	const by = new Map();
	for (const pts of lists) {
		for (const p of pts || []) {
			const o = by.get(p.period) || { period: p.period, orders: 0, revenue: 0, campaign_revenue: 0, flow_revenue: 0 };
			for (const k of ["orders", "revenue", "campaign_revenue", "flow_revenue"]) o[k] += num(p[k]);
			by.set(p.period, o);
		}
	}
	return [...by.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}
// Rows of several accounts in the API's order: key, ties by id, null rates last.
function mergeRows(rows, sort, order) {
	const dir = order === "asc" ? 1 : -1;
	const text = sort === "name" || sort === "send_time";
	return rows.slice().sort((a, b) => {
		const x = a[sort], y = b[sort];
		const xn = x === null || x === undefined, yn = y === null || y === undefined;
		if (xn !== yn) return xn ? 1 : -1;
		let c = 0;
		if (!xn) c = text ? String(x).localeCompare(String(y)) : num(x) - num(y);
		if (c !== 0) return c * dir;
		return String(a.id).localeCompare(String(b.id));
	});
}

// The answer's accounts, keyed by id.
function answerAccounts(body) {
	const m = new Map();
	for (const a of (body && Array.isArray(body.accounts) ? body.accounts : [])) m.set(a.id, a);
	return m;
}

// Currency groups of the accounts in view: [{currency, ids}].
function groups(summaryBody) {
	const acc = Array.isArray(summaryBody.accounts) ? summaryBody.accounts : [];
	const out = [];
	for (const a of acc) {
		const cur = a.currency || acctCurrency(accountById(a.id));
		let g = out.find((x) => x.currency === cur);
		if (!g) out.push(g = { currency: cur, ids: [] });
		g.ids.push(a.id);
	}
	return out;
}

// -------------------------------------------------------- rendering --

const KPIS = [
	{ key: "revenue", label: "Revenue", kind: "money", note: () => "all orders" },
	{ key: "orders", label: "Orders", kind: "count" },
	{ key: "campaign_revenue", label: "Campaign revenue", kind: "money", note: (c) => count(c.campaign_conversions) + " conversions" },
	{ key: "flow_revenue", label: "Flow revenue", kind: "money", note: (c) => count(c.flow_conversions) + " conversions" },
	{ key: "conversions", label: "Conversions", kind: "count", note: () => "campaigns and flows" },
	{ key: "open_rate", label: "Open rate", kind: "rate", note: (c) => "of " + count(c.delivered) + " delivered" },
	{ key: "click_rate", label: "Click rate", kind: "rate" },
];

function kpiValue(o, k) {
	if (k === "conversions") return num(o.campaign_conversions) + num(o.flow_conversions);
	return o[k];
}
function fmtKind(v, kind, cur) {
	if (kind === "money") return money(v, cur);
	if (kind === "rate") return rate(v);
	return count(v);
}

// "▲ Up 12.5% from $1,000.00": the arrow, the words and the number, so
// colour is never the only sign.
function changeNode(cur, prev, kind, currency) {
	const was = fmtKind(prev, kind, currency);
	if (kind === "rate") {
		if (!isNum(cur) || !isNum(prev)) return el("p", { class: "kpi-change flat", text: isNum(prev) ? "Was " + was : "Nothing to compare with" });
		const d = (num(cur) - num(prev)) * 100;
		if (Math.abs(d) < 0.05) return el("p", { class: "kpi-change flat" }, el("span", { "aria-hidden": "true", text: "= " }), "No change from " + was);
		const up = d > 0;
		return el("p", { class: "kpi-change " + (up ? "up" : "down") }, el("span", { "aria-hidden": "true", text: up ? "\u25b2 " : "\u25bc " }),
			(up ? "Up " : "Down ") + ptsFmt.format(Math.abs(d)) + " points from " + was);
	}
	const c = num(cur), p = num(prev);
	if (c === p) return el("p", { class: "kpi-change flat" }, el("span", { "aria-hidden": "true", text: "= " }), "No change from " + was);
	const up = c > p;
	const pct = p === 0 ? "" : " " + pctFmt.format(Math.abs(c - p) / Math.abs(p));
	return el("p", { class: "kpi-change " + (up ? "up" : "down") }, el("span", { "aria-hidden": "true", text: up ? "\u25b2 " : "\u25bc " }),
		(up ? "Up" : "Down") + pct + " from " + was);
}

function kpiList(cur, prev, currency, ordersSynced, bid) {
	const prevLabel = "Compared with " + showDay(S.data.summary.previous_from) + " \u2013 " + showDay(S.data.summary.previous_to);
	return el("ul", { class: "kpis", "aria-label": "Headline numbers. " + prevLabel },
		...KPIS.map((k) => {
			const noOrders = !ordersSynced && (k.key === "revenue" || k.key === "orders");
			const v = kpiValue(cur, k.key);
			return el("li", { class: "kpi", id: bid + "-kpi-" + k.key, "data-kpi": k.key },
				el("p", { class: "kpi-label", text: k.label }),
				el("p", { class: "kpi-value", text: noOrders ? "Not synced" : fmtKind(v, k.kind, currency) }),
				noOrders ? el("p", { class: "kpi-note", text: "Orders are synced only with Shopify\u2019s Placed Order as the conversion metric." })
					: changeNode(v, kpiValue(prev, k.key), k.kind, currency),
				!noOrders && k.note ? el("p", { class: "kpi-note", text: k.note(cur) }) : null);
		}));
}

function csvLink(kind, label, accountId) {
	const t = tableState(kind);
	const extra = { format: "csv" };
	if (kind !== "series") {
		extra.sort = t.sort;
		extra.order = t.order;
	} else {
		extra.interval = intervalNow();
	}
	let href = reportUrl(kind, extra);
	if (accountId && !S.account) {
		const u = new URL(href, location.origin);
		u.searchParams.set("account", accountId);
		href = u.pathname + u.search;
	}
	return el("a", { class: "btn btn-sm csv", href, download: "", text: label });
}

// The revenue and orders chart of one currency, with its table.
function chartCard(points, currency, bid, accountId) {
	const iv = intervalNow();
	const labels = points.map((p) => periodLabel(p.period, iv, false));
	const r = S.data.summary;
	const span = showDay(r.from) + " to " + showDay(r.to);
	const tot = (k) => points.reduce((s, p) => s + num(p[k]), 0);
	const series = [
		{ key: "revenue", name: "All orders", cls: "s-total" },
		{ key: "campaign_revenue", name: "Campaigns", cls: "s-campaign" },
		{ key: "flow_revenue", name: "Flows", cls: "s-flow" },
	];
	const desc = "Revenue " + span + " by " + iv + ": all orders " + money(tot("revenue"), currency) + ", attributed to campaigns " +
		money(tot("campaign_revenue"), currency) + ", to flows " + money(tot("flow_revenue"), currency) + ". The table below has every " + iv + ".";
	const rev = lineChart({
		id: bid + "-rev", labels, title: "Revenue by " + iv, desc,
		series: series.map((s) => ({ ...s, values: points.map((p) => num(p[s.key])) })),
		fmt: (v) => moneyShort(v, currency),
	});
	const orders = barChart({
		id: bid + "-ord", labels, title: "Orders by " + iv,
		desc: "Orders " + span + ": " + count(tot("orders")) + " in all. The table below has every " + iv + ".",
		values: points.map((p) => num(p.orders)), fmt: count,
	});
	const legend = el("ul", { class: "legend", "aria-label": "Lines" },
		...series.map((s) => el("li", { class: s.cls }, el("span", { class: "swatch", "aria-hidden": "true" }), s.name + " revenue")),
		el("li", { class: "s-orders" }, el("span", { class: "swatch bar", "aria-hidden": "true" }), "Orders (bars, below)"));
	const table = el("table", { class: "data", id: bid + "-series-table" },
		el("caption", { class: "visually-hidden", text: "Revenue and orders by " + iv + " in " + currency }),
		el("thead", {}, el("tr", {},
			el("th", { scope: "col", text: iv === "day" ? "Day" : iv === "week" ? "Week" : "Month" }),
			el("th", { scope: "col", class: "num", text: "Orders" }),
			el("th", { scope: "col", class: "num", text: "Revenue" }),
			el("th", { scope: "col", class: "num", text: "Campaign revenue" }),
			el("th", { scope: "col", class: "num", text: "Flow revenue" }))),
		el("tbody", {}, ...points.map((p) => el("tr", {},
			el("th", { scope: "row", text: periodLabel(p.period, iv, true) }),
			el("td", { class: "num", text: count(p.orders) }),
			el("td", { class: "num", text: money(p.revenue, currency) }),
			el("td", { class: "num", text: money(p.campaign_revenue, currency) }),
			el("td", { class: "num", text: money(p.flow_revenue, currency) })))));
	const ivSel = el("select", { id: bid + "-interval", class: "interval" },
		...[["day", "By day"], ["week", "By week"], ["month", "By month"]].map(([v, t]) => el("option", { value: v, text: t, selected: v === iv })));
	ivSel.addEventListener("change", () => {
		S.interval = ivSel.value;
		load({ focus: ivSel.id });
	});
	return el("section", { class: "card chart-card", "aria-labelledby": bid + "-chart-h" },
		el("div", { class: "card-head" },
			el("h3", { id: bid + "-chart-h", text: "Revenue and orders" }),
			el("div", { class: "tools" },
				el("label", { for: ivSel.id, class: "visually-hidden", text: "Group the chart" }), ivSel,
				csvLink("series", "Download as CSV", accountId))),
		legend,
		el("div", { class: "chart", "data-chart": "revenue" }, rev),
		el("div", { class: "chart chart-orders", "data-chart": "orders" }, orders),
		el("details", { class: "alt", id: bid + "-series-alt" },
			el("summary", { text: "Show as table" }),
			el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Revenue and orders by " + iv }, table)));
}

// ----------------------------------------------------------- tables --

const COLS = {
	campaigns: [
		{ key: "name", label: "Campaign", text: true },
		{ key: "send_time", label: "Sent", text: true },
		{ key: "recipients", label: "Recipients", num: true },
		{ key: "open_rate", label: "Open rate", num: true },
		{ key: "click_rate", label: "Click rate", num: true },
		{ key: "conversions", label: "Conversions", num: true },
		{ key: "revenue", label: "Revenue", num: true },
	],
	flows: [
		{ key: "name", label: "Flow", text: true },
		{ key: "status", label: "Status", nosort: true },
		{ key: "recipients", label: "Recipients", num: true },
		{ key: "open_rate", label: "Open rate", num: true },
		{ key: "click_rate", label: "Click rate", num: true },
		{ key: "conversions", label: "Conversions", num: true },
		{ key: "revenue", label: "Revenue", num: true },
	],
};

function cell(kind, c, row, currency) {
	const v = row[c.key];
	switch (c.key) {
	case "name":
		return el("th", { scope: "row", class: "name" }, el("span", { text: v || "(no name)" }), row.channel ? " " : null,
			row.channel ? el("span", { class: "tag", text: { email: "Email", sms: "SMS", mobile_push: "Push" }[row.channel] || row.channel }) : null,
			row._account ? el("span", { class: "row-acct", text: row._account }) : null);
	case "send_time": {
		const d = v ? new Date(v) : null;
		return el("td", { class: "nowrap" }, d && !isNaN(d) ? el("time", { datetime: d.toISOString(), text: sendFmt.format(d) }) : "\u2013");
	}
	case "status":
		return el("td", { text: v ? sentence(v).replace(/\.$/, "") : "\u2013" });
	case "open_rate": case "click_rate":
		return el("td", { class: "num", text: rate(v) });
	case "revenue":
		return el("td", { class: "num", text: money(v, currency) });
	default:
		return el("td", { class: "num", text: count(v) });
	}
}

// A sortable table of one currency: the API sorts and pages each
// account; several accounts are merged here in the same order.
function rowsTable(kind, answers, ids, currency, bid) {
	const t = tableState(kind);
	const cols = COLS[kind];
	const several = ids.length > 1;
	let rows = [], total = 0;
	for (const id of ids) {
		const a = answers.get(id);
		if (!a) continue;
		total += num(a.total);
		const name = several ? (a.name || acctName(accountById(id))) : "";
		rows = rows.concat((a.rows || []).map((r) => ({ ...r, _account: name })));
	}
	if (several) rows = mergeRows(rows, t.sort, t.order).slice(0, t.limit);
	const title = kind === "campaigns" ? "Top campaigns" : "Top flows";
	const hid = bid + "-" + kind + "-h";
	const thead = el("tr", {}, ...cols.map((c) => {
		const th = el("th", { scope: "col", class: c.num ? "num" : "" });
		if (c.nosort) {
			th.textContent = c.label;
			return th;
		}
		const on = t.sort === c.key;
		if (on) th.setAttribute("aria-sort", t.order === "asc" ? "ascending" : "descending");
		const b = el("button", { type: "button", class: "sort", id: bid + "-" + kind + "-sort-" + c.key, "data-sort": c.key },
			el("span", { text: c.label }),
			el("span", { class: "sort-mark", "aria-hidden": "true", text: on ? (t.order === "asc" ? "\u25b2" : "\u25bc") : "\u2195" }));
		b.addEventListener("click", () => {
			if (t.sort === c.key) t.order = t.order === "asc" ? "desc" : "asc";
			else {
				t.sort = c.key;
				t.order = c.text ? "asc" : "desc";
			}
			t.limit = PAGE;
			load({ focus: b.id, only: kind });
		});
		th.append(b);
		return th;
	}));
	const body = el("tbody", {}, ...rows.map((r) => el("tr", {}, ...cols.map((c) => cell(kind, c, r, currency)))));
	const shown = rows.length;
	const more = el("button", { type: "button", class: "btn btn-sm", id: bid + "-" + kind + "-more", text: "Show " + PAGE + " more" });
	more.hidden = shown >= total || t.limit >= MAX_LIMIT;
	more.addEventListener("click", () => {
		t.limit = Math.min(MAX_LIMIT, t.limit + PAGE);
		// At the end the button goes: the keyboard then lands on the count.
		load({ focus: more.id, fallback: bid + "-" + kind + "-count", only: kind });
	});
	const accountId = ids.length === 1 ? ids[0] : "";
	return el("section", { class: "card", "aria-labelledby": hid, "data-table": kind },
		el("div", { class: "card-head" },
			el("h3", { id: hid, text: title }),
			csvLink(kind, "Download " + kind + " as CSV", accountId)),
		el("p", { class: "muted small count", id: bid + "-" + kind + "-count", role: "status", tabindex: "-1",
			text: total === 0 ? (kind === "campaigns" ? "No campaign was sent in this range." : "No flow sent anything in this range.")
				: "Showing " + count(shown) + " of " + count(total) + ". Select a column heading to sort." }),
		total === 0 ? null : el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": hid },
			el("table", { class: "data sortable", id: bid + "-" + kind + "-table" },
				el("caption", { class: "visually-hidden", text: title + " in " + currency + ", sorted by " + cols.find((c) => c.key === t.sort).label.toLowerCase() + (t.order === "asc" ? ", ascending" : ", descending") }),
				el("thead", {}, thead), body)),
		el("div", { class: "actions" }, more));
}

// One currency: headline numbers, the chart, campaigns and flows.
function block(g, i, multi) {
	const bid = "b" + i;
	const sums = (kind, k) => g.ids.map((id) => (S.data.acc[kind].get(id) || {})[k]);
	const cur = sumSummary(sums("summary", "current"));
	const prev = sumSummary(sums("summary", "previous"));
	const points = sumSeries(sums("series", "points"));
	const names = g.ids.map((id) => {
		const a = S.data.acc.summary.get(id);
		return (a && a.name) || acctName(accountById(id));
	});
	// Orders come only with Shopify's Placed Order as the metric.
	const ordersSynced = g.ids.some((id) => {
		const m = integ(accountById(id)).conversion_metric;
		return !m || m.isShopifyPlacedOrder !== false;
	});
	const h = multi ? "In " + g.currency + ": " + names.join(", ") : "Revenue and orders in " + g.currency;
	const accountId = g.ids.length === 1 ? g.ids[0] : "";
	return el("section", { class: "block", id: bid, "data-currency": g.currency, "aria-labelledby": bid + "-h" },
		el("h2", { id: bid + "-h", class: multi ? "block-h" : "visually-hidden", text: h }),
		multi ? el("p", { class: "muted small", text: "Amounts of accounts in other currencies are shown apart, never added." }) : null,
		kpiList(cur, prev, g.currency, ordersSynced, bid),
		chartCard(points, g.currency, bid, accountId),
		rowsTable("campaigns", S.data.acc.campaigns, g.ids, g.currency, bid),
		rowsTable("flows", S.data.acc.flows, g.ids, g.currency, bid));
}

function segmentsSection() {
	const acc = [...S.data.acc.segments.values()];
	const several = acc.length > 1;
	let rows = [], total = 0;
	for (const a of acc) {
		total += num(a.total);
		rows = rows.concat((a.rows || []).map((r) => ({ ...r, _account: several ? a.name : "" })));
	}
	const tb = $("segments-table").tBodies[0];
	tb.replaceChildren(...rows.map((r, i) => {
		const pts = Array.isArray(r.points) ? r.points : [];
		const ch = r.change;
		const label = pts.length
			? "Members of " + (r.name || "the segment") + " from " + count(pts[0].members) + " on " + showDay(pts[0].day) + " to " + count(pts[pts.length - 1].members) + " on " + showDay(pts[pts.length - 1].day)
			: "No daily data";
		return el("tr", {},
			el("th", { scope: "row", class: "name" }, el("span", { text: r.name || "(no name)" }), r._account ? el("span", { class: "row-acct", text: r._account }) : null),
			el("td", { class: "num", text: isNum(r.start_members) ? count(r.start_members) : "\u2013" }),
			el("td", { class: "num", text: isNum(r.end_members) ? count(r.end_members) : "\u2013" }),
			el("td", { class: "num " + (num(ch) > 0 ? "up" : num(ch) < 0 ? "down" : "") },
				isNum(ch) ? (num(ch) > 0 ? "\u25b2 +" : num(ch) < 0 ? "\u25bc \u2212" : "") + count(Math.abs(num(ch))) : "\u2013"),
			el("td", { class: "spark-cell" }, pts.length > 1 ? sparkline({ id: "spark-" + i, values: pts.map((p) => num(p.members)), label }) : el("span", { class: "muted small", text: pts.length ? "One day" : "No data" })));
	}));
	show("segments-empty", total === 0);
	$("segments-table").closest(".table-wrap").hidden = total === 0;
	$("segments-days").hidden = total === 0;
	$("segments-csv").href = reportUrl("segments", { format: "csv", sort: "end_members", order: "desc" });
	S.segmentRows = rows;
	if ($("segments-days").open) segmentDays();
	else $("segments-days-table").tHead.replaceChildren();
	show("segments-card", true);
}

// The sparklines' numbers: one row per day, one column per segment
// (built when opened: a year of days is long).
function segmentDays() {
	const rows = S.segmentRows || [];
	const days = [...new Set(rows.flatMap((r) => (r.points || []).map((p) => p.day)))].sort();
	const t = $("segments-days-table");
	t.tHead.replaceChildren(el("tr", {}, el("th", { scope: "col", text: "Day" }),
		...rows.map((r) => el("th", { scope: "col", class: "num", text: (r.name || "(no name)") + (r._account ? " (" + r._account + ")" : "") }))));
	const maps = rows.map((r) => new Map((r.points || []).map((p) => [p.day, p.members])));
	t.tBodies[0].replaceChildren(...days.map((d) => el("tr", {}, el("th", { scope: "row", text: showDay(d) }),
		...maps.map((m) => el("td", { class: "num", text: m.has(d) ? count(m.get(d)) : "\u2013" })))));
}
$("segments-days").addEventListener("toggle", () => {
	if ($("segments-days").open) segmentDays();
});

function formsSection() {
	const acc = [...S.data.acc.forms.values()];
	const several = acc.length > 1;
	let rows = [], total = 0;
	for (const a of acc) {
		total += num(a.total);
		rows = rows.concat((a.rows || []).map((r) => ({ ...r, _account: several ? a.name : "" })));
	}
	const top = Math.max(0, ...rows.map((r) => num(r.submit_rate)));
	$("forms-table").tBodies[0].replaceChildren(...rows.map((r) => el("tr", {},
		el("th", { scope: "row", class: "name" }, el("span", { text: r.name || "(no name)" }), r._account ? el("span", { class: "row-acct", text: r._account }) : null),
		el("td", { text: r.status ? sentence(r.status).replace(/\.$/, "") : "\u2013" }),
		el("td", { class: "num", text: count(r.views) }),
		el("td", { class: "num", text: count(r.submits) }),
		el("td", { class: "num", text: rate(r.submit_rate) }),
		el("td", { class: "bar-cell" }, rateBar({ value: num(r.submit_rate), max: top })))));
	show("forms-empty", total === 0);
	$("forms-table").closest(".table-wrap").hidden = total === 0;
	$("forms-csv").href = reportUrl("forms", { format: "csv", sort: "submits", order: "desc" });
	show("forms-card", true);
}

// "Flows updated 2 hours ago" per type (and account, with several).
function freshnessList() {
	const list = $("freshness");
	const acc = [...S.data.acc.summary.values()];
	list.replaceChildren(...acc.map((a) => {
		const ka = accountById(a.id);
		const parts = TYPES.map(([t, label]) => {
			const iso = a.freshness ? a.freshness[t] : null;
			const d = iso ? new Date(iso) : null;
			if (d && !isNaN(d)) {
				return el("span", { class: "fresh", "data-type": t }, label + " updated ",
					el("time", { datetime: d.toISOString(), title: sendFmt.format(d), text: relative(d) }));
			}
			return el("span", { class: "fresh fresh-none", "data-type": t, text: label + (syncing(ka, t) ? ": first sync running" : ": not synced yet") });
		});
		// A disconnected account keeps no data: said, not shown as stale.
		const gone = a.status && a.status !== "connected" ? (a.status === "error" ? ", in error" : ", disconnected") : "";
		return el("li", {}, acc.length > 1 || gone ? el("strong", { text: (a.name || acctName(ka)) + " (" + (a.currency || acctCurrency(ka)) + gone + "): " }) : null, ...parts);
	}));
}

function periodLine() {
	const r = S.data.summary;
	$("period-line").textContent = showDay(r.from) + " \u2013 " + showDay(r.to) + ", compared with " + showDay(r.previous_from) + " \u2013 " + showDay(r.previous_to) + ".";
}

function isEmpty() {
	const zero = (o) => !o || SUM_KEYS.every((k) => num(o[k]) === 0);
	for (const a of S.data.acc.summary.values()) if (!zero(a.current)) return false;
	for (const kind of ["campaigns", "flows", "segments", "forms"]) {
		for (const a of S.data.acc[kind].values()) {
			if (kind === "flows" || kind === "forms") {
				if ((a.rows || []).some((r) => num(r.recipients) || num(r.views) || num(r.submits))) return false;
			} else if (kind === "segments") {
				if ((a.rows || []).some((r) => isNum(r.end_members))) return false;
			} else if (num(a.total) > 0) return false;
		}
	}
	return true;
}

function nothingSynced() {
	return [...S.data.acc.summary.values()].every((a) => !a.freshness || TYPES.every(([t]) => !a.freshness[t]));
}

function render() {
	const sum = S.data.summary;
	periodLine();
	freshnessList();
	show("error", false);
	// Nothing synced yet: what will appear, and where the sync is.
	if (nothingSynced()) {
		const running = inView().some((a) => syncing(a));
		$("syncing-h").textContent = running ? "The first sync is running" : "Nothing has been synced yet";
		$("syncing-text").textContent = running
			? "Klaviyo\u2019s reports are being read for the first time. When the sync finishes, this page shows revenue and orders over time, the top campaigns and flows with what they earned, segment growth and sign-up form conversion."
			: "No report has been synced from Klaviyo for " + (S.account ? acctName(accountById(S.account)) : "this store") + " yet. Once a sync has run, this page shows revenue and orders over time, the top campaigns and flows, segment growth and sign-up form conversion. Start a sync or check its errors on the connection page.";
		$("syncing-link").textContent = running ? "Follow the sync\u2019s progress on the connection page" : "Open the connection page";
		show("syncing-note", running);
		show("state-syncing", true);
		for (const id of ["blocks", "segments-card", "forms-card", "state-empty"]) show(id, false);
		schedulePoll(running);
		return;
	}
	schedulePoll(false);
	show("state-syncing", false);
	if (isEmpty()) {
		$("empty-text").textContent = "No orders, campaign sends, flow messages, segment or form data between " + showDay(sum.from) + " and " + showDay(sum.to) + ". Pick a longer range" + (S.account ? " or another account." : ".");
		show("empty-wider", S.range !== "12m");
		show("state-empty", true);
		for (const id of ["blocks", "segments-card", "forms-card"]) show(id, false);
		return;
	}
	show("state-empty", false);
	const gs = groups(sum);
	$("blocks").replaceChildren(...gs.map((g, i) => block(g, i, gs.length > 1)));
	show("blocks", true);
	segmentsSection();
	formsSection();
}

// ------------------------------------------------------------ loading --

const KINDS = ["summary", "series", "campaigns", "flows", "segments", "forms"];

function kindUrl(kind) {
	if (kind === "series") return reportUrl("series", { interval: intervalNow() });
	if (kind === "summary") return reportUrl("summary");
	return tableUrl(kind);
}

// Reads every report (or, for a table's sort or page, that one) and
// draws the page. opts.focus: the id to give the keyboard back to after
// the redraw (opts.fallback when that one is gone).
async function load(opts = {}) {
	const seq = ++S.seq;
	clearTimeout(S.poll);
	busy(true);
	const kinds = opts.only && S.data ? [opts.only] : KINDS;
	const [acc, ...answers] = await Promise.all([
		opts.only ? Promise.resolve(null) : api("GET", base + "/klaviyo-accounts"),
		...kinds.map((k) => api("GET", kindUrl(k))),
	]);
	if (seq !== S.seq) return;
	busy(false);
	if ((acc && acc.status === 401) || answers.some((r) => r.status === 401)) {
		location.assign(loginUrl());
		return;
	}
	if (acc && acc.ok) S.accounts = Array.isArray(acc.body.accounts) ? acc.body.accounts : S.accounts;
	const bad = answers.find((r) => !r.ok);
	if (bad) {
		if (bad.code === "unknown_account" && S.account) {
			// Removed meanwhile: say so and show every account.
			warn("Account not found", "That Klaviyo account is no longer connected to this store; the page shows every account instead.");
			S.account = "";
			writeAddress(false);
			renderAccountPicker();
			load();
			return;
		}
		showError(bad);
		if (opts.focus !== undefined) $("error").focus();
		return;
	}
	if (!S.data || !opts.only) S.data = { acc: {} };
	kinds.forEach((k, i) => {
		S.data[k] = answers[i].body;
		S.data.acc[k] = answerAccounts(answers[i].body);
	});
	if (!opts.only) renderAccountPicker();
	render();
	const f = opts.focus && $(opts.focus);
	if (f && !f.hidden) f.focus();
	else if (opts.fallback && $(opts.fallback)) $(opts.fallback).focus();
}

function schedulePoll(on) {
	clearTimeout(S.poll);
	if (on) S.poll = setTimeout(() => {
		if (document.visibilityState === "visible") load();
		else schedulePoll(true);
	}, POLL_MS);
}

function warn(title, text) {
	const b = $("banner");
	b.className = "notice notice-warn page-notice";
	b.replaceChildren(el("strong", { text: title }), el("span", { text }));
	b.hidden = false;
}

// ---------------------------------------------------------- controls --

function renderAccountPicker() {
	const sel = $("account-select");
	const curs = new Set(S.accounts.map(acctCurrency));
	sel.replaceChildren(el("option", { value: "", text: curs.size > 1 ? "All accounts (each currency apart)" : "All accounts (combined)" }),
		...S.accounts.map((a) => el("option", { value: a.id, text: acctName(a) + " (" + acctCurrency(a) + ")" + (a.primary ? " \u00b7 primary" : "") })));
	sel.value = S.account;
	show("account-box", S.accounts.length > 1);
	$("settings-link").href = storePath + "/klaviyo-settings" + (S.account ? "?account=" + encodeURIComponent(S.account) : "");
}

function renderRange() {
	for (const r of document.querySelectorAll('input[name="range"]')) r.checked = r.value === S.range;
	show("custom-form", S.range === "custom");
	if (S.range === "custom") {
		$("from-date").value = S.from;
		$("to-date").value = S.to;
	}
}

for (const r of document.querySelectorAll('input[name="range"]')) {
	r.addEventListener("change", () => {
		if (!r.checked) return;
		if (r.value === "custom") {
			// Starts from what is shown; nothing loads until Show.
			const cur = currentRange();
			S.from = S.from || cur.from;
			S.to = S.to || cur.to;
			S.range = "custom";
			renderRange();
			return;
		}
		S.range = r.value;
		S.interval = "";
		renderRange();
		resetPaging();
		writeAddress(true);
		load();
	});
}

$("custom-form").addEventListener("submit", (ev) => {
	ev.preventDefault();
	const from = $("from-date").value, to = $("to-date").value;
	const why = checkCustom(from, to);
	for (const id of ["from-date", "to-date"]) $(id).setAttribute("aria-invalid", why ? "true" : "false");
	$("custom-error").textContent = why;
	if (why) {
		$(!from || !parseDay(from) ? "from-date" : "to-date").focus();
		return;
	}
	S.range = "custom";
	S.from = from;
	S.to = to;
	S.interval = "";
	resetPaging();
	writeAddress(true);
	load();
});

$("account-select").addEventListener("change", (ev) => {
	S.account = ev.target.value;
	$("banner").hidden = true;
	resetPaging();
	writeAddress(true);
	renderAccountPicker();
	load();
});

$("retry").addEventListener("click", () => load({ focus: "retry" }));
$("empty-wider").addEventListener("click", () => {
	S.range = "12m";
	S.interval = "";
	renderRange();
	writeAddress(true);
	load({ focus: "range-seg" });
});

window.addEventListener("popstate", () => {
	readAddress();
	if (S.account && !accountById(S.account)) S.account = "";
	renderRange();
	renderAccountPicker();
	resetPaging();
	load();
});

function resetPaging() {
	for (const t of Object.values(S.tables)) t.limit = PAGE;
}

// Charts follow the width (their text keeps its size): redrawn from the
// last answers when the window changes width.
let lastWidth = 0, resizeTimer = null;
window.addEventListener("resize", () => {
	clearTimeout(resizeTimer);
	resizeTimer = setTimeout(() => {
		if (!S.data || !S.data.summary || window.innerWidth === lastWidth || $("blocks").hidden) return;
		lastWidth = window.innerWidth;
		const gs = groups(S.data.summary);
		$("blocks").replaceChildren(...gs.map((g, i) => block(g, i, gs.length > 1)));
	}, 200);
});

// ------------------------------------------------------------- start --

async function init() {
	initTopbar(null);
	lastWidth = window.innerWidth;
	const connectPage = storePath + "/klaviyo-connect";
	for (const id of ["connect-link", "none-link", "syncing-link", "crumb-store"]) $(id).href = connectPage;
	$("settings-link").href = storePath + "/klaviyo-settings";
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(storeId)) {
		const b = $("banner");
		b.replaceChildren(el("strong", { text: "Page not found" }), el("span", { text: "This address does not point to a store." }), el("a", { href: "/", text: "Back to your stores" }));
		b.hidden = false;
		return;
	}
	readAddress();
	busy(true);
	const [me, accts] = await Promise.all([api("GET", "/api/me"), api("GET", base + "/klaviyo-accounts")]);
	busy(false);
	if (me.status === 401 || accts.status === 401) {
		location.assign(loginUrl());
		return;
	}
	if (me.ok) {
		initTopbar(me.body);
		S.store = (me.body.stores || []).find((s) => s.public_id === storeId) || null;
	}
	$("crumb-store").textContent = storeName();
	document.title = "Klaviyo dashboard \u00b7 " + storeName() + " \u00b7 klaviyo-connect";
	$("page-title").textContent = "Klaviyo dashboard: " + storeName();
	if (!accts.ok) {
		const b = $("banner");
		if (accts.status === 404) {
			$("page-title").textContent = "Store not found";
			b.replaceChildren(el("strong", { text: "Store not found" }), el("span", { text: "This store does not exist or you do not have access to it. If you think you should, ask an owner of the store to give you access." }), el("a", { href: "/", text: "Back to your stores" }));
		} else {
			b.replaceChildren(el("strong", { text: "The dashboard could not be loaded" }), el("span", { text: failText(accts) }));
			const again = el("button", { type: "button", class: "btn btn-sm", text: "Try again" });
			again.addEventListener("click", () => location.reload());
			b.append(el("div", {}, again));
		}
		b.hidden = false;
		return;
	}
	S.accounts = Array.isArray(accts.body.accounts) ? accts.body.accounts : [];
	if (S.accounts.length === 0) {
		show("state-none", true);
		return;
	}
	if (S.account && !accountById(S.account)) {
		warn("Account not found", "The account in the address is not connected to this store; the page shows every account instead.");
		S.account = "";
		writeAddress(false);
	}
	if (S.range === "custom") {
		const why = checkCustom(S.from, S.to);
		if (why) {
			warn("Date range not valid", "The dates in the address do not make a range (" + why.replace(/\.$/, "").toLowerCase() + "); the page shows the last 30 days instead.");
			S.range = "30d";
			S.from = S.to = "";
			writeAddress(false);
		}
	}
	$("store-line").textContent = "What Klaviyo campaigns and flows earned for " + storeName() + ", its orders, segments and sign-up forms.";
	renderRange();
	renderAccountPicker();
	show("layout", true);
	await load();
}

init();
