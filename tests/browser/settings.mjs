// Browser tests of the sync settings and activity page (www/settings.html,
// /store/{id}/klaviyo-settings) in Debian's headless Chromium, driven by
// playwright-core, against the stack of tests/integration/run.sh (see
// run.sh for the environment). Same harness as run.mjs: each test checks
// what a person sees and what the database then holds; after each test
// the runner checks that no request went to another origin or carried a
// key in its URL, and that the page raised no error or CSP violation.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { assertNoHorizontalScroll, enabled, focusedId, lit, seeText, seeVisible, sh, textOf, until, visible } from "./lib.mjs";

const env = process.env;
const BASE = env.KC_TEST_URL.replace(/\/+$/, "");
const ORIGIN = new URL(BASE).origin;
const DB = env.KC_TEST_DATABASE_URL;
const ADMIN = env.KC_TEST_ADMIN;
const SBX = (env.KC_TEST_SANDBOX_URL || "").replace(/\/+$/, "");
const OUT = env.KC_BROWSER_OUT || path.join(path.dirname(new URL(import.meta.url).pathname), "out");
const SHOTS = path.join(OUT, "screenshots");
const ONLY = env.KC_BROWSER_ONLY || "";
const CHROMIUM = env.KC_CHROMIUM || "/usr/bin/chromium";
const RUN = "s" + Date.now().toString(36);
const TEST_TIMEOUT_MS = 45000;

// The sandbox's accounts (docs/SANDBOX.md).
const KEY = {
	many: "pk_sbxmanylists00000000000000000006",	// Granite Peak Outfitters (aKa3QH), Shopify Placed Order GOdodE
	woo: "pk_sbxwoocommerce000000000000000002",	// Bluebird Books (iz2zlU), WooCommerce Placed Order NPJO48
};
const ALL_KEYS = Object.values(KEY);

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
const tokens = new Map();
function token(email) {
	if (!tokens.has(email)) tokens.set(email, admin(["session", "issue", email, "--hours", "2"]));
	return tokens.get(email);
}
// The API as a script would call it (Bearer token).
async function call(method, p, email, body) {
	const res = await fetch(BASE + p, {
		method, signal: AbortSignal.timeout(20000),
		headers: { Authorization: "Bearer " + token(email), "Content-Type": "application/json" },
		body: body ? JSON.stringify(body) : undefined,
	});
	return { status: res.status, body: await res.json() };
}
// A store connected to key; returns its Klaviyo account's id (kcn_…).
async function connected(id, email, key, metric) {
	const r = await call("POST", "/api/store/" + id + "/klaviyo-connect", email, { apiKey: key, conversionMetricId: metric });
	assert.equal(r.status, 200, "API connect: " + JSON.stringify(r.body));
	const a = await call("GET", "/api/store/" + id + "/klaviyo-accounts", email);
	assert.equal(a.status, 200);
	return a.body.accounts.find((x) => x.primary).id;
}
// What is stored for a type of a connection (no row: the defaults).
function stored(conn, type) {
	return sql("SELECT coalesce(s.enabled::text, 'default') || ' ' || coalesce(s.interval_hours::text, 'default')" +
		" FROM klaviyo_connections k LEFT JOIN connection_sync_settings s ON s.connection_id = k.id AND s.type = " + lit(type) +
		" WHERE k.public_id = " + lit(conn));
}

// ------------------------------------------------------------- helpers --

let browser;
let shotNo = 0;
const shots = [];

async function shot(page, name, { busy = false } = {}) {
	if (!busy) await waitIdle(page);
	const file = path.join(SHOTS, "settings-" + String(++shotNo).padStart(2, "0") + "-" + name + ".png");
	await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
	shots.push(path.relative(OUT, file));
}

