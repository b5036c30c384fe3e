// Browser tests of the Klaviyo dashboard (www/dashboard.html,
// /store/{id}/klaviyo-dashboard) in Debian's headless Chromium, driven by
// playwright-core, against the stack of tests/integration/run.sh (see
// run.sh for the environment) and its real reports API (docs/REPORTS.md).
// The synced data is written with psql into the tables klaviyo-syncd
// fills (sql/003, sql/011), relative to today, so every number checked
// here is computed from those rows. Each state is also checked by
// axe-core (tests/browser/node_modules, MPL-2.0, injected by the test:
// the page never loads it) for serious and critical violations. After
// each test the runner checks that no request went to another origin and
// that the page raised no error or CSP violation.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { assertNoHorizontalScroll, lit, seeText, seeVisible, sh, textOf, until } from "./lib.mjs";
import { createRequire } from "node:module";

const env = process.env;
const BASE = env.KC_TEST_URL.replace(/\/+$/, "");
const ORIGIN = new URL(BASE).origin;
const DB = env.KC_TEST_DATABASE_URL;
const ADMIN = env.KC_TEST_ADMIN;
const OUT = env.KC_BROWSER_OUT || path.join(path.dirname(new URL(import.meta.url).pathname), "out");
const SHOTS = path.join(OUT, "screenshots");
const ONLY = env.KC_BROWSER_ONLY || "";
const CHROMIUM = env.KC_CHROMIUM || "/usr/bin/chromium";
const RUN = "d" + Date.now().toString(36);
const TEST_TIMEOUT_MS = 60000;
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// ------------------------------------------------------------ fixtures --

const admin = (args, input) => sh(ADMIN, args, input);
const sql = (q) => sh("psql", [DB, "-v", "ON_ERROR_STOP=1", "-Atqc", q]);

const PASSWORD = "Browser-test-" + RUN + "-pw";
const users = new Map();
function user(name) {
	if (users.has(name)) return users.get(name);
	const email = name + "." + RUN + "@browser.test";
	admin(["user", "add", email], PASSWORD + "\n");
	users.set(name, email);
	return email;
}
function store(name, grants) {
	const id = admin(["store", "add", "-", name + " " + RUN.slice(-4)]);
	for (const [who, role] of Object.entries(grants || {})) admin(["grant", user(who), id, role]);
	return id;
}
const storeName = (id) => sql("SELECT name FROM stores WHERE public_id = " + lit(id));
const tokens = new Map();
function token(email) {
	if (!tokens.has(email)) tokens.set(email, admin(["session", "issue", email, "--hours", "2"]));
	return tokens.get(email);
}

// A Klaviyo connection written directly (no credential: nothing syncs
// it); returns {id, pub} (internal id, kcn_…).
function account(storeId, { name, kid, currency, primary }) {
	const doc = {
		status: "connected", auth_method: "api_key", public_id: kid,
		account: { id: kid, name, timezone: "UTC", currency },
		api_key_hint: "pk_test\u2026", conversion_type: "value", conversion_metric_id: "M" + kid,
		conversion_metric: { id: "M" + kid, name: "Placed Order", integration: "Shopify", isShopifyPlacedOrder: true },
		connected_at: "2026-01-15T10:30:00Z", last_sync: null, is_updating_dashboard: false, last_error: null,
	};
	const row = sql("INSERT INTO klaviyo_connections (store_id, is_primary, klaviyo_integration) SELECT id, " + (primary ? "true" : "false") + ", " +
		lit(JSON.stringify(doc)) + "::jsonb FROM stores WHERE public_id = " + lit(storeId) + " RETURNING id || ' ' || public_id");
	const [id, pub] = row.split(" ");
	return { id, pub, kid, storeId };
}

// Each type synced this many hours ago (klaviyo_syncs.state, what the
// reports read as freshness).
function synced(a, hours) {
	const st = {};
	for (const [t, h] of Object.entries(hours)) st[t] = { last_sync: new Date(Date.now() - h * 3600e3).toISOString() };
	sql("INSERT INTO klaviyo_syncs (klaviyo_public_id, store_id, connection_id, state) SELECT " + lit(a.kid) + ", store_id, id, " +
		lit(JSON.stringify(st)) + "::jsonb FROM klaviyo_connections WHERE id = " + a.id);
}

// A sync job running for the connection (its first sync).
function running(a, type) {
	sql("INSERT INTO sync_jobs (store_id, connection_id, type, mode, state, lease_owner, lease_until, started_at)" +
		" SELECT store_id, id, " + lit(type) + ", 'full', 'running', 'browser-test', now() + interval '1 hour', now()" +
		" FROM klaviyo_connections WHERE id = " + a.id);
}

const stats = (o) => lit(JSON.stringify(o)) + "::jsonb";
// Today in UTC (the accounts' time zone, whatever the session's), and a
// day ago as the instant at noon UTC of that day.
const TODAY = "((now() AT TIME ZONE 'UTC')::date)";
const daysAgo = (n) => "(((" + TODAY + " - " + n + ") + time '12:00') AT TIME ZONE 'UTC')";

