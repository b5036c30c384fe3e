// Browser tests of www/ (login, store list, Klaviyo connect page) in
// Debian's headless Chromium, driven by playwright-core, against the real
// stack started by tests/integration/run.sh. See run.sh for the
// environment. Every test asserts what a person sees (texts, enabled and
// disabled controls, the selected metric); after every test the runner
// also checks that no request carried an API key in its URL, that nothing
// went to another origin, that web storage and the console hold no key,
// and that the page raised no error and no CSP violation.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

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
const RUN = Date.now().toString(36);
const TEST_TIMEOUT_MS = 45000;
// The service's Klaviyo settings, when the harness exported them.
const KV_TIMEOUT_MS = +env.KLAVIYO_TIMEOUT_MS || 15000;
const KV_MAX_WAIT_MS = env.KLAVIYO_MAX_WAIT_MS !== undefined && env.KLAVIYO_MAX_WAIT_MS !== "" ? +env.KLAVIYO_MAX_WAIT_MS : 3000;

// The sandbox's accounts (docs/SANDBOX.md).
const KEY = {
	shopify: "pk_sbxshopify0000000000000000000001",	// Acme Outdoor (ms2AAo), 512 metrics, Shopify Placed Order bWFrb5, API Placed Order PGGbvj
	woo: "pk_sbxwoocommerce000000000000000002",	// Bluebird Books (iz2zlU), WooCommerce Placed Order NPJO48, no Shopify one
	custom: "pk_sbxcustom00000000000000000000003",	// Cedar & Sage Apothecary (3tf5XC), 24 metrics + 4 custom (27 choices)
	empty: "pk_sbxempty000000000000000000000004",	// Driftwood Candle Co., no metrics
	noscope: "pk_sbxnoscope0000000000000000000005",	// Fernhill Tea House, accounts:read only
	many: "pk_sbxmanylists00000000000000000006",	// Granite Peak Outfitters (aKa3QH), Shopify Placed Order GOdodE
	unknown: "pk_browsertestunknownkey000000000001",	// well-formed, not a Klaviyo key
};
const ALL_KEYS = Object.values(KEY);

// ------------------------------------------------------------ fixtures --

function sh(cmd, args, input) {
	return execFileSync(cmd, args, { input, encoding: "utf8", timeout: 30000, stdio: ["pipe", "pipe", "pipe"] }).trim();
}
const admin = (args, input) => sh(ADMIN, args, input);
const sql = (q) => sh("psql", [DB, "-v", "ON_ERROR_STOP=1", "-Atqc", q]);
const sqlTry = (q) => { try { return sql(q); } catch (e) { return ""; } };
const lit = (s) => "'" + String(s).replace(/'/g, "''") + "'";

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
const storeNames = new Map();
function storeName(id) {
	if (!storeNames.has(id)) storeNames.set(id, sql("SELECT name FROM stores WHERE public_id = " + lit(id)));
	return storeNames.get(id);
}
function token(email) {
	return admin(["session", "issue", email, "--hours", "2"]);
}
function setIntegration(id, obj) {
	sql("UPDATE stores SET klaviyo_integration = " + lit(JSON.stringify(obj)) + "::jsonb WHERE public_id = " + lit(id));
}
const CONNECTED = {
	status: "connected", auth_method: "api_key", public_id: "ms2AAo",
	account: { id: "ms2AAo", name: "Acme Outdoor", timezone: "America/New_York", currency: "USD" },
	api_key_hint: "pk_sbxs\u2026", conversion_type: "value", conversion_metric_id: "bWFrb5",
	conversion_metric: { id: "bWFrb5", name: "Placed Order", integration: "Shopify", isShopifyPlacedOrder: true },
	connected_at: "2026-01-15T10:30:00Z", last_sync: "2026-01-15T10:41:07Z", is_updating_dashboard: false,
	last_error: null, campaign_values_last_update: "2026-01-15T10:41:07Z",
	flow_series_last_update: "2026-01-15T10:39:00Z",
};

// Klaviyo sandbox control API, and our own Klaviyo state, between tests.
async function sbx(method, p, body) {
	const res = await fetch(SBX + p, {
		method, headers: { "Content-Type": "application/json" },
		body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(5000),
	});
	if (!res.ok) throw new Error("sandbox " + method + " " + p + ": HTTP " + res.status + " " + (await res.text()));
	return res.status === 204 ? null : res.json().catch(() => null);
}
async function klaviyoReset() {
	await sbx("DELETE", "/__sandbox/faults");
	await sbx("DELETE", "/__sandbox/ratelimits");
	sqlTry("DELETE FROM klaviyo_probe_cache");
	sqlTry("DELETE FROM rate_buckets");
}
// Connects a store through the API (Bearer token: a script, not a browser).
async function apiConnect(id, email, key, metricId) {
	const res = await fetch(BASE + "/api/store/" + id + "/klaviyo-connect", {
		method: "POST", signal: AbortSignal.timeout(20000),
		headers: { Authorization: "Bearer " + token(email), "Content-Type": "application/json" },
		body: JSON.stringify({ apiKey: key, conversionMetricId: metricId }),
	});
	const body = await res.json();
	assert.equal(res.status, 200, "API connect: " + JSON.stringify(body));
}

// ------------------------------------------------------------- helpers --

let browser;
let shotNo = 0;
const shots = [];

async function shot(page, name, { busy = false, full = true } = {}) {
	if (!busy) await waitIdle(page);
	const file = path.join(SHOTS, String(++shotNo).padStart(2, "0") + "-" + name + ".png");
	await page.screenshot({ path: file, fullPage: full, animations: "disabled" });
	shots.push(path.relative(OUT, file));
}

// Polls until fn() is truthy; the failure says what was awaited and last seen.
async function until(fn, what, ms = 10000) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e.message;
		}
		if (Date.now() > end) throw new Error("timed out waiting for " + what + (last !== undefined ? " (last: " + JSON.stringify(last) + ")" : ""));
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function textOf(page, sel) {
	const loc = page.locator(sel).first();
	if (!(await loc.isVisible())) return "";
	return (await loc.innerText()).replace(/\s+/g, " ").trim();
}

// Waits until sel is visible and its text matches re.
async function seeText(page, sel, re, ms) {
	let last = "";
	await until(async () => {
		last = await textOf(page, sel);
		return re.test(last);
	}, sel + " to show " + re, ms).catch(() => {
		throw new Error(sel + " should show " + re + ", shows " + JSON.stringify(last));
	});
	return last;
}