async function waitIdle(page) {
	await until(async () => (await page.locator("#main[aria-busy], #activity-list[aria-busy=true]").count()) === 0, "the requests to end", 20000);
}
async function assertLabelled(page) {
	const bad = await page.evaluate(() => {
		const out = [];
		for (const n of document.querySelectorAll("input, button, select, textarea, a[href]")) {
			if (!n.offsetParent && n.type !== "radio") continue;
			const name = (n.getAttribute("aria-label") || "").trim() ||
				(n.labels && [...n.labels].map((l) => l.textContent).join(" ").trim()) ||
				(n.tagName !== "INPUT" && n.tagName !== "SELECT" ? n.textContent.trim() : "");
			if (!name) out.push(n.outerHTML.slice(0, 120));
		}
		return out;
	});
	assert.deepEqual(bad, [], "controls without an accessible name");
}
// The activity as shown: one "what | detail" string per entry.
async function activity(page) {
	return page.$$eval("#activity-list > li", (lis) => lis.map((li) => {
		const t = (s) => (li.querySelector(s) ? li.querySelector(s).textContent.trim() : "");
		return [t(".activity-what"), t(".activity-detail"), t(".activity-who"), t(".activity-acct")].join(" | ");
	}));
}

async function open(t, { as, viewport, mobile } = {}) {
	const ctx = await browser.newContext({
		viewport: viewport || { width: 1280, height: 900 },
		locale: "en-US", timezoneId: "UTC", isMobile: !!mobile, hasTouch: !!mobile,
	});
	t.contexts.push(ctx);
	if (as) await ctx.addCookies([{ name: "kc_session", value: token(as), url: BASE }]);
	const page = await ctx.newPage();
	page.setDefaultTimeout(10000);
	page.on("request", (r) => t.requests.push({ url: r.url(), method: r.method(), body: r.postData() || "" }));
	page.on("console", (m) => t.console.push(m.type() + ": " + m.text()));
	page.on("pageerror", (e) => t.errors.push(e.message));
	t.page = page;
	return page;
}
async function openSettings(t, as, id, opts = {}) {
	const page = await open(t, { as, ...opts });
	await page.goto(BASE + "/store/" + id + "/klaviyo-settings" + (opts.query || ""), { waitUntil: "domcontentloaded" });
	await seeVisible(page, "#layout");
	await seeVisible(page, "#type-list > li");
	await waitIdle(page);
	return page;
}
function patches(t) {
	return t.requests.filter((r) => r.method === "PATCH" && /\/settings$/.test(r.url)).map((r) => JSON.parse(r.body));
}

async function invariants(t) {
	for (const r of t.requests) {
		const u = new URL(r.url);
		if (!/^(data|blob|about):/.test(r.url)) assert.equal(u.origin, ORIGIN, "request to another origin: " + r.url);
		assert.ok(!/pk_/i.test(u.pathname + u.search), "a request URL carries an API key: " + r.url);
	}
	for (const line of t.console) {
		assert.ok(!/Content.Security.Policy|Refused to/i.test(line), "CSP violation: " + line);
		assert.ok(!/pk_[A-Za-z0-9]{8}/.test(line), "the console shows a key: " + line);
	}
	assert.deepEqual(t.errors, [], "uncaught errors in the page");
	for (const ctx of t.contexts) {
		for (const p of ctx.pages()) {
			const html = await p.content().catch(() => "");
			for (const k of ALL_KEYS) assert.ok(!html.includes(k), "the page shows a key");
		}
	}
}

// --------------------------------------------------------------- tests --

const tests = [];
function test(name, fn, opts = {}) {
	tests.push({ name, fn, sandbox: true, ...opts });
}