// The synced data of the main fixture, relative to today. Orders (days
// ago: value): 1, 2, 3: 100 each; 10, 20: 50; 35, 40, 45, 50: 25; 80:
// 1000. So 7 days: 3 orders, 300 (before: 1, 50); 30 days: 5, 400
// (before: 4, 100); 90 days: 10, 1,500. Twelve campaigns sent 1 to 12
// days ago, campaign i: revenue 10 i, recipients 1,300 - 100 i; three
// flows with a day of data each of the last 40 days; two segments that
// grow (and shrink) by a member a day; two forms.
function fill(a, scale = 1) {
	const orders = [[1, 100], [2, 100], [3, 100], [10, 50], [20, 50], [35, 25], [40, 25], [45, 25], [50, 25], [80, 1000]];
	sql("INSERT INTO orders (connection_id, event_id, order_id, value, currency, occurred_at) VALUES " +
		orders.map(([d, v], i) => "(" + a.id + ", 'ev" + i + "', 'o" + i + "', " + v * scale + ", 'X', " + daysAgo(d) + ")").join(", "));
	const camps = [], cstats = [];
	for (let i = 1; i <= 12; i++) {
		const cid = "C" + String(i).padStart(2, "0");
		camps.push("(" + a.id + ", " + lit(cid) + ", 'email', " + lit("Campaign " + cid) + ", 'Sent', " + daysAgo(i) + ")");
		const r = 1300 - 100 * i;
		cstats.push("(" + a.id + ", " + lit(cid) + ", 'email', " + stats({
			recipients: r, delivered: r, opens_unique: Math.round(r / 2), clicks_unique: Math.round(r / 10),
			conversions: i, conversion_value: 10 * i * scale,
		}) + ", 'M" + a.kid + "')");
	}
	sql("INSERT INTO campaigns (connection_id, id, channel, name, status, send_time) VALUES " + camps.join(", "));
	sql("INSERT INTO campaign_stats (connection_id, campaign_id, channel, statistics, conversion_metric_id) VALUES " + cstats.join(", "));
	sql("INSERT INTO flows (connection_id, id, name, status) VALUES (" + a.id + ", 'F1', 'Welcome series', 'live'), (" +
		a.id + ", 'F2', 'Abandoned cart', 'live'), (" + a.id + ", 'F3', 'Win-back', 'draft')");
	sql("INSERT INTO flow_series (connection_id, flow_id, day, timezone, statistics) SELECT " + a.id + ", f, " + TODAY + " - g, 'UTC'," +
		" jsonb_build_object('recipients', 10, 'delivered', 10, 'opens_unique', 5, 'clicks_unique', 1, 'conversions', 1," +
		" 'conversion_value', " + scale + " * CASE f WHEN 'F1' THEN 3 WHEN 'F2' THEN 2 ELSE 1 END)" +
		" FROM unnest(ARRAY['F1', 'F2', 'F3']) f, generate_series(0, 39) g");
	sql("INSERT INTO segments (connection_id, id, name) VALUES (" + a.id + ", 'S1', 'Engaged 90 days'), (" + a.id + ", 'S2', 'Lapsed')");
	sql("INSERT INTO segment_series (connection_id, segment_id, day, timezone, statistics) SELECT " + a.id + ", s, " + TODAY + " - g, 'UTC'," +
		" jsonb_build_object('total_members', CASE s WHEN 'S1' THEN 1000 - g ELSE 500 + g END)" +
		" FROM unnest(ARRAY['S1', 'S2']) s, generate_series(0, 39) g");
	sql("INSERT INTO forms (connection_id, id, name, status) VALUES (" + a.id + ", 'P1', 'Newsletter pop-up', 'live'), (" + a.id + ", 'P2', 'Footer form', 'live')");
	sql("INSERT INTO form_series (connection_id, form_id, day, timezone, statistics) SELECT " + a.id + ", p, " + TODAY + " - g, 'UTC'," +
		" jsonb_build_object('viewed_form', 100, 'viewed_form_uniques', 80, 'submits', CASE p WHEN 'P1' THEN 8 ELSE 2 END)" +
		" FROM unnest(ARRAY['P1', 'P2']) p, generate_series(0, 39) g");
}
const FRESH = { campaigns: 2, flows: 3, segments: 26, forms: 50, orders: 1 };

// ------------------------------------------------------------- helpers --

let browser;
let shotNo = 0;
const shots = [];