async function visible(page, sel) {
	return page.locator(sel).first().isVisible();
}
async function seeVisible(page, sel, on = true, ms = 10000) {
	await until(async () => (await visible(page, sel)) === on, sel + (on ? " visible" : " hidden"), ms);
}
async function enabled(page, sel) {
	return page.locator(sel).first().isEnabled();
}
async function checkedMetric(page) {
	return page.evaluate(() => {
		const c = document.querySelector('#metric-list input[name="metric"]:checked');
		return c ? c.value : null;
	});
}
async function focusedId(page) {
	return page.evaluate(() => document.activeElement && document.activeElement.id);
}
// Every visible form control has an accessible name.
async function assertLabelled(page) {
	const bad = await page.evaluate(() => {
		const out = [];
		for (const n of document.querySelectorAll("input, button, select, textarea, a[href]")) {
			if (!n.offsetParent && n.type !== "radio") continue;
			const name = (n.getAttribute("aria-label") || "").trim() ||
				(n.labels && [...n.labels].map((l) => l.textContent).join(" ").trim()) ||
				(n.getAttribute("aria-labelledby") || "").trim() ||
				(n.tagName !== "INPUT" ? n.textContent.trim() : "");
			if (!name) out.push(n.outerHTML.slice(0, 120));
		}
		return out;
	});
	assert.deepEqual(bad, [], "controls without an accessible name");
}
async function assertNoHorizontalScroll(page, width) {
	const w = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(w <= width, "page is " + w + " px wide on a " + width + " px screen");
}

// A fresh browser context (own cookies), signed in as email when given.
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
async function goto(page, p) {
	await page.goto(BASE + p, { waitUntil: "domcontentloaded" });
}
async function openConnect(t, as, id, opts) {
	const page = await open(t, { as, ...opts });
	await goto(page, "/store/" + id + "/klaviyo-connect");
	await seeVisible(page, "#layout");
	return page;
}
function posts(t, re) {
	return t.requests.filter((r) => r.method !== "GET" && re.test(r.url));
}
function testPosts(t) {
	return posts(t, /\/klaviyo-connect$/).filter((r) => /"action":"test"/.test(r.body));
}
// What a person does to test a key: type it, press Test.
async function testKey(page, key) {
	await page.fill("#api-key", key);
	await until(() => enabled(page, "#test-btn"), "Test to be enabled");
	await page.click("#test-btn");
}
async function waitIdle(page) {
	await until(async () => (await page.locator("#main[aria-busy]").count()) === 0, "the request to end", 20000);
}

// After each test: what must hold on every page, whatever the test did.
async function invariants(t) {
	for (const r of t.requests) {
		const u = new URL(r.url);
		if (!/^(data|blob|about):/.test(r.url)) assert.equal(u.origin, ORIGIN, "request to another origin: " + r.url);
		assert.ok(!/pk_/i.test(decodeURIComponent(r.url)), "a request URL carries an API key: " + r.method + " " + r.url);
		for (const k of ALL_KEYS.concat(t.keys)) assert.ok(!r.url.includes(k), "key in URL " + r.url);
	}
	for (const line of t.console) {
		assert.ok(!/Content.Security.Policy|Refused to/i.test(line), "CSP violation: " + line);
		assert.ok(!/pk_[A-Za-z0-9]{8}/.test(line), "the console shows a key: " + line);
	}
	assert.deepEqual(t.errors, [], "uncaught errors in the page");
	for (const ctx of t.contexts) {
		for (const p of ctx.pages()) {
			const store = await p.evaluate(() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])).catch(() => "[]");
			assert.ok(!/pk_/.test(store), "web storage or cookies hold a key: " + store);
		}
	}
}

// --------------------------------------------------------------- tests --

const tests = [];
function test(name, fn, opts = {}) {
	tests.push({ name, fn, ...opts });
}

// ---- login and store list

test("login: wrong password, then back to the page the user came from", async (t) => {
	const owner = user("owner");
	const id = store("Login Store", { owner: "owner" });
	const page = await open(t);
	await goto(page, "/store/" + id + "/klaviyo-connect");
	await page.waitForURL(/\/login\?next=/);
	await seeText(page, "#info", /Sign in to continue/);
	assert.equal(await focusedId(page), "email", "the email field has the focus");
	await page.fill("#email", owner);
	await page.fill("#password", "not-the-password");
	await page.click("#submit");
	await seeText(page, "#error", /^Wrong email or password\. Check both and try again\.$/);
	assert.equal(await page.getAttribute("#password", "aria-invalid"), "true");
	assert.ok(await enabled(page, "#submit"), "Sign in is enabled again");
	assert.equal(await page.inputValue("#password"), "", "the wrong password is cleared");
	await shot(page, "login-wrong-password");
	// Keyboard only: type, Enter.
	await page.focus("#password");
	await page.keyboard.type(PASSWORD);
	await page.keyboard.press("Enter");
	await page.waitForURL(BASE + "/store/" + id + "/klaviyo-connect");
	await seeText(page, "#crumb-store", new RegExp(storeName(id)));
	await seeText(page, "#who", new RegExp(owner.replace(/[.]/g, "\\.")));
});

test("login: throttled after repeated failures, with the time to wait", async (t) => {
	const email = user("throttled");
	const page = await open(t);
	await goto(page, "/login");
	let msg = "";
	for (let i = 0; i < 12; i++) {
		await page.fill("#email", email);
		await page.fill("#password", "wrong-" + i);
		await page.click("#submit");
		await until(async () => (await textOf(page, "#error")) !== "" && (await page.locator("#submit[aria-busy]").count()) === 0, "an answer");
		msg = await textOf(page, "#error");
		if (/Too many/.test(msg)) break;
		assert.match(msg, /Wrong email or password/);
	}
	assert.match(msg, /Too many failed sign-ins\. For your security, wait (\d+ seconds?|\d+ minutes?( \d+ seconds?)?) before you try again\./);
	assert.ok(!(await enabled(page, "#submit")), "Sign in is disabled while waiting");
	await seeText(page, "#submit", /^Try again in \d+/);
	await shot(page, "login-throttled");
});

test("login: an outside ?next= never leads away from the site; store list links to the connect pages", async (t) => {
	const owner = user("listowner");
	const a = store("Alpine Gear", { listowner: "owner" });
	const b = store("Birch Home", { listowner: "owner" });
	setIntegration(a, CONNECTED);
	const page = await open(t);
	await goto(page, "/login?next=" + encodeURIComponent("//evil.example/x"));
	await page.fill("#email", owner);
	await page.fill("#password", PASSWORD);
	await page.click("#submit");
	await page.waitForURL(BASE + "/");
	await seeVisible(page, "#stores .store");
	const cards = page.locator("#stores .store");
	assert.equal(await cards.count(), 2);
	const ta = await textOf(page, "#stores .store:nth-child(1)");
	const tb = await textOf(page, "#stores .store:nth-child(2)");
	assert.match(ta, new RegExp(storeName(a) + ".*Klaviyo: Connected.*Your role: Owner.*" + a + ".*Manage Klaviyo"));
	assert.match(tb, new RegExp(storeName(b) + ".*Klaviyo: Not connected"));
	await assertLabelled(page);
	await shot(page, "store-list");
	await page.click("text=" + storeName(b));
	await page.waitForURL(BASE + "/store/" + b + "/klaviyo-connect");
	await seeText(page, "#badge", /^Not connected$/);
	// Sign out.
	await page.click("#logout");
	await page.waitForURL(/\/login\?signedout=1/);
	await seeText(page, "#info", /You are signed out/);
	await goto(page, "/");
	await page.waitForURL(/\/login\?next=%2F/);
});

test("store list: a user without any store is told what to do", async (t) => {
	const page = await open(t, { as: user("nostores") });
	await goto(page, "/");
	await seeText(page, "#stores", /You do not have access to any store yet\. Ask an owner of your store to give you access/);
});

// ---- connect page: the whole flow