test("settings: turn flows off (keep data) and on, change an interval, read the activity", async (t) => {
	const owner = user("setowner");
	const id = store("Settings Store", { setowner: "owner" });
	const conn = await connected(id, owner, KEY.many, "GOdodE");
	const page = await openSettings(t, owner, id);
	await seeText(page, "#account-line", /Granite Peak Outfitters \(aKa3QH\) is connected, the store’s primary account\./);
	assert.ok(!(await visible(page, "#picker-row")), "no picker with one account");
	assert.equal(await page.getAttribute("#back-link", "href"), "/store/" + id + "/klaviyo-connect");
	const rows = await page.$$eval("#type-list > li .type-name", (n) => n.map((x) => x.textContent));
	assert.deepEqual(rows, ["Sync campaigns", "Sync flows", "Sync segments", "Sync sign-up forms", "Sync orders"]);
	assert.ok(await page.isChecked("#t-flows-enabled"));
	// The default is marked and chosen.
	assert.equal(await page.inputValue("#t-flows-interval"), "48");
	assert.equal(await page.locator("#t-flows-interval option:checked").innerText(), "Every 2 days (default)");
	assert.equal(await page.locator("#t-campaigns-interval option:checked").innerText(), "Every day (default)");
	await seeText(page, "#t-flows-next", /.+/);
	await assertLabelled(page);
	await shot(page, "defaults");

	// Off: the dialog asks; keep is the default answer.
	await page.click("#t-flows-enabled");
	await seeVisible(page, "#off-dialog");
	await seeText(page, "#off-h", /^Stop syncing flows\?$/);
	assert.equal(await focusedId(page), "off-keep", "the dialog's first choice has the focus");
	assert.ok(await page.isChecked("#t-flows-enabled"), "still on until confirmed");
	await shot(page, "off-dialog");
	await page.click("#off-confirm");
	await seeVisible(page, "#off-dialog", false);
	await seeText(page, "#flash", /^Flows are no longer synced\. Their synced data was kept\.$/);
	assert.ok(!(await page.isChecked("#t-flows-enabled")));
	assert.ok(!(await enabled(page, "#t-flows-interval")), "no interval for a type that is off");
	await seeText(page, "#t-flows-state", /^Off$/);
	assert.equal(stored(conn, "flows"), "false default");
	assert.equal(sql("SELECT detail ->> 'delete_data' FROM audit_log WHERE action = 'settings_changed' AND detail ->> 'connection_id' = " + lit(conn) + " ORDER BY id DESC LIMIT 1"), "false");
	assert.equal(await focusedId(page), "t-flows-enabled", "the focus goes back to the switch");
	await shot(page, "flows-off");

	// Cancel leaves it as it is.
	await page.click("#t-campaigns-enabled");
	await seeVisible(page, "#off-dialog");
	await page.keyboard.press("Escape");
	await seeVisible(page, "#off-dialog", false);
	assert.ok(await page.isChecked("#t-campaigns-enabled"));
	assert.equal(stored(conn, "campaigns"), "true default");

	// On again: a full sync is queued.
	await page.click("#t-flows-enabled");
	await seeText(page, "#flash", /^Flows are synced again: a full sync of them is queued\.$/);
	assert.equal(stored(conn, "flows"), "true default");
	assert.equal(sql("SELECT count(*) FROM sync_jobs j JOIN klaviyo_connections k ON k.id = j.connection_id WHERE k.public_id = " + lit(conn) + " AND j.type = 'flows' AND j.state = 'queued' AND j.mode = 'full'"), "1");

	// An interval: saved at once, in the database.
	await page.selectOption("#t-campaigns-interval", "12");
	await seeText(page, "#flash", /^Saved: Campaigns are synced every 12 hours\.$/);
	assert.equal(stored(conn, "campaigns"), "true 12");
	assert.deepEqual(patches(t).at(-1), { types: { campaigns: { interval_hours: 12 } } });
	assert.equal(await page.inputValue("#t-campaigns-interval"), "12");
	// Back to the default: stored as the default (null), not as 24.
	await page.selectOption("#t-segments-interval", "6");
	await seeText(page, "#flash", /^Saved: Segments are synced every 6 hours\.$/);
	await page.selectOption("#t-segments-interval", "24");
	await seeText(page, "#flash", /^Saved: Segments are synced every day\.$/);
	assert.equal(stored(conn, "segments"), "true default");

	// The activity: newest first, who and which account.
	await until(async () => (await activity(page)).length >= 6, "six entries");
	const a = await activity(page);
	const acct = "Granite Peak Outfitters (aKa3QH)";
	assert.deepEqual(a.slice(0, 5), [
		"Changed the sync settings | Segments on, every day | " + owner + " | " + acct,
		"Changed the sync settings | Segments on, every 6 hours | " + owner + " | " + acct,
		"Changed the sync settings | Campaigns on, every 12 hours | " + owner + " | " + acct,
		"Changed the sync settings | Flows on, every 2 days | " + owner + " | " + acct,
		"Changed the sync settings | Flows off | " + owner + " | " + acct,
	]);
	assert.ok(a.some((x) => x.startsWith("Connected Klaviyo | key pk_sbxm")), "the connect is listed: " + a.join(" / "));
	const time = page.locator("#activity-list > li time").first();
	assert.match(await time.innerText(), /^(just now|\d+ minutes? ago)$/);
	assert.match(await time.getAttribute("title"), /\d{4}.*\d{1,2}:\d{2}/);
	await shot(page, "activity");
	// Filters: only connects, then everything again.
	await page.selectOption("#filter-action", "connect");
	await until(async () => (await activity(page)).every((x) => x.startsWith("Connected Klaviyo")), "connects only");
	assert.ok(t.requests.some((r) => /klaviyo-activity\?.*action=connect/.test(r.url)));
	await page.selectOption("#filter-action", "sync_now");
	await seeText(page, "#activity-empty", /^Nothing matches these filters\.$/);
	await page.selectOption("#filter-action", "");
	await until(async () => (await activity(page)).length >= 6, "everything again");
});