async function shot(page, name, { busy = false } = {}) {
	if (!busy) await waitIdle(page);
	const file = path.join(SHOTS, "dashboard-" + String(++shotNo).padStart(2, "0") + "-" + name + ".png");
	await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
	shots.push(path.relative(OUT, file));
}
const visible = (page, sel) => page.locator(sel).first().isVisible();
const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);
async function waitIdle(page) {
	await until(async () => (await page.locator("#main[aria-busy]").count()) === 0, "the requests to end", 20000);
}
// A headline number of the (first) block: "value | change | note".
async function kpi(page, key, block = "#b0") {
	return textOf(page, block + ' [data-kpi="' + key + '"]');
}
const kpiValue = (page, key, block = "#b0") => textOf(page, block + ' [data-kpi="' + key + '"] .kpi-value');
// Names in a table as shown.
const names = (page, sel) => page.$$eval(sel + " tbody th.name > span:first-child", (n) => n.map((x) => x.textContent));
const reportCalls = (t, kind) => t.requests.filter((r) => r.url.includes("/klaviyo-reports/" + kind + "?"));

// axe-core in the page (evaluated over CDP, which the page's CSP does not
// govern); serious and critical violations fail the test.
async function axe(page, what) {
	await waitIdle(page);
	await page.evaluate(AXE);
	const bad = await page.evaluate(async () => {
		// eslint-disable-next-line no-undef
		const r = await axe.run(document, { resultTypes: ["violations"] });
		return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
			.map((v) => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
	});
	assert.deepEqual(bad, [], "axe-core on " + what);
}

// WCAG contrast of two CSS colours "rgb(r, g, b)".
function contrast(a, b) {
	const lum = (c) => {
		const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
	};
	const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
	return (x + 0.05) / (y + 0.05);
}

async function open(t, { as, viewport, mobile } = {}) {
	const ctx = await browser.newContext({
		viewport: viewport || { width: 1280, height: 900 },
		locale: "en-US", timezoneId: "UTC", isMobile: !!mobile, hasTouch: !!mobile, acceptDownloads: true,
	});
	t.contexts.push(ctx);
	if (as) await ctx.addCookies([{ name: "kc_session", value: token(as), url: BASE }]);
	const page = await ctx.newPage();
	page.setDefaultTimeout(10000);
	page.on("request", (r) => t.requests.push({ url: r.url(), method: r.method() }));
	page.on("console", (m) => t.console.push(m.type() + ": " + m.text()));
	page.on("pageerror", (e) => t.errors.push(e.message));
	t.page = page;
	return page;
}
async function openDash(t, as, id, opts = {}) {
	const page = await open(t, { as, ...opts });
	await page.goto(BASE + "/store/" + id + "/klaviyo-dashboard" + (opts.query || ""), { waitUntil: "domcontentloaded" });
	await until(async () => (await page.locator("#layout:not([hidden]), #state-none:not([hidden]), #banner:not([hidden])").count()) > 0, "the page to load");
	await waitIdle(page);
	return page;
}

async function invariants(t) {
	for (const r of t.requests) {
		if (/^(data|blob|about):/.test(r.url)) continue;
		assert.equal(new URL(r.url).origin, ORIGIN, "request to another origin: " + r.url);
	}
	for (const line of t.console) {
		assert.ok(!/Content.Security.Policy|Refused to/i.test(line), "CSP violation: " + line);
	}
	assert.deepEqual(t.errors, [], "uncaught errors in the page");
}

// --------------------------------------------------------------- tests --

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test("dashboard: no Klaviyo account says so and links to the connect page; another store is not found", async (t) => {
	const owner = user("dnone");
	const id = store("Dash None", { dnone: "owner" });
	const other = store("Dash Other", {});
	const page = await openDash(t, owner, id);
	await seeVisible(page, "#state-none");
	await seeText(page, "#none-h", /^Klaviyo is not connected to this store$/);
	assert.equal(await page.getAttribute("#none-link", "href"), "/store/" + id + "/klaviyo-connect");
	assert.ok(!(await visible(page, "#layout")));
	const name = storeName(id);
	assert.equal(await page.title(), "Klaviyo dashboard \u00b7 " + name + " \u00b7 klaviyo-connect");
	await seeText(page, "#page-title", new RegExp(name));
	assert.equal(await page.getAttribute("#settings-link", "href"), "/store/" + id + "/klaviyo-settings");
	assert.equal(await page.getAttribute("#connect-link", "href"), "/store/" + id + "/klaviyo-connect");
	assert.equal(reportCalls(t, "summary").length, 0, "no report is asked for");
	await axe(page, "not connected");
	await shot(page, "not-connected");
	const p2 = await openDash(t, owner, other);
	await seeText(p2, "#banner", /^Store not found This store does not exist or you do not have access to it\./);
	// Signed out: to the sign-in page, coming back here.
	const p3 = await open(t);
	await p3.goto(BASE + "/store/" + id + "/klaviyo-dashboard?range=7d", { waitUntil: "domcontentloaded" });
	await p3.waitForURL(/\/login\?next=%2Fstore%2F[^&]+%2Fklaviyo-dashboard%3Frange%3D7d$/);
});

test("dashboard: first sync running says what will appear and links to its progress", async (t) => {
	const owner = user("dsync");
	const id = store("Dash Sync", { dsync: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "SyA" + RUN.slice(-3), currency: "USD", primary: true });
	running(a, "campaigns");
	const page = await openDash(t, owner, id);
	await seeVisible(page, "#state-syncing");
	await seeText(page, "#syncing-h", /^The first sync is running$/);
	await seeText(page, "#syncing-text", /revenue and orders over time, the top campaigns and flows/);
	assert.equal(await page.getAttribute("#syncing-link", "href"), "/store/" + id + "/klaviyo-connect");
	await seeText(page, "#freshness", /Campaigns: first sync running/);
	await seeText(page, "#freshness", /Flows: not synced yet/);
	assert.ok(!(await visible(page, "#blocks")), "no numbers before the first sync");
	await axe(page, "syncing");
	await shot(page, "first-sync");
	// The sync ends: the page looks again by itself (every 15 s).
	fill(a);
	synced(a, FRESH);
	sql("UPDATE sync_jobs SET state = 'done', finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE connection_id = " + a.id);
	await seeVisible(page, "#b0", true, 25000);
	assert.ok(!(await visible(page, "#state-syncing")));
	assert.equal(await kpiValue(page, "revenue"), "$400.00");
});

test("dashboard: data, ranges and the address, sorting, Show more, CSV download, a table for every chart", async (t) => {
	const owner = user("ddata");
	const id = store("Dash Data", { ddata: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "DaA" + RUN.slice(-3), currency: "USD", primary: true });
	fill(a);
	synced(a, FRESH);
	const page = await openDash(t, owner, id);
	await seeVisible(page, "#b0");
	// 30 days: 5 orders, $400.00; before: 4, $100.00.
	assert.equal(await kpiValue(page, "revenue"), "$400.00");
	assert.match(await kpi(page, "revenue"), /▲ Up 300\.0% from \$100\.00/);
	assert.equal(await kpiValue(page, "orders"), "5");
	assert.match(await kpi(page, "orders"), /Up 25\.0% from 4/);
	// Campaigns 1..12: revenue 780; flows 30 days × (3 + 2 + 1).
	assert.equal(await kpiValue(page, "campaign_revenue"), "$780.00");
	assert.equal(await kpiValue(page, "flow_revenue"), "$180.00");
	assert.equal(await kpiValue(page, "conversions"), String(78 + 90));
	assert.match(await kpiValue(page, "open_rate"), /^\d+\.\d%$/);
	await seeText(page, "#freshness", /Campaigns updated 2 hours ago/);
	await seeText(page, "#freshness", /Flows updated 3 hours ago/);
	await seeText(page, "#freshness", /Sign-up forms updated 2 days ago/);
	await seeText(page, "#period-line", /, compared with /);
	assert.equal(new URL(page.url()).search, "", "the default range keeps the address plain");

	// Every chart has its numbers in a table.
	assert.equal(await page.locator("#b0 svg.chart-svg[role=img]").count(), 2);
	for (const svgId of ["b0-rev", "b0-ord"]) {
		const label = await page.evaluate((i) => {
			const s = document.getElementById(i);
			return s.getAttribute("aria-labelledby").split(" ").map((x) => document.getElementById(x).textContent).join(" ");
		}, svgId);
		assert.match(label, /by day/, svgId + " has a title and a description");
	}
	await page.click("#b0-series-alt summary");
	await seeVisible(page, "#b0-series-table");
	assert.equal(await page.locator("#b0-series-table tbody tr").count(), 30, "30 days, one row each");
	const rowsRev = await page.$$eval("#b0-series-table tbody tr", (trs) => trs.map((tr) => tr.children[2].textContent));
	assert.equal(rowsRev.filter((x) => x === "$100.00").length, 3);
	const sparks = await page.locator("#segments-table svg.spark[role=img]").count();
	assert.equal(sparks, 2);
	for (const label of await page.$$eval("#segments-table svg.spark", (s) => s.map((x) => x.getAttribute("aria-label")))) {
		assert.match(label, /^Members of .+ from [\d,]+ on .+ to [\d,]+ on .+$/);
	}
	assert.deepEqual(await names(page, "#segments-table"), ["Engaged 90 days", "Lapsed"]);
	await page.click("#segments-days summary");
	await seeVisible(page, "#segments-days-table");
	assert.equal(await page.locator("#segments-days-table tbody tr").count(), 30);
	assert.equal(await page.locator("#forms-table svg.rate-bar").count(), 2);
	await seeText(page, "#forms-table tbody tr:first-child", /^Newsletter pop-up Live 3,000 240 10\.0%$/);
	await axe(page, "data");
	await shot(page, "data-30-days");

	// Campaigns: revenue, highest first; 10 of 12 with Show more.
	assert.equal(await page.getAttribute("#b0-campaigns-sort-revenue >> xpath=..", "aria-sort"), "descending");
	let camp = await names(page, "#b0-campaigns-table");
	assert.equal(camp.length, 10);
	assert.equal(camp[0], "Campaign C12");
	await seeText(page, "#b0-campaigns-count", /^Showing 10 of 12\./);
	await page.click("#b0-campaigns-more");
	await until(async () => (await names(page, "#b0-campaigns-table")).length === 12, "every campaign");
	assert.ok(!(await visible(page, "#b0-campaigns-more")), "no Show more at the end");
	assert.equal(await focusedId(page), "b0-campaigns-count", "the keyboard goes to the count when Show more goes");
	// By recipients (the API sorts): C01 has the most.
	await page.click("#b0-campaigns-sort-recipients");
	await until(async () => (await names(page, "#b0-campaigns-table"))[0] === "Campaign C01", "sorted by recipients");
	assert.equal(await page.getAttribute("#b0-campaigns-sort-recipients >> xpath=..", "aria-sort"), "descending");
	assert.equal(await page.getAttribute("#b0-campaigns-sort-revenue >> xpath=..", "aria-sort"), null);
	assert.equal(await focusedId(page), "b0-campaigns-sort-recipients", "the keyboard stays on the heading");
	assert.ok(reportCalls(t, "campaigns").some((r) => /sort=recipients&order=desc/.test(r.url)));
	await page.click("#b0-campaigns-sort-recipients");
	await until(async () => (await names(page, "#b0-campaigns-table"))[0] === "Campaign C12", "ascending");
	assert.equal(await page.getAttribute("#b0-campaigns-sort-recipients >> xpath=..", "aria-sort"), "ascending");
	// Flows by name, A to Z.
	await page.click("#b0-flows-sort-name");
	await until(async () => JSON.stringify(await names(page, "#b0-flows-table")) === JSON.stringify(["Abandoned cart", "Welcome series", "Win-back"]), "flows by name");

	// CSV: the link carries the filters and the sort; the server sends an attachment.
	const href = await page.getAttribute("#b0 [data-table=campaigns] a.csv", "href");
	const q = new URL(href, BASE).searchParams;
	assert.equal(q.get("format"), "csv");
	assert.equal(q.get("sort"), "recipients");
	assert.equal(q.get("order"), "asc");
	assert.ok(q.get("from") && q.get("to"), "the range");
	const res = await page.context().request.get(BASE + href);
	assert.equal(res.status(), 200);
	assert.match(res.headers()["content-disposition"] || "", /^attachment; filename="klaviyo-campaigns-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
	const csv = await res.text();
	assert.equal(csv.split("\r\n")[0], "account_id,currency,campaign_id,name,channel,status,send_time,recipients,delivered,opens,clicks,open_rate,click_rate,conversions,revenue");
	assert.equal(csv.trim().split("\r\n").length, 13, "a header and 12 campaigns");
	assert.match(csv.split("\r\n")[1], new RegExp("^" + a.pub + ",USD,C12,"));
	// The browser downloads it as a file.
	const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#segments-csv")]);
	assert.match(dl.suggestedFilename(), /^klaviyo-segments-.+\.csv$/);
	assert.equal(fs.readFileSync(await dl.path(), "utf8").split("\r\n")[0], "account_id,currency,segment_id,name,day,members");

	// 7 days: new numbers, the address says so; back goes back.
	await page.click("label:has(input[value='7d'])");
	await until(async () => (await kpiValue(page, "revenue")) === "$300.00", "7 days of revenue");
	assert.match(await kpi(page, "revenue"), /Up 500\.0% from \$50\.00/);
	assert.equal(new URL(page.url()).searchParams.get("range"), "7d");
	assert.equal(await page.locator("#b0-series-table tbody tr").count(), 7);
	// 90 days: by day still (up to 92 days); 12 months by month.
	await page.click("label:has(input[value='90d'])");
	await until(async () => (await kpiValue(page, "revenue")) === "$1,500.00", "90 days of revenue");
	assert.equal(await kpiValue(page, "orders"), "10");
	await page.click("label:has(input[value='12m'])");
	await until(async () => new URL(page.url()).searchParams.get("range") === "12m", "12 months in the address");
	await waitIdle(page);
	assert.equal(await page.inputValue("#b0-interval"), "month");
	assert.ok(reportCalls(t, "series").some((r) => /interval=month/.test(r.url)));
	await page.goBack();
	await until(async () => (await kpiValue(page, "orders")) === "10", "back to 90 days");
	assert.equal(new URL(page.url()).searchParams.get("range"), "90d");
	await shot(page, "data-90-days");
});

test("dashboard: an empty range and a custom range that is not valid", async (t) => {
	const owner = user("dempty");
	const id = store("Dash Empty", { dempty: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "EmA" + RUN.slice(-3), currency: "USD", primary: true });
	fill(a);
	synced(a, FRESH);
	const page = await openDash(t, owner, id, { query: "?from=2001-01-01&to=2001-01-31" });
	await seeVisible(page, "#state-empty");
	await seeText(page, "#state-empty", /^Nothing in this date range No orders, campaign sends, flow messages, segment or form data between Jan 1, 2001 and Jan 31, 2001\. Pick a longer range\./);
	assert.ok(await page.isChecked("input[value=custom]"));
	assert.equal(await page.inputValue("#from-date"), "2001-01-01");
	assert.ok(!(await visible(page, "#blocks")));
	assert.ok(reportCalls(t, "summary").some((r) => /from=2001-01-01&to=2001-01-31/.test(r.url)));
	await axe(page, "empty range");
	await shot(page, "empty-range");
	// From after To: said, nothing asked.
	const before = reportCalls(t, "summary").length;
	await page.fill("#from-date", "2001-02-10");
	await page.click("#custom-apply");
	await seeText(page, "#custom-error", /^The start date must not be after the end date\.$/);
	assert.equal(await page.getAttribute("#from-date", "aria-invalid"), "true");
	assert.equal(reportCalls(t, "summary").length, before);
	await page.fill("#from-date", "1999-01-01");
	await page.click("#custom-apply");
	await seeText(page, "#custom-error", /^Pick dates between the years 2000 and 2099\.$/);
	await shot(page, "custom-invalid");
	// A good one: the numbers and the address follow.
	const from = sql("SELECT to_char(" + TODAY + " - 3, 'YYYY-MM-DD')"), to = sql("SELECT to_char(" + TODAY + " - 1, 'YYYY-MM-DD')");
	await page.fill("#from-date", from);
	await page.fill("#to-date", to);
	await page.click("#custom-apply");
	await until(async () => (await kpiValue(page, "revenue")) === "$300.00", "the custom range's revenue");
	assert.equal(await textOf(page, "#custom-error"), "");
	const sp = new URL(page.url()).searchParams;
	assert.equal(sp.get("from"), from);
	assert.equal(sp.get("to"), to);
	// The empty state's way out.
	await page.goto(BASE + "/store/" + id + "/klaviyo-dashboard?from=2001-01-01&to=2001-01-31");
	await seeVisible(page, "#state-empty");
	await page.click("#empty-wider");
	await until(async () => (await kpiValue(page, "orders")) === "10", "the last 12 months");
	// Dates in the address that make no range: said, 30 days shown.
	await page.goto(BASE + "/store/" + id + "/klaviyo-dashboard?from=2026-13-01&to=2026-01-01");
	await seeText(page, "#banner", /^Date range not valid /);
	await until(async () => (await kpiValue(page, "revenue")) === "$400.00", "30 days");
});

test("dashboard: an API error is said in words with Try again", async (t) => {
	const owner = user("derr");
	const id = store("Dash Error", { derr: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "ErA" + RUN.slice(-3), currency: "USD", primary: true });
	fill(a);
	synced(a, FRESH);
	const page = await open(t, { as: owner });
	// The database is down for the summary (what the server answers then).
	let fail = true;
	await page.route(/\/klaviyo-reports\/summary\?/, (route) => (fail
		? route.fulfill({ status: 503, contentType: "application/json", headers: { "Retry-After": "5" }, body: JSON.stringify({ success: false, error: "Database unavailable", code: "database_unavailable" }) })
		: route.continue()));
	await page.goto(BASE + "/store/" + id + "/klaviyo-dashboard", { waitUntil: "domcontentloaded" });
	await seeVisible(page, "#error");
	await seeText(page, "#error", /^The reports could not be loaded The service is briefly unavailable\. Try again in a few seconds\. Try again$/);
	assert.ok(!(await visible(page, "#blocks")));
	await axe(page, "API error");
	await shot(page, "api-error");
	fail = false;
	await page.click("#retry");
	await seeVisible(page, "#error", false);
	await until(async () => (await kpiValue(page, "revenue")) === "$400.00", "the numbers after Try again");
	// A range the server refuses: its sentence.
	await page.unroute(/\/klaviyo-reports\/summary\?/);
	await page.route(/\/klaviyo-reports\/summary\?/, (route) => route.fulfill({ status: 400, contentType: "application/json",
		body: JSON.stringify({ success: false, error: "Parameter 'from' must be a date YYYY-MM-DD", code: "bad_request" }) }));
	await page.click("label:has(input[value='7d'])");
	await seeText(page, "#error-text", /^The request was not accepted: Parameter 'from' must be a date YYYY-MM-DD\. Pick another date range and try again\.$/);
});

test("dashboard: two accounts in two currencies are never added; the account picker and the address", async (t) => {
	const owner = user("dmulti");
	const id = store("Dash Multi", { dmulti: "owner" });
	const usd = account(id, { name: "Acme Outdoor", kid: "MuA" + RUN.slice(-3), currency: "USD", primary: true });
	const gbp = account(id, { name: "Bluebird Books", kid: "MuB" + RUN.slice(-3), currency: "GBP", primary: false });
	fill(usd);
	fill(gbp, 2);
	synced(usd, FRESH);
	synced(gbp, { campaigns: 5, flows: 5, segments: 5, forms: 5, orders: 5 });
	const page = await openDash(t, owner, id);
	await seeVisible(page, "#account-box");
	assert.equal(await page.inputValue("#account-select"), "");
	assert.equal(await page.locator("#account-select option").first().innerText(), "All accounts (each currency apart)");
	// One block per currency, each its own sums.
	assert.deepEqual(await page.$$eval("#blocks > .block", (b) => b.map((x) => x.dataset.currency)), ["USD", "GBP"]);
	await seeText(page, "#b0-h", /^In USD: Acme Outdoor$/);
	await seeText(page, "#b1-h", /^In GBP: Bluebird Books$/);
	assert.equal(await kpiValue(page, "revenue", "#b0"), "$400.00");
	assert.equal(await kpiValue(page, "revenue", "#b1"), "£800.00");
	assert.equal(await kpiValue(page, "campaign_revenue", "#b1"), "£1,560.00");
	// Segments have no money: one table, each row with its account.
	assert.equal(await page.locator("#segments-table tbody tr").count(), 4);
	await seeText(page, "#freshness", /Acme Outdoor \(USD\): Campaigns updated 2 hours ago/);
	await seeText(page, "#freshness", /Bluebird Books \(GBP\): Campaigns updated 5 hours ago/);
	// The campaigns CSV of a block names its account.
	assert.equal(new URL(await page.getAttribute("#b1 [data-table=campaigns] a.csv", "href"), BASE).searchParams.get("account"), gbp.pub);
	await axe(page, "two currencies");
	await shot(page, "two-currencies");
	// One account: its numbers only, the address names it.
	await page.selectOption("#account-select", gbp.pub);
	await until(async () => (await page.locator("#blocks > .block").count()) === 1 && (await kpiValue(page, "revenue")) === "£800.00", "Bluebird only");
	assert.equal(new URL(page.url()).searchParams.get("account"), gbp.pub);
	assert.ok(reportCalls(t, "summary").some((r) => r.url.includes("account=" + gbp.pub)));
	assert.equal(await page.getAttribute("#settings-link", "href"), "/store/" + id + "/klaviyo-settings?account=" + gbp.pub);
	assert.equal(await page.locator("#segments-table tbody tr").count(), 2);
	// Opened with ?account=: the same view; an unknown one: said, all shown.
	const p2 = await openDash(t, owner, id, { query: "?account=" + usd.pub + "&range=7d" });
	await until(async () => (await kpiValue(p2, "revenue")) === "$300.00", "Acme's 7 days");
	assert.equal(await p2.inputValue("#account-select"), usd.pub);
	const p3 = await openDash(t, owner, id, { query: "?account=kcn_doesnotexist" });
	await seeText(p3, "#banner", /^Account not found The account in the address is not connected to this store; the page shows every account instead\.$/);
	await until(async () => (await p3.locator("#blocks > .block").count()) === 2, "both currencies");
});

test("dashboard: two accounts of one currency are added up", async (t) => {
	const owner = user("dsame");
	const id = store("Dash Same", { dsame: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "SaA" + RUN.slice(-3), currency: "USD", primary: true });
	const b = account(id, { name: "Acme Outlet", kid: "SaB" + RUN.slice(-3), currency: "USD", primary: false });
	fill(a);
	fill(b, 2);
	synced(a, FRESH);
	synced(b, FRESH);
	// A viewer reads every report.
	const viewer = user("dsamev");
	admin(["grant", viewer, id, "viewer"]);
	const page = await openDash(t, viewer, id);
	assert.equal(await page.locator("#account-select option").first().innerText(), "All accounts (combined)");
	assert.equal(await page.locator("#blocks > .block").count(), 1);
	assert.equal(await kpiValue(page, "revenue"), "$1,200.00");
	assert.equal(await kpiValue(page, "orders"), "10");
	// Top campaigns of both, merged in the API's order, each with its account.
	const top = await page.$$eval("#b0-campaigns-table tbody tr", (trs) => trs.slice(0, 3).map((tr) => tr.querySelector("th").innerText.replace(/\s+/g, " ")));
	assert.deepEqual(top, ["Campaign C12 Email Acme Outlet", "Campaign C11 Email Acme Outlet", "Campaign C10 Email Acme Outlet"]);
	await seeText(page, "#b0-campaigns-count", /^Showing 10 of 24\./);
});

test("dashboard: keyboard only, the focus ring, and a phone (375 px)", async (t) => {
	const owner = user("dkeys");
	const id = store("Dash Keys", { dkeys: "owner" });
	const a = account(id, { name: "Acme Outdoor", kid: "KeA" + RUN.slice(-3), currency: "USD", primary: true });
	fill(a);
	synced(a, FRESH);
	const page = await openDash(t, owner, id);
	// Tab from the top reaches the range; the arrows change it.
	await page.keyboard.press("Tab");
	assert.match(await page.evaluate(() => document.activeElement.textContent), /Skip to content/);
	await page.keyboard.press("Enter");
	let guard = 0;
	while ((await page.evaluate(() => document.activeElement.name)) !== "range" && guard++ < 20) await page.keyboard.press("Tab");
	assert.equal(await page.evaluate(() => document.activeElement.value), "30d", "the chosen range takes the focus");
	// The ring: at least 3:1 against the page.
	const ring = await page.evaluate(() => getComputedStyle(document.activeElement.nextElementSibling).outlineColor);
	assert.ok(contrast(ring, "rgb(255, 255, 255)") >= 3, "focus ring " + ring + " against white");
	assert.ok(contrast(ring, "rgb(244, 245, 249)") >= 3, "focus ring " + ring + " against the page");
	await page.keyboard.press("ArrowLeft");
	await until(async () => (await kpiValue(page, "revenue")) === "$300.00", "7 days from the keyboard");
	assert.equal(new URL(page.url()).searchParams.get("range"), "7d");
	// To the chart's table and open it.
	guard = 0;
	while ((await page.evaluate(() => document.activeElement.tagName)) !== "SUMMARY" && guard++ < 30) await page.keyboard.press("Tab");
	await page.keyboard.press("Enter");
	await seeVisible(page, "#b0-series-table");
	// On to the campaigns' Revenue heading: Enter sorts.
	guard = 0;
	while ((await focusedId(page)) !== "b0-campaigns-sort-name" && guard++ < 30) await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "b0-campaigns-sort-name");
	await page.keyboard.press("Enter");
	await until(async () => (await names(page, "#b0-campaigns-table"))[0] === "Campaign C01", "A to Z");
	assert.equal(await focusedId(page), "b0-campaigns-sort-name");
	assert.equal(await page.getAttribute("#b0-campaigns-sort-name >> xpath=..", "aria-sort"), "ascending");
	await shot(page, "keyboard");

	// Phone: one column, no page scroll sideways (tables scroll alone).
	const viewport = { width: 375, height: 812 };
	const p2 = await openDash(t, owner, id, { viewport, mobile: true });
	await seeVisible(p2, "#b0");
	await assertNoHorizontalScroll(p2, 375);
	for (const sel of ["#range-seg", "#b0 .kpis", "#b0-rev", "#segments-card", "#forms-card", "#b0-campaigns-more"]) {
		const b = await p2.locator(sel).boundingBox();
		assert.ok(b && b.x >= 0 && b.x + b.width <= 375, sel + " fits the screen");
	}
	await p2.click("label:has(input[value='custom'])");
	await seeVisible(p2, "#custom-form");
	await assertNoHorizontalScroll(p2, 375);
	await axe(p2, "phone");
	await shot(p2, "phone");
});

// -------------------------------------------------------------- runner --

async function main() {
	fs.mkdirSync(SHOTS, { recursive: true });
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
			"--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--mute-audio"],
		timeout: 30000,
	});
	let passed = 0, failed = 0;
	const started = Date.now();
	for (const tc of tests) {
		if (ONLY && !tc.name.includes(ONLY)) continue;
		const t = { contexts: [], requests: [], console: [], errors: [], page: null };
		const t0 = Date.now();
		let timer;
		try {
			await Promise.race([
				(async () => { await tc.fn(t); await invariants(t); })(),
				new Promise((_, rej) => { timer = setTimeout(() => rej(new Error("test timed out after " + TEST_TIMEOUT_MS / 1000 + " s")), TEST_TIMEOUT_MS); }),
			]);
			passed++;
			console.log("ok   - " + tc.name + " (" + ((Date.now() - t0) / 1000).toFixed(1) + " s)");
		} catch (e) {
			failed++;
			console.log("FAIL - " + tc.name + " (" + ((Date.now() - t0) / 1000).toFixed(1) + " s)");
			console.log("       " + String(e && e.stack || e).split("\n").slice(0, 6).join("\n       "));
			if (t.page) await shot(t.page, "FAILED-" + tc.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 50), { busy: true }).catch(() => {});
			const errs = t.errors.concat(t.console.filter((l) => /^error/.test(l) && !/Failed to load resource/.test(l)));
			if (errs.length) console.log("       page: " + errs.slice(0, 5).join("\n       page: "));
		} finally {
			clearTimeout(timer);
			for (const c of t.contexts) await c.close().catch(() => {});
		}
	}
	await browser.close();
	console.log("screenshots (" + shots.length + ") in " + SHOTS);
	console.log("dashboard browser tests took " + ((Date.now() - started) / 1000).toFixed(1) + " s");
	console.log(passed + " passed, " + failed + " failed");
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log("FAIL - runner: " + (e && e.stack || e));
	console.log("0 passed, 1 failed");
	process.exit(1);
});