test("connect: Shopify account, from key to connected, then Sync now", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Acme Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await seeText(page, "#badge", /^Not connected$/);
	await seeText(page, "#status-text", /not connected to this store yet/);
	assert.ok(!(await visible(page, "#facts")), "no facts before connecting");
	assert.ok(!(await visible(page, "#manage-actions")), "no manage buttons before connecting");
	await seeText(page, "#connect-h", /^Connect Klaviyo$/);

	// OAuth is not configured here: the button says so and leads to the key.
	assert.equal(await page.getAttribute("#oauth-btn", "aria-disabled"), "true");
	await seeText(page, "#oauth-note", /OAuth is not set up on this server\. Use the private API key method instead/);
	await seeText(page, "#oauth-tag", /Not set up/);
	// aria-disabled, not disabled: it stays focusable and explains itself.
	await page.focus("#oauth-btn");
	await page.keyboard.press("Enter");
	assert.equal(await focusedId(page), "api-key", "the OAuth button moves to the key field");
	assert.equal(t.requests.filter((r) => /oauth/.test(r.url)).length, 0, "no OAuth request");

	// Live format validation, before any request.
	assert.ok(!(await enabled(page, "#test-btn")), "Test is disabled while the field is empty");
	await seeText(page, "#key-hint", /Starts with pk_\. Find it in Klaviyo under Settings/);
	const cases = [
		["abc", /A Klaviyo private API key starts with pk_/, true],
		["AbC123", /looks like your public API key \(site ID\)/, true],
		["pk_abc", /Keep going: 3 characters after pk_; a private key has at least 20/, false],
		["pk_abcdefghij-klmnopqrstuv", /“-” is not allowed/, true],
		["Klaviyo-API-Key " + KEY.shopify, /without “Klaviyo-API-Key”/, true],
		["pk_abc defghijklmnopqrstuvw", /contains spaces or line breaks/, true],
		["pk_" + "a".repeat(65), /Too long for a Klaviyo key: 65 characters after pk_/, true],
	];
	for (const [value, re, invalid] of cases) {
		await page.fill("#api-key", value);
		await seeText(page, "#key-hint", re);
		assert.equal(await page.getAttribute("#api-key", "aria-invalid"), invalid ? "true" : null, value);
		assert.ok(!(await enabled(page, "#test-btn")), "Test stays disabled for " + value);
	}
	await page.fill("#api-key", "pk_abc");
	await page.locator("#api-key").blur();
	await seeText(page, "#key-hint", /Too short: 3 characters after pk_/);
	await page.fill("#api-key", "AbC123");
	await shot(page, "connect-key-format-error");
	assert.equal(posts(t, /klaviyo-connect$/).length, 0, "nothing was sent while the format was wrong");

	await page.fill("#api-key", KEY.shopify);
	await seeText(page, "#key-hint", /Looks like a private API key\. Test it/);
	assert.equal(await page.getAttribute("#api-key", "type"), "text");
	assert.ok((await page.getAttribute("#api-key", "class")).includes("masked"), "the key is masked on screen");
	await page.click("#test-btn");
	await seeVisible(page, "#metric-step");
	await seeText(page, "#account-box", /Key works\. Klaviyo account Acme Outdoor \(ms2AAo\).*America\/New_York · USD · 512 metrics/);
	assert.equal(await focusedId(page), "metric-h", "the focus moves to the metric step");
	await seeText(page, "#metric-count", /^512 metrics in this account\.$/);
	assert.ok(await visible(page, "#metric-search"), "a long list is searchable");
	assert.equal(await checkedMetric(page), "bWFrb5", "Shopify Placed Order is preselected");
	await seeText(page, '[data-metric-id="bWFrb5"]', /Placed Order.*Recommended/);
	const legends = await page.locator("#metric-list legend").allInnerTexts();
	assert.deepEqual(legends.map((s) => s.replace(/\s*\(\d+\)/, "").trim().toLowerCase()), ["shopify", "other integrations"]);
	assert.ok(!(await visible(page, "#no-po-warning")), "no Placed Order warning");
	await seeText(page, "#metric-explain", /Chosen: “Placed Order” \(Shopify\)\. Orders and revenue are synced too\..*do_not_order_sync: false/);
	assert.ok(await enabled(page, "#connect-btn"));
	await shot(page, "connect-metrics-shopify");

	// Search, and what another metric would mean.
	await page.fill("#metric-search", "placed order");
	await seeText(page, "#metric-count", /^Showing 2 of 512 metrics\.$/);
	assert.ok(await visible(page, '[data-metric-id="PGGbvj"]'));
	await page.click('[data-metric-id="PGGbvj"]');
	assert.equal(await checkedMetric(page), "PGGbvj");
	await seeText(page, "#metric-explain", /Chosen: “Placed Order” \(API\)\. Orders will not be synced\..*choose that one to sync orders.*do_not_order_sync: true/);
	await shot(page, "connect-metric-search-other");
	await page.fill("#metric-search", "no such metric here");
	await seeText(page, "#metric-count", /No metric matches “no such metric here”/);
	await page.fill("#metric-search", "");
	await page.click('[data-metric-id="bWFrb5"]');
	assert.equal(await checkedMetric(page), "bWFrb5");

	// Connect.
	await page.click("#connect-btn");
	await seeText(page, "#flash", /Klaviyo is connected to Acme Outdoor\. The first sync starts in a moment.*Orders and revenue are synced too\./, 20000);
	await seeText(page, "#badge", /^Connected$/);
	await seeText(page, "#status-text", /Connected to the Klaviyo account Acme Outdoor/);
	await seeText(page, "#f-account", /Acme Outdoor.*Account ID ms2AAo · America\/New_York · USD/);
	await seeText(page, "#f-key", /^pk_sbxs… Stored encrypted; never shown in full\.$/);
	await seeText(page, "#f-metric", /Placed Order Shopify Shopify Placed Order Orders and revenue are synced too\./);
	await seeText(page, "#f-connected", /\d{4}.*(just now|minute)/);
	await seeText(page, "#f-lastsync", /Not synced yet/);
	assert.ok(!(await visible(page, "#f-error-row")), "no last error");
	assert.ok(!(await visible(page, "#connect-card")), "the connect panel is closed");
	assert.equal(await page.inputValue("#api-key"), "", "the key field is emptied");
	assert.ok(!(await page.content()).includes(KEY.shopify), "the key is nowhere in the page");
	await seeVisible(page, "#progress-card");
	assert.equal(await page.locator("#progress-list .progress-item").count(), 5);
	await seeText(page, "#progress-list", /Campaigns.*Flows.*Segments.*Sign-up forms.*Orders/);
	for (const b of ["#sync-now", "#change-metric", "#rotate-key", "#disconnect"]) assert.ok(await enabled(page, b), b);
	// The key went in the body of two POSTs, never elsewhere.
	const keyPosts = t.requests.filter((r) => r.body.includes(KEY.shopify));
	assert.equal(keyPosts.length, 2, "one test and one connect request carry the key");
	for (const r of keyPosts) assert.equal(new URL(r.url).pathname, "/api/store/" + id + "/klaviyo-connect");
	await shot(page, "connect-connected");

	// Sync now: until the route exists it answers 404 "No such route".
	await page.click("#sync-now");
	await seeText(page, "#sync-msg", /Sync is not available yet\.|Sync started\./);
	await until(() => enabled(page, "#sync-now"), "Sync now enabled again");
	await shot(page, "connect-sync-now");
	assert.equal(posts(t, /\/klaviyo-sync$/).length, 1);
}, { sandbox: true });