test("settings: keyboard only, turn forms off and delete its data; Load more pages the activity", async (t) => {
	const owner = user("setkeys");
	const id = store("Settings Keys", { setkeys: "owner" });
	const conn = await connected(id, owner, KEY.many, "GOdodE");
	// 30 settings changes through the API: more than one page of 25.
	for (let i = 0; i < 15; i++) {
		for (const h of [3, 4]) {
			const r = await call("PATCH", "/api/store/" + id + "/klaviyo-accounts/" + conn + "/settings", owner, { types: { segments: { interval_hours: h } } });
			assert.equal(r.status, 200, JSON.stringify(r.body));
		}
	}
	const page = await openSettings(t, owner, id);
	await page.focus("#t-forms-enabled");
	await page.keyboard.press("Space");
	await seeVisible(page, "#off-dialog");
	assert.equal(await focusedId(page), "off-keep");
	await page.keyboard.press("ArrowDown");
	assert.ok(await page.isChecked("#off-delete"), "the arrow picks Delete");
	await seeText(page, "#off-confirm", /^Turn off and delete data$/);
	await page.keyboard.press("Tab");
	await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "off-confirm");
	await shot(page, "off-dialog-delete");
	await page.keyboard.press("Enter");
	await seeVisible(page, "#off-dialog", false);
	await seeText(page, "#flash", /^Sign-up forms are no longer synced\. Their synced data was deleted\.$/);
	assert.equal(stored(conn, "forms"), "false default");
	assert.equal(sql("SELECT detail ->> 'delete_data' FROM audit_log WHERE action = 'settings_changed' AND detail ->> 'connection_id' = " + lit(conn) + " ORDER BY id DESC LIMIT 1"), "true");
	assert.equal(await focusedId(page), "t-forms-enabled");
	// The interval from the keyboard.
	await page.focus("#t-flows-interval");
	await page.selectOption("#t-flows-interval", "72");
	await seeText(page, "#flash", /^Saved: Flows are synced every 3 days\.$/);
	assert.equal(stored(conn, "flows"), "true 72");

	// Activity: 25, then the rest with Load more (the 32 changes and
	// what connecting wrote).
	const total = +sql("SELECT count(*) FROM audit_log l JOIN stores s ON s.id = l.store_id WHERE s.public_id = " + lit(id) +
		" AND l.action IN ('test', 'connect', 'add_account', 'rotate_key', 'change_metric', 'make_primary', 'settings_changed', 'sync_now')");
	assert.ok(total >= 33, "audit rows: " + total);
	await until(async () => (await activity(page)).length === 25, "the first page");
	await seeVisible(page, "#more-btn");
	await page.focus("#more-btn");
	await page.keyboard.press("Enter");
	await until(async () => (await activity(page)).length > 25, "the next page");
	const all = await activity(page);
	assert.equal(all.length, total, all.join("\n"));
	assert.match(all[0], /^Changed the sync settings \| Flows on, every 3 days/);
	assert.match(all[1], /^Changed the sync settings \| Sign-up forms off/);
	assert.match(all.at(-1), /^Connected Klaviyo/);
	assert.ok(!(await visible(page, "#more-btn")), "no Load more at the end");
	assert.ok(t.requests.some((r) => /klaviyo-activity\?.*before=\d+/.test(r.url)), "the next page asks before=");
});

