// What the browser test files share (run.mjs, settings.mjs, dashboard.mjs):
// a command's output, and waiting for what a page shows.  Each file keeps
// its own fixtures, screenshots and runner.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

export async function until(fn, what, ms = 10000) {
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

export async function textOf(page, sel) {
	const loc = page.locator(sel).first();
	if (!(await loc.isVisible())) return "";
	return (await loc.innerText()).replace(/\s+/g, " ").trim();
}

export async function seeText(page, sel, re, ms) {
	let last = "";
	await until(async () => {
		last = await textOf(page, sel);
		return re.test(last);
	}, sel + " to show " + re, ms).catch(() => {
		throw new Error(sel + " should show " + re + ", shows " + JSON.stringify(last));
	});
	return last;
}

export async function visible(page, sel) {
	return page.locator(sel).first().isVisible();
}

export async function seeVisible(page, sel, on = true, ms = 10000) {
	await until(async () => (await visible(page, sel)) === on, sel + (on ? " visible" : " hidden"), ms);
}

export async function enabled(page, sel) {
	return page.locator(sel).first().isEnabled();
}

export async function focusedId(page) {
	return page.evaluate(() => document.activeElement && document.activeElement.id);
}

export async function assertNoHorizontalScroll(page, width) {
	const w = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(w <= width, "page is " + w + " px wide on a " + width + " px screen");
}

export function sh(cmd, args, input) {
	return execFileSync(cmd, args, { input, encoding: "utf8", timeout: 30000, stdio: ["pipe", "pipe", "pipe"] }).trim();
}

// A SQL string literal.
export const lit = (s) => "'" + String(s).replace(/'/g, "''") + "'";