test("connect: account without Shopify Placed Order (warning, nothing preselected)", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Bluebird Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await testKey(page, KEY.woo);
	await seeVisible(page, "#metric-step");
	await seeText(page, "#account-box", /Bluebird Books \(iz2zlU\)/);
	await seeText(page, "#no-po-warning", /No Shopify “Placed Order” metric in this Klaviyo account\..*Integrations → Shopify.*pick the metric that records your conversions.*create a custom metric.*order data is not synced/);
	assert.equal(await checkedMetric(page), null, "no metric preselected");
	await seeText(page, "#metric-explain", /No metric chosen yet/);
	const legends = (await page.locator("#metric-list legend").allInnerTexts()).map((s) => s.replace(/\s*\(\d+\)/, "").trim().toLowerCase());
	assert.deepEqual(legends, ["shopify", "other integrations"]);
	await seeText(page, '[data-group="shopify"]', /Fulfilled Order/);
	await seeText(page, '[data-metric-id="NPJO48"]', /Placed Order Suggested WooCommerce/);
	await shot(page, "connect-no-placed-order");
	// Connect without a choice: told to choose, nothing sent.
	const before = posts(t, /klaviyo-connect$/).length;
	await page.click("#connect-btn");
	await seeText(page, "#connect-error", /Choose the conversion metric first/);
	assert.equal(posts(t, /klaviyo-connect$/).length, before);
	await page.click('[data-metric-id="NPJO48"]');
	await seeText(page, "#metric-explain", /Chosen: “Placed Order” \(WooCommerce\)\. Orders will not be synced\..*do_not_order_sync: true/);
	assert.ok(!(await visible(page, "#connect-error")));
	await page.click("#connect-btn");
	await seeText(page, "#flash", /Klaviyo is connected to Bluebird Books.*Orders are not synced with this metric/, 20000);
	await seeText(page, "#f-metric", /Placed Order WooCommerce Orders are not synced: that needs Shopify’s Placed Order/);
	await seeText(page, '#progress-list [data-type="orders"]', /Orders Not synced Orders are synced only when the conversion metric is Shopify’s Placed Order/);
	await shot(page, "connect-connected-woocommerce");
}, { sandbox: true });

test("connect: custom metrics are grouped; an account without metrics cannot be connected", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Cedar Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await testKey(page, KEY.custom);
	await seeVisible(page, "#metric-step");
	await seeText(page, "#metric-count", /^27 metrics in this account\.$/);
	const legends = (await page.locator("#metric-list legend").allInnerTexts()).map((s) => s.trim().toLowerCase());
	assert.deepEqual(legends.map((s) => s.replace(/\s*\(\d+\)/, "")), ["other integrations", "custom metrics"]);
	assert.equal(await page.locator('[data-group="custom"] .metric').count(), 3);
	await seeText(page, '[data-group="custom"]', /Qualified Purchase Custom/);
	await page.fill("#metric-search", "subscription");
	await seeText(page, "#metric-count", /Showing 2 of 27/);
	await shot(page, "connect-custom-metrics");
	// Another key in the same field: the old result goes away.
	await page.fill("#api-key", KEY.empty);
	await seeVisible(page, "#metric-step", false);
	await page.click("#test-btn");
	await seeVisible(page, "#metric-step");
	await seeText(page, "#no-metrics", /This Klaviyo account has no metrics yet\..*Integrations.*test the key again/);
	assert.ok(!(await enabled(page, "#connect-btn")), "Connect is disabled without metrics");
	assert.ok(!(await visible(page, "#metric-fieldset")));
}, { sandbox: true });

// ---- Klaviyo failures

test("Klaviyo refuses: invalid key, then a key without the metrics scope", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Refused Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await testKey(page, KEY.unknown);
	await seeText(page, "#form-error", /Klaviyo did not accept this key Klaviyo did not accept this API key\. Check that you copied the whole private key.*not been revoked or deleted in Klaviyo under Settings → API keys/);
	assert.equal(await page.getAttribute("#api-key", "aria-invalid"), "true");
	assert.ok(!(await visible(page, "#metric-step")));
	assert.ok(await enabled(page, "#test-btn"), "Test can be pressed again");
	await seeText(page, "#badge", /^Not connected$/);
	await shot(page, "error-invalid-key");
	await testKey(page, KEY.noscope);
	await seeText(page, "#form-error", /The key is missing a permission This API key is missing the “metrics:read” permission.*give it Read access to every scope listed under “Scopes the key needs”/);
	assert.ok(!(await visible(page, "#metric-step")));
	await shot(page, "error-scope-missing");
	assert.equal(sql("SELECT klaviyo_integration->>'status' FROM stores WHERE public_id = " + lit(id)), "not_configured");
}, { sandbox: true });