test("settings: an interval over the account's report budget is refused with the reason and the shortest interval", async (t) => {
	const owner = user("setbudget");
	const id = store("Settings Budget", { setbudget: "owner" });
	const conn = await connected(id, owner, KEY.many, "GOdodE");
	const tag = "Budget " + RUN;
	try {
		// Eight other stores on the same Klaviyo account sync flows hourly:
		// 192 of the 200 reports a day the budget gives.
		sql("WITH s AS (INSERT INTO stores (public_id, name) SELECT 'bud' || md5(random()::text), " + lit(tag) + " || g" +
			" FROM generate_series(1, 8) g RETURNING id)," +
			" k AS (INSERT INTO klaviyo_connections (store_id, is_primary, klaviyo_integration) SELECT s.id, true, c.klaviyo_integration" +
			" FROM s, klaviyo_connections c WHERE c.public_id = " + lit(conn) + " RETURNING id, store_id)" +
			" INSERT INTO connection_sync_settings (connection_id, store_id, type, interval_hours) SELECT id, store_id, 'flows', 1 FROM k");
		const page = await openSettings(t, owner, id);
		const hint = await seeText(page, "#t-flows-interval-hint", /budget/);
		assert.match(hint, /^(The shortest interval this Klaviyo account’s report budget allows now is \d+ hours\.|Other stores on this Klaviyo account use its whole report budget: no shorter interval fits now\.)$/);
		// The shortest interval is one of the choices, whatever it is.
		const hs = /now is (\d+) hours/.exec(hint);
		if (hs) assert.equal(await page.locator('#t-flows-interval option[value="' + hs[1] + '"]').count(), 1, "no choice of " + hs[1] + " hours");
		await page.selectOption("#t-flows-interval", "1");
		const msg = await seeText(page, "#t-flows-error", /was not saved/);
		assert.match(msg, /^Flows every hour was not saved Syncing flows every 1 hour would need \d+ flows reports a day on Klaviyo account aKa3QH, which every store connected to it shares: Klaviyo allows 225 a day and 25 are kept for full syncs\. (The shortest interval now is \d+ hours|No interval fits now; the longest is 168 hours)\.$/);
		// The choice goes back to what is saved; nothing was stored.
		assert.equal(await page.inputValue("#t-flows-interval"), "48");
		assert.equal(stored(conn, "flows"), "default default");
		assert.equal(await focusedId(page), "t-flows-interval");
		await shot(page, "budget-refused");
		// What the sentence offers is accepted.
		const m = /The shortest interval now is (\d+) hours/.exec(msg);
		if (m) {
			await page.selectOption("#t-flows-interval", m[1]);
			await seeText(page, "#flash", new RegExp("^Saved: Flows are synced every " + m[1] + " hours\\.$"));
			assert.equal(stored(conn, "flows"), "true " + m[1]);
			assert.ok(!(await visible(page, "#t-flows-error")), "the refusal is gone");
		}
	} finally {
		sql("DELETE FROM stores WHERE name LIKE " + lit(tag + "%"));
	}
});

test("settings: a viewer sees the settings read-only and the activity", async (t) => {
	const owner = user("setvowner");
	const viewer = user("setviewer");
	const id = store("Settings Viewer", { setvowner: "owner", setviewer: "viewer" });
	const conn = await connected(id, owner, KEY.many, "GOdodE");
	const r = await call("PATCH", "/api/store/" + id + "/klaviyo-accounts/" + conn + "/settings", owner, { types: { segments: { enabled: false } } });
	assert.equal(r.status, 200);
	const page = await openSettings(t, viewer, id);
	await seeText(page, "#viewer-note", /^You can see these settings; only owners and admins of .+ can change them\.$/);
	for (const type of ["campaigns", "flows", "segments", "forms", "orders"]) {
		assert.ok(!(await enabled(page, "#t-" + type + "-enabled")), type + " switch read-only");
		assert.ok(!(await enabled(page, "#t-" + type + "-interval")), type + " interval read-only");
	}
	assert.ok(!(await page.isChecked("#t-segments-enabled")), "segments shows as off");
	assert.ok(await page.isChecked("#t-campaigns-enabled"));
	const a = await activity(page);
	assert.equal(a[0], "Changed the sync settings | Segments off | " + owner + " | Granite Peak Outfitters (aKa3QH)");
	await shot(page, "viewer");
	// Clicking does nothing: no request changes anything.
	await page.click("#t-flows-enabled", { force: true });
	assert.equal(patches(t).length, 0);
	assert.ok(!(await visible(page, "#off-dialog")));
});