test("Klaviyo slow: the button says it is working, nothing is sent twice", async (t) => {
	await klaviyoReset();
	await sbx("POST", "/__sandbox/faults", { fault: "latency", key: KEY.many, path: "/api/accounts", ms: Math.min(2500, Math.floor(KV_TIMEOUT_MS / 2)) });
	const owner = user("owner");
	const id = store("Slow Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await testKey(page, KEY.many);
	await seeText(page, "#test-btn", /^Testing with Klaviyo…$/);
	assert.equal(await page.getAttribute("#test-btn", "aria-busy"), "true");
	assert.ok(!(await enabled(page, "#test-btn")), "Test is disabled while it runs");
	assert.equal(await page.getAttribute("#api-key", "readonly"), "", "the key cannot change meanwhile");
	// Try hard to send it again.
	await page.locator("#api-key").press("Enter").catch(() => {});
	await page.evaluate(() => document.getElementById("key-form").requestSubmit());
	await page.locator("#test-btn").click({ force: true, timeout: 1000 }).catch(() => {});
	await shot(page, "klaviyo-slow-testing", { busy: true });
	await seeVisible(page, "#metric-step", true, 20000);
	await seeText(page, "#account-box", /Granite Peak Outfitters \(aKa3QH\)/);
	assert.equal(await checkedMetric(page), "GOdodE");
	assert.equal(testPosts(t).length, 1, "exactly one test request");
	await seeText(page, "#test-btn", /^Test key$/);
}, { sandbox: true });

test("Klaviyo rate-limited: the wait is shown and counted down, then it works", async (t) => {
	await klaviyoReset();
	await sbx("POST", "/__sandbox/faults", { fault: "status", status: 429, key: KEY.custom });
	const owner = user("owner");
	const id = store("Busy Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	// Klaviyo answers 429 (Retry-After: 1) until our client gives up.
	await testKey(page, KEY.custom);
	const rl = /Klaviyo asks us to slow down Klaviyo is limiting how many requests we can make for this account right now\. Wait (\d+) seconds?, then try again\. Nothing was changed\./;
	await seeText(page, "#form-error", rl, 20000);
	assert.ok(!(await enabled(page, "#test-btn")), "Test waits");
	assert.match(await textOf(page, "#test-btn"), /^Try again in \d+ seconds?$/);
	await sbx("DELETE", "/__sandbox/faults");
	await until(() => enabled(page, "#test-btn"), "Test enabled after the wait", 5000);
	// Our own limiter holds this account for a while (as after a long
	// Retry-After): the page says how long, and counts down.
	const hold = Math.max(6, Math.ceil(KV_MAX_WAIT_MS / 1000) + 3);
	const held = sql("UPDATE rate_buckets SET blocked_until = now() + interval '" + hold + " seconds' RETURNING 1").split("\n").filter(Boolean).length;
	assert.ok(held > 0, "the account's rate buckets exist");
	await page.click("#test-btn");
	const msg = await seeText(page, "#form-error", rl, 20000);
	const wait = +rl.exec(msg)[1];
	assert.ok(wait >= hold - 2 && wait <= hold + 1, "the wait is the one Klaviyo's limit needs: " + wait);
	await seeText(page, "#test-btn", /^Try again in \d+ seconds?$/);
	assert.ok(!(await enabled(page, "#test-btn")));
	await shot(page, "klaviyo-rate-limited");
	await until(() => enabled(page, "#test-btn"), "Test enabled after the wait", (wait + 3) * 1000);
	await seeText(page, "#test-btn", /^Test key$/);
	await page.click("#test-btn");
	await seeVisible(page, "#metric-step", true, 20000);
	await seeText(page, "#account-box", /Cedar & Sage Apothecary/);
	assert.equal(testPosts(t).length, 3);
}, { sandbox: true });

test("Klaviyo down: 5xx answers and a dropped connection", async (t) => {
	await klaviyoReset();
	await sbx("POST", "/__sandbox/faults", { fault: "status", status: 503, key: KEY.unknown });
	const owner = user("owner");
	const id = store("Down Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await testKey(page, KEY.unknown);
	await seeText(page, "#form-error", /Klaviyo had a problem Klaviyo answered with an error on its side\. Wait a few minutes and try again.*Nothing was changed\./, 20000);
	assert.ok(await enabled(page, "#test-btn"));
	await shot(page, "klaviyo-down-5xx");
	await sbx("DELETE", "/__sandbox/faults");
	await sbx("POST", "/__sandbox/faults", { fault: "reset", key: KEY.unknown });
	await page.click("#test-btn");
	await seeText(page, "#form-error", /Klaviyo cannot be reached We could not reach Klaviyo just now; it may be having an outage/, 20000);
	await shot(page, "klaviyo-unreachable");
	// A Klaviyo that never answers, when the service gives up soon enough.
	if (KV_TIMEOUT_MS <= 5000) {
		await sbx("DELETE", "/__sandbox/faults");
		await sbx("POST", "/__sandbox/faults", { fault: "hang", key: KEY.unknown, ms: KV_TIMEOUT_MS + 3000 });
		await page.click("#test-btn");
		await seeText(page, "#form-error", /Klaviyo is slow to answer Klaviyo took too long to answer/, KV_TIMEOUT_MS + 15000);
		await shot(page, "klaviyo-timeout");
	}
}, { sandbox: true });

test("every other error of the API is a sentence with what to do (answers replayed)", async (t) => {
	const owner = user("owner");
	const id = store("Errors Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	const cases = [
		[504, "klaviyo_timeout", "Klaviyo did not answer in time", /Klaviyo took too long to answer\. This is usually temporary: wait a minute/],
		[502, "klaviyo_bad_response", "Klaviyo answered /api/metrics with malformed JSON", /Klaviyo sent an answer we could not read\. Try again in a few minutes/],
		[409, "conflict", "Conflicting state", /Klaviyo is no longer connected for this store; someone may have just disconnected it/],
		[413, "payload_too_large", "Request body is larger than 64 KiB", /too long to send\. Paste only the API key/],
		[415, "unsupported_media_type", "Request body must be application/json", /does not accept\. Reload the page and try again/],
		[403, "forbidden", "Insufficient permissions", /Your role on this store does not allow changing the Klaviyo connection\. Ask an owner or admin/],
		[403, "forbidden", "Cross-origin request refused: the Origin does not match APP_URL", /refused for security reasons\. Reload the page/],
		[404, "not_found", "Store not found", /This store does not exist or you do not have access to it/],
		[503, "database_unavailable", "The database is unavailable, try again shortly", /The service is briefly unavailable\. Nothing was changed/],
		[500, "internal_error", "Internal error", /Something went wrong on our side\. Nothing was changed/],
		[400, "bad_request", "Field 'apiKey' is required", /The server did not accept the request: Field 'apiKey' is required\./],
		[405, "method_not_allowed", "Method not allowed", /not available on this server yet/],
		[422, "unknown_metric", "The selected conversion metric does not belong to this Klaviyo account", /does not belong to this Klaviyo account.*pick a metric from the new list/],
		[401, "unauthorized", "Your session has expired or is invalid; sign in again", /Your session has ended\. Sign in again to continue\./],
	];
	let reply = null;
	await page.route("**/api/store/*/klaviyo-connect", async (route) => {
		if (route.request().method() !== "POST" || !reply) return route.continue();
		if (reply === "abort") return route.abort("failed");
		await route.fulfill({ status: reply[0], contentType: "application/json", body: JSON.stringify({ success: false, error: reply[2], code: reply[1] }) });
	});
	await page.fill("#api-key", KEY.shopify);
	for (const c of cases) {
		reply = c;
		await page.click("#test-btn");
		const seen = await seeText(page, "#form-error", c[3]);
		assert.ok(!seen.includes(c[1]), "no machine code shown: " + seen);
		await waitIdle(page);
		assert.ok(await enabled(page, "#test-btn"), "Test enabled after " + c[0]);
		if (c[0] === 401) {
			assert.match(await page.getAttribute("#form-error a", "href"), /^\/login\?next=%2Fstore%2F/);
			await shot(page, "error-session-ended");
		}
	}
	reply = "abort";
	await page.click("#test-btn");
	await seeText(page, "#form-error", /No connection We could not reach the service\. Check your internet connection/);
	await waitIdle(page);
	assert.ok(await enabled(page, "#test-btn"));
	await shot(page, "error-network");
});

// ---- while connected

test("connected: change the conversion metric and replace the key, without disconnecting", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Rotate Shop", { owner: "owner" });
	await apiConnect(id, owner, KEY.shopify, "bWFrb5");
	const page = await openConnect(t, owner, id);
	await seeText(page, "#badge", /^Connected$/);
	const connectedAt = await textOf(page, "#f-connected");

	// Change metric: the list comes with the stored key, nothing to paste.
	const before = t.requests.length;
	await page.click("#change-metric");
	await seeText(page, "#connect-h", /^Change the conversion metric$/);
	assert.ok(!(await visible(page, "#method-oauth")), "no OAuth when changing the metric");
	await seeVisible(page, "#metric-step");
	assert.ok(!(await visible(page, "#methods")), "no key field: the stored key lists the metrics");
	assert.ok(t.requests.slice(before).some((r) => r.method === "GET" && r.url.endsWith("/klaviyo-metrics")),
	    "the list came from GET …/klaviyo-metrics");
	assert.equal(await checkedMetric(page), "bWFrb5", "the current metric is preselected");
	await seeText(page, '[data-metric-id="bWFrb5"]', /Current/);
	await page.fill("#metric-search", "placed");
	await page.click('[data-metric-id="PGGbvj"]');
	await seeText(page, "#connect-btn", /^Save metric$/);
	await shot(page, "connected-change-metric");
	const n = t.requests.length;
	await page.click("#connect-btn");
	await seeText(page, "#flash", /The conversion metric is now “Placed Order” \(API\)\. Orders are not synced with this metric\./, 20000);
	const save = t.requests.slice(n).find((r) => r.method === "POST");
	assert.deepEqual(JSON.parse(save.body), { conversionMetricId: "PGGbvj" }, "only the metric is sent");
	await seeText(page, "#badge", /^Connected$/);
	await seeText(page, "#f-metric", /Placed Order API Orders are not synced/);
	assert.equal(await page.inputValue("#api-key"), "");

	// Again: the list is known now, no key needed.
	await page.click("#change-metric");
	await seeVisible(page, "#metric-step");
	assert.ok(!(await visible(page, "#methods")), "no key field the second time");
	assert.equal(await checkedMetric(page), "PGGbvj");
	await page.fill("#metric-search", "placed");
	await page.click('[data-metric-id="bWFrb5"]');
	await page.click("#connect-btn");
	await seeText(page, "#flash", /The conversion metric is now “Placed Order” \(Shopify\)\. Orders and revenue are synced too\./, 20000);

	// Replace the key with one of the same account: data kept.
	await page.click("#rotate-key");
	await seeText(page, "#connect-h", /^Replace the API key$/);
	await seeText(page, "#connect-intro", /your synced data is kept and nothing is disconnected/);
	await testKey(page, KEY.shopify);
	await seeVisible(page, "#metric-step");
	assert.equal(await checkedMetric(page), "bWFrb5");
	assert.ok(!(await visible(page, "#account-warn")));
	await seeText(page, "#connect-btn", /^Save new key$/);
	await page.click("#connect-btn");
	await seeText(page, "#flash", /The API key was replaced\. The connection to Acme Outdoor and its synced data are kept\./, 20000);
	assert.equal(await textOf(page, "#f-connected"), connectedAt, "the connection time is kept");
	assert.equal(await page.inputValue("#api-key"), "");

	// A key of another account: said plainly before anything happens.
	await page.click("#rotate-key");
	await testKey(page, KEY.woo);
	await seeText(page, "#account-warn", /This key belongs to a different Klaviyo account\..*Bluebird Books \(iz2zlU\); this store is connected to Acme Outdoor \(ms2AAo\)\. Saving replaces the connection: the data synced from Acme Outdoor is deleted/);
	await seeText(page, "#connect-btn", /^Switch to Bluebird Books$/);
	await shot(page, "connected-rotate-other-account");
	await page.click("#panel-close");
	await seeVisible(page, "#connect-card", false);
	assert.equal(await focusedId(page), "rotate-key");
	await seeText(page, "#f-account", /Acme Outdoor/);
	assert.equal(sql("SELECT klaviyo_integration->>'public_id' FROM stores WHERE public_id = " + lit(id)), "ms2AAo");
}, { sandbox: true });

test("disconnect: the confirmation says what is deleted; cancel keeps, confirm deletes", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Leaving Shop", { owner: "owner" });
	await apiConnect(id, owner, KEY.many, "GOdodE");
	const page = await openConnect(t, owner, id);
	await seeText(page, "#badge", /^Connected$/);
	await page.click("#disconnect");
	await seeVisible(page, "#disconnect-dialog");
	await seeText(page, "#dlg-h", new RegExp("^Disconnect Klaviyo from " + storeName(id) + "\\?$"));
	await seeText(page, "#dlg-desc", /Granite Peak Outfitters.*deletes: the saved API key, all data synced from Klaviyo for this store: campaigns, flows, segments, forms, orders and their statistics, the sync history, and any sync that is waiting to run\..*not touched/);
	assert.equal(await focusedId(page), "dlg-cancel", "the safe choice has the focus");
	await shot(page, "disconnect-confirm", { full: false });
	await page.keyboard.press("Escape");
	await seeVisible(page, "#disconnect-dialog", false);
	assert.equal(await focusedId(page), "disconnect", "the focus comes back");
	await seeText(page, "#badge", /^Connected$/);
	assert.equal(posts(t, /klaviyo-connect$/).length, 0);
	await page.click("#disconnect");
	await page.click("#dlg-confirm");
	await seeText(page, "#flash", new RegExp("Klaviyo is disconnected from " + storeName(id) + "\\. The API key and the data synced from Klaviyo were deleted\\."), 20000);
	const del = posts(t, /klaviyo-connect$/);
	assert.equal(del.length, 1);
	assert.equal(del[0].method, "DELETE");
	await seeText(page, "#badge", /^Not connected$/);
	await seeVisible(page, "#connect-card");
	assert.ok(!(await visible(page, "#progress-card")));
	assert.equal(sql("SELECT count(*) FROM klaviyo_credentials c JOIN stores s ON s.id = c.store_id WHERE s.public_id = " + lit(id)), "0");
	await shot(page, "disconnected");
}, { sandbox: true });

test("status: error and disconnected states say what happened and what to do", async (t) => {
	const owner = user("owner");
	const id = store("Broken Shop", { owner: "owner" });
	setIntegration(id, { ...CONNECTED, status: "error", last_error: { code: "klaviyo_key_rejected", message: "Failed to validate API key", at: "2026-01-16T08:00:00Z" } });
	const page = await openConnect(t, owner, id);
	await seeText(page, "#badge", /^Error$/);
	await seeText(page, "#status-text", /has a problem, so reports are not being synced\. Replace the API key/);
	await seeText(page, "#f-error", /Klaviyo did not accept this API key/);
	assert.ok(await visible(page, "#rotate-key"));
	assert.ok(!(await visible(page, "#sync-now")), "no Sync now while in error");
	await shot(page, "status-error");
	setIntegration(id, { ...CONNECTED, status: "disconnected" });
	await page.reload();
	await seeText(page, "#badge", /^Disconnected$/);
	await seeText(page, "#status-text", /was disconnected from this store.*Connect it again below/);
	await seeVisible(page, "#connect-card");
	assert.ok(await visible(page, "#disconnect"), "the leftover data can be deleted");
});

// ---- sync progress (the sync route and daemon are replayed until they exist)

test("sync progress: per-type bars refresh while a sync runs and stop when it ends", async (t) => {
	const owner = user("owner");
	const id = store("Progress Shop", { owner: "owner" });
	setIntegration(id, { ...CONNECTED, last_sync: null, campaign_values_last_update: null, flow_series_last_update: null });
	const page = await open(t, { as: owner });
	let phase = 0;
	let gets = 0;
	const now = () => new Date().toISOString();
	const running = (step) => ({
		campaigns: { state: "done", done: 80, total: 80, last_sync: now() },
		flows: { state: "running", done: step === 1 ? 31 : 62, total: 80 },
		segments: step === 1 ? { state: "queued" } : { state: "running", done: 4, total: 12 },
		forms: { state: "running", done: 5 },
		orders: { state: "running", done: step * 150, total: 400 },
	});
	const done = () => Object.fromEntries(["campaigns", "flows", "segments", "forms", "orders"].map((k) => [k, { state: "done", done: 80, total: 80, last_sync: now() }]));
	await page.route("**/api/store/*/klaviyo-sync", (route) =>
		route.fulfill({ status: 202, contentType: "application/json", body: JSON.stringify({ success: true, jobs: [11, 12, 13, 14, 15] }) }).then(() => { phase = 1; }));
	await page.route("**/api/store/*/klaviyo-connect", async (route) => {
		if (route.request().method() !== "GET") return route.continue();
		const res = await route.fetch();
		const body = await res.json();
		gets++;
		if (phase >= 1) {
			const k = body.klaviyo_integration;
			if (phase <= 2) {
				k.sync_status = "running";
				k.is_updating_dashboard = true;
				body.sync = running(phase);
			} else {
				k.sync_status = "completed";
				k.last_sync = now();
				body.sync = done();
			}
			phase++;
		}
		await route.fulfill({ response: res, body: JSON.stringify(body) });
	});
	await goto(page, "/store/" + id + "/klaviyo-connect");
	await seeVisible(page, "#progress-card");
	await seeText(page, "#progress-note", /Nothing has been synced yet/);
	await seeText(page, '[data-type="campaigns"]', /^Campaigns Not synced yet$/);
	await page.click("#sync-now");
	await seeText(page, "#sync-msg", /Sync started\. 5 jobs are queued\. Progress shows below and refreshes on its own\./);
	await seeText(page, "#sync-pill", /Syncing…/);
	await seeText(page, '[data-type="flows"]', /Flows Syncing 31 of 80 \(38%\) Last update: never/);
	await seeText(page, '[data-type="campaigns"]', /Campaigns Up to date 80 of 80 Last update: .*just now/);
	await seeText(page, '[data-type="segments"]', /Segments Waiting to start Waiting…/);
	await seeText(page, '[data-type="forms"]', /Sign-up forms Syncing 5 so far/);
	assert.deepEqual(await page.evaluate(() => {
		const p = document.querySelector('[data-type="flows"] progress');
		return [p.value, p.max, p.getAttribute("aria-label")];
	}), [31, 80, "Flows progress"]);
	assert.equal(await page.evaluate(() => document.querySelector('[data-type="forms"] progress').position), -1, "unknown total: indeterminate bar");
	await seeText(page, "#progress-note", /refreshes on its own until it ends/);
	await shot(page, "sync-progress-running");
	// It refreshes by itself.
	await seeText(page, '[data-type="flows"]', /62 of 80 \(77%\)/, 6000);
	await seeText(page, '[data-type="orders"]', /300 of 400/);
	await seeText(page, "#refresh-note", /^Checked at \d/);
	await seeText(page, "#sync-pill", /^Up to date$/, 8000);
	await seeText(page, '[data-type="flows"]', /Flows Up to date 80 of 80/);
	await seeText(page, "#f-lastsync", /just now/);
	await seeText(page, "#sync-msg", /Sync finished\. Your Klaviyo reports are up to date\./);
	assert.ok(!(await visible(page, "#refresh-note")));
	await shot(page, "sync-progress-done");
	// And stops: no more status requests.
	const seen = gets;
	await new Promise((r) => setTimeout(r, 4500));
	assert.equal(gets, seen, "polling stopped after the sync ended");
});

// ---- who may do what

test("viewer: status and progress, no connect or disconnect controls, and who can", async (t) => {
	user("owner");
	const viewer = user("viewer");
	const adminEmail = user("admin");
	const id = store("Viewer Shop", { owner: "owner", viewer: "viewer", admin: "admin" });
	setIntegration(id, CONNECTED);
	const page = await openConnect(t, viewer, id);
	await seeText(page, "#badge", /^Connected$/);
	await seeText(page, "#f-account", /Acme Outdoor/);
	await seeText(page, "#f-key", /pk_sbxs…/);
	await seeText(page, "#f-metric", /Placed Order/);
	await seeVisible(page, "#progress-card");
	await seeText(page, '[data-type="campaigns"]', /Campaigns Synced .*Last update: Jan 15, 2026/);
	await seeText(page, "#viewer-note", /You can view this integration \(your role: Viewer\)\. Only owners and admins of this store can connect, change or disconnect Klaviyo/);
	for (const sel of ["#manage-actions", "#sync-now", "#disconnect", "#change-metric", "#rotate-key", "#connect-card", "#api-key", "#test-btn"]) {
		assert.ok(!(await visible(page, sel)), sel + " is hidden for a viewer");
	}
	await assertLabelled(page);
	await shot(page, "viewer-connected");
	// Not connected: still nothing to press.
	setIntegration(id, { status: "not_configured" });
	await page.reload();
	await seeText(page, "#badge", /^Not connected$/);
	await seeText(page, "#status-text", /^Klaviyo is not connected to this store yet\.$/);
	assert.ok(!(await visible(page, "#connect-card")));
	assert.ok(!(await visible(page, "#test-btn")));
	// An admin (level 80) of the same store gets the controls.
	setIntegration(id, CONNECTED);
	const p2 = await openConnect(t, adminEmail, id);
	await seeVisible(p2, "#manage-actions");
	assert.ok(await visible(p2, "#disconnect"));
	assert.ok(!(await visible(p2, "#viewer-note")));
});

test("no access: another store's page says it does not exist, without revealing it", async (t) => {
	user("owner");
	const id = store("Private Shop", { owner: "owner" });
	const page = await open(t, { as: user("outsider") });
	await goto(page, "/store/" + id + "/klaviyo-connect");
	await seeText(page, "#banner", /Store not found This store does not exist or you do not have access to it\..*Back to your stores/);
	await seeText(page, "#page-title", /Store not found/);
	assert.ok(!(await visible(page, "#layout")));
	assert.ok(!(await page.content()).includes(storeName(id)), "the store's name is not shown");
	assert.match(page.url(), /\/klaviyo-connect$/, "no redirect");
	await shot(page, "no-access");
	await page.click("text=Back to your stores");
	await page.waitForURL(BASE + "/");
});

test("session ends while on the page: the action says so and offers to sign in", async (t) => {
	const owner = user("expiring");
	const id = store("Expiring Shop", { expiring: "owner" });
	const page = await openConnect(t, owner, id);
	sql("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = " + lit(owner) + ")");
	await page.fill("#api-key", KEY.shopify);
	await page.click("#test-btn");
	await seeText(page, "#form-error", /Signed out Your session has ended\. Sign in again to continue\. Sign in again/);
	await page.click("#form-error a");
	await page.waitForURL(/\/login\?next=%2Fstore%2F/);
});

test("OAuth configured (hint in /api/me): the button is live and starts at our OAuth route", async (t) => {
	const owner = user("owner");
	const id = store("OAuth Shop", { owner: "owner" });
	const page = await open(t, { as: owner });
	await page.route("**/api/me", async (route) => {
		const res = await route.fetch();
		const body = await res.json();
		body.oauth_enabled = true;
		await route.fulfill({ response: res, body: JSON.stringify(body) });
	});
	await page.route("**/api/store/*/klaviyo-oauth/start", (route) => route.fulfill({ status: 200, contentType: "text/plain", body: "OAuth would start here" }));
	await goto(page, "/store/" + id + "/klaviyo-connect");
	await seeVisible(page, "#layout");
	assert.equal(await page.getAttribute("#oauth-btn", "aria-disabled"), null);
	assert.ok(!(await visible(page, "#oauth-note")));
	await seeText(page, "#oauth-tag", /Recommended/);
	await page.click("#oauth-btn");
	await page.waitForURL(BASE + "/api/store/" + id + "/klaviyo-oauth/start");
});

// ---- keyboard and phone

test("keyboard only: reach the key, test, pick a metric with arrows, connect, open and close the dialog", async (t) => {
	await klaviyoReset();
	const owner = user("owner");
	const id = store("Keyboard Shop", { owner: "owner" });
	const page = await openConnect(t, owner, id);
	await page.keyboard.press("Tab");
	assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
	let hops = 0;
	while ((await focusedId(page)) !== "api-key" && hops++ < 25) await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "api-key", "the key field is reachable with Tab");
	await page.keyboard.type(KEY.many);
	await page.keyboard.press("Enter");
	await seeVisible(page, "#metric-step", true, 20000);
	assert.equal(await focusedId(page), "metric-h");
	await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "metric-search");
	await page.keyboard.press("Tab");
	assert.equal(await page.evaluate(() => document.activeElement.value), "GOdodE", "Tab lands on the chosen metric");
	await page.keyboard.press("ArrowDown");
	const moved = await checkedMetric(page);
	assert.notEqual(moved, "GOdodE", "arrows change the metric");
	await seeText(page, "#metric-explain", /Orders will not be synced/);
	await page.keyboard.press("ArrowUp");
	assert.equal(await checkedMetric(page), "GOdodE");
	await assertLabelled(page);
	hops = 0;
	while ((await focusedId(page)) !== "connect-btn" && hops++ < 10) await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "connect-btn");
	await page.keyboard.press("Enter");
	await seeText(page, "#flash", /Klaviyo is connected to Granite Peak Outfitters/, 20000);
	assert.equal(await focusedId(page), "flash", "the result is announced and focused");
	await page.focus("#disconnect");
	await page.keyboard.press("Enter");
	await seeVisible(page, "#disconnect-dialog");
	assert.equal(await focusedId(page), "dlg-cancel");
	await page.keyboard.press("Tab");
	assert.equal(await focusedId(page), "dlg-confirm");
	await page.keyboard.press("Shift+Tab");
	await page.keyboard.press("Enter");
	await seeVisible(page, "#disconnect-dialog", false);
	assert.equal(await focusedId(page), "disconnect");
	await seeText(page, "#badge", /^Connected$/);
}, { sandbox: true });

test("phone (375 px): login, store list and the connect page fit and work", async (t) => {
	await klaviyoReset();
	const owner = user("phone");
	const id = store("Phone Shop", { phone: "owner" });
	const viewport = { width: 375, height: 812 };
	const page = await open(t, { viewport, mobile: true });
	await goto(page, "/login");
	await assertNoHorizontalScroll(page, 375);
	await shot(page, "phone-login");
	await page.fill("#email", owner);
	await page.fill("#password", PASSWORD);
	await page.click("#submit");
	await page.waitForURL(BASE + "/");
	await seeVisible(page, "#stores .store");
	await assertNoHorizontalScroll(page, 375);
	await shot(page, "phone-store-list");
	await page.click("#stores .store a");
	await page.waitForURL(BASE + "/store/" + id + "/klaviyo-connect");
	await seeVisible(page, "#layout");
	await assertNoHorizontalScroll(page, 375);
	const [o, k] = await Promise.all([page.locator("#method-oauth").boundingBox(), page.locator("#method-key").boundingBox()]);
	assert.ok(k.y + k.height <= o.y + 1, "the two methods are stacked on a phone, the working one first");
	assert.ok(k.width <= 375 && k.x >= 0);
	await shot(page, "phone-connect");
	await testKey(page, KEY.many);
	await seeVisible(page, "#metric-step", true, 20000);
	await assertNoHorizontalScroll(page, 375);
	await shot(page, "phone-metrics");
	await page.click("#connect-btn");
	await seeText(page, "#flash", /Klaviyo is connected to Granite Peak Outfitters/, 20000);
	await assertNoHorizontalScroll(page, 375);
	const btn = await page.locator("#disconnect").boundingBox();
	assert.ok(btn.x >= 0 && btn.x + btn.width <= 375, "buttons fit the screen");
	await shot(page, "phone-connected");
	await page.click("#disconnect");
	await seeVisible(page, "#disconnect-dialog");
	const d = await page.locator("#disconnect-dialog").boundingBox();
	assert.ok(d.x >= 0 && d.x + d.width <= 375, "the dialog fits the screen");
	await shot(page, "phone-disconnect-dialog", { full: false });
}, { sandbox: true });