test("settings: two accounts, ?account= picks one, orders need Placed Order, a missing scope; phone (375 px)", async (t) => {
	const owner = user("setphone");
	const id = store("Settings Phone", { setphone: "owner" });
	const primary = await connected(id, owner, KEY.many, "GOdodE");
	const add = await call("POST", "/api/store/" + id + "/klaviyo-accounts", owner, { apiKey: KEY.woo, conversionMetricId: "NPJO48" });
	assert.equal(add.status, 201, JSON.stringify(add.body));
	const second = add.body.account.id;
	sql("INSERT INTO sync_jobs (store_id, connection_id, type, mode, state, last_error, finished_at) SELECT store_id, id," +
		" 'forms', 'full', 'failed', 'needs scope forms:read', now() FROM klaviyo_connections WHERE public_id = " + lit(second));
	const viewport = { width: 375, height: 812 };
	const page = await openSettings(t, owner, id, { viewport, mobile: true, query: "?account=" + second });
	await seeVisible(page, "#picker-row");
	assert.equal(await page.inputValue("#account-select"), second);
	await seeText(page, "#account-line", /^Bluebird Books \(iz2zlU\) is connected\.$/);
	// Orders: Bluebird's metric is WooCommerce's, so orders cannot sync.
	assert.ok(!(await enabled(page, "#t-orders-enabled")));
	assert.ok(!(await page.isChecked("#t-orders-enabled")));
	await seeText(page, "#t-orders", /Orders are synced only when the conversion metric is Shopify’s Placed Order/);
	await seeText(page, "#t-forms", /Unavailable: the key needs the scope forms:read\./);
	await seeText(page, "#t-forms-state", /^Unavailable$/);
	await assertNoHorizontalScroll(page, 375);
	await assertLabelled(page);
	for (const sel of ["#t-campaigns-interval", "#t-campaigns-enabled", "#account-select", "#filter-action"]) {
		const b = await page.locator(sel).boundingBox();
		assert.ok(b.x >= 0 && b.x + b.width <= 375, sel + " fits the screen");
		assert.ok(b.height >= 24, sel + " is large enough to touch");
	}
	await shot(page, "phone-second-account");
	// Its own settings: a change there leaves the primary's alone.
	await page.selectOption("#t-campaigns-interval", "48");
	await seeText(page, "#flash", /^Saved: Campaigns are synced every 2 days\.$/);
	assert.equal(stored(second, "campaigns"), "true 48");
	assert.equal(stored(primary, "campaigns"), "default default");
	// The activity's account filter.
	await page.selectOption("#filter-account", primary);
	await until(async () => (await activity(page)).every((x) => x.endsWith("Granite Peak Outfitters (aKa3QH)")) && (await activity(page)).length > 0, "the primary's entries only");
	await page.selectOption("#filter-account", "");
	await until(async () => (await activity(page))[0] === "Changed the sync settings | Campaigns on, every 2 days | " + owner + " | Bluebird Books (iz2zlU)", "every account again");
	// The picker: to the primary, and the address follows.
	await page.selectOption("#account-select", primary);
	await seeText(page, "#account-line", /^Granite Peak Outfitters \(aKa3QH\) is connected, the store’s primary account\.$/);
	await until(async () => new URL(page.url()).searchParams.get("account") === primary, "the address names the account");
	await until(async () => enabled(page, "#t-orders-enabled"), "orders allowed with Shopify's Placed Order");
	// The dialog fits the phone.
	await page.click("#t-flows-enabled");
	await seeVisible(page, "#off-dialog");
	const d = await page.locator("#off-dialog").boundingBox();
	assert.ok(d.x >= 0 && d.x + d.width <= 375, "the dialog fits the screen");
	await shot(page, "phone-dialog", { busy: true });
	await page.click("#off-cancel");
	await seeVisible(page, "#off-dialog", false);
	await assertNoHorizontalScroll(page, 375);
	await shot(page, "phone-primary");
});

test("settings: another store's page, an unknown account in the address", async (t) => {
	const owner = user("setother");
	const mine = store("Settings Mine", { setother: "owner" });
	const theirs = store("Settings Theirs", {});
	await connected(mine, owner, KEY.many, "GOdodE");
	const page = await openSettings(t, owner, mine, { query: "?account=kcn_doesnotexist" });
	await seeText(page, "#banner", /^Account not found The account in the address is not connected to this store; the page shows Granite Peak Outfitters \(aKa3QH\) instead\.$/);
	const p2 = await open(t, { as: owner });
	await p2.goto(BASE + "/store/" + theirs + "/klaviyo-settings", { waitUntil: "domcontentloaded" });
	await seeText(p2, "#banner", /^Store not found This store does not exist or you do not have access to it\./);
	assert.ok(!(await visible(p2, "#layout")));
	// Signed out: to the sign-in page, coming back here.
	const p3 = await open(t);
	await p3.goto(BASE + "/store/" + mine + "/klaviyo-settings", { waitUntil: "domcontentloaded" });
	await p3.waitForURL(/\/login\?next=%2Fstore%2F/);
});