// ---- last: what the services wrote down

test("logs: no service log or access log holds a full API key", async () => {
	const st = env.KC_TEST_STATE;
	const files = [];
	const walk = (d, depth) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory() && depth < 2 && !["pg", "run"].includes(e.name)) walk(p, depth + 1);
			else if (e.isFile() && /\.log$/.test(e.name)) files.push(p);
		}
	};
	walk(st, 0);
	assert.ok(files.length > 0, "log files found in " + st);
	for (const f of files) {
		const text = fs.readFileSync(f, "latin1");
		for (const k of ALL_KEYS) assert.ok(!text.includes(k), f + " holds the key " + k.slice(0, 7) + "…");
	}
}, { state: true });

// -------------------------------------------------------------- runner --

async function main() {
	fs.mkdirSync(SHOTS, { recursive: true });
	sqlTry("DELETE FROM login_throttle");
	if (SBX) await sbx("GET", "/__sandbox/health");
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		// Playwright runs it with a fresh temporary --user-data-dir and
		// removes it at the end.
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
			"--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--mute-audio"],
		timeout: 30000,
	});
	let passed = 0, failed = 0, skipped = 0;
	const started = Date.now();
	for (const tc of tests) {
		if (ONLY && !tc.name.includes(ONLY)) continue;
		if ((tc.sandbox && !SBX) || (tc.state && !env.KC_TEST_STATE)) {
			skipped++;
			console.log("skip - " + tc.name + " (" + (tc.sandbox ? "KC_TEST_SANDBOX_URL" : "KC_TEST_STATE") + " not set)");
			continue;
		}
		const t = { contexts: [], requests: [], console: [], errors: [], keys: [], page: null };
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
	if (SBX) await sbx("DELETE", "/__sandbox/faults").catch(() => {});
	console.log("screenshots (" + shots.length + ") in " + SHOTS);
	console.log("browser tests took " + ((Date.now() - started) / 1000).toFixed(1) + " s");
	console.log(passed + " passed, " + failed + " failed" + (skipped ? ", " + skipped + " skipped" : ""));
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log("FAIL - runner: " + (e && e.stack || e));
	console.log("0 passed, 1 failed");
	process.exit(1);
});