// -------------------------------------------------------------- runner --

test("settings: live updates (Klaviyo webhooks): the state, turned off and on, a refusal's reason, read-only for a viewer", async (t) => {
	const owner = user("whowner");
	const viewer = user("whviewer");
	const id = store("Webhook Store", { whowner: "owner", whviewer: "viewer" });
	const conn = await connected(id, owner, KEY.many, "GOdodE");
	const hook = (col) => sql("SELECT " + col + " FROM klaviyo_webhooks w JOIN klaviyo_connections k ON k.id = w.connection_id WHERE k.public_id = " + lit(conn));
	// As klaviyo-syncd leaves it once registered, with one event in.
	sql("UPDATE klaviyo_webhooks w SET state = 'active', events_received = 3, last_event_at = now() - interval '2 minutes' FROM klaviyo_connections k WHERE k.id = w.connection_id AND k.public_id = " + lit(conn));
	const page = await openSettings(t, owner, id);
	await seeVisible(page, "#webhooks-card");
	await seeText(page, "#webhooks-pill", /^On$/);
	await seeText(page, "#webhooks-line", /^On: Klaviyo sends new orders and email and SMS activity as they happen\. Last event 2 minutes ago\.$/);
	await seeText(page, "#webhooks-count", /^3 events received so far\.$/);
	assert.ok(await page.isChecked("#webhooks-enabled"));
	await assertLabelled(page);
	await shot(page, "webhooks-active");

	// Off: saved at once, the webhook goes at Klaviyo.
	await page.click("#webhooks-enabled");
	await seeText(page, "#flash", /^Live updates are off; the webhook is removed at Klaviyo\.$/);
	await seeText(page, "#webhooks-pill", /^Off$/);
	await seeText(page, "#webhooks-line", /^Off: data is synced on schedule only\.$/);
	assert.equal(hook("wanted::text || ' ' || state"), "false off");
	assert.deepEqual(patches(t).at(-1), { webhooks: false });
	// On again: set up anew.
	await page.click("#webhooks-enabled");
	await seeText(page, "#flash", /^Live updates are being set up with Klaviyo\.$/);
	await seeText(page, "#webhooks-pill", /^Setting up$/);
	assert.equal(hook("wanted::text || ' ' || state"), "true pending");
	await until(async () => (await activity(page)).some((x) => x.startsWith("Changed the sync settings | Live updates on")), "the change in the activity");

	// Klaviyo refused them: the reason, in the page's words.
	sql("UPDATE klaviyo_webhooks w SET state = 'unavailable', reason = 'Klaviyo does not allow webhooks for this account or key' FROM klaviyo_connections k WHERE k.id = w.connection_id AND k.public_id = " + lit(conn));
	const vpage = await openSettings(t, viewer, id);
	await seeText(vpage, "#webhooks-pill", /^Not available$/);
	await seeText(vpage, "#webhooks-line", /^Not available for this Klaviyo account: Klaviyo does not allow webhooks for this account or key$/);
	assert.ok(!(await enabled(vpage, "#webhooks-enabled")), "a viewer cannot switch it");
	await shot(vpage, "webhooks-unavailable-viewer");
});

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
	let passed = 0, failed = 0, skipped = 0;
	const started = Date.now();
	for (const tc of tests) {
		if (ONLY && !tc.name.includes(ONLY)) continue;
		if (tc.sandbox && !SBX) {
			skipped++;
			console.log("skip - " + tc.name + " (KC_TEST_SANDBOX_URL not set)");
			continue;
		}
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
	console.log("settings browser tests took " + ((Date.now() - started) / 1000).toFixed(1) + " s");
	console.log(passed + " passed, " + failed + " failed" + (skipped ? ", " + skipped + " skipped" : ""));
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log("FAIL - runner: " + (e && e.stack || e));
	console.log("0 passed, 1 failed");
	process.exit(1);
});
