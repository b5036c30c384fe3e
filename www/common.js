// Shared by the pages: JSON requests, errors in words, dates, top bar.
// No framework, no third-party code. Nothing here logs or stores what the
// user types (an API key never leaves the request body that carries it).

// One JSON request. Never throws: network failures come back as
// {ok:false, network:true}. State-changing requests always carry
// Content-Type: application/json (the server's CSRF rule), DELETE too.
export async function api(method, path, body) {
	const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
	if (method !== "GET" && method !== "HEAD") {
		opts.headers["Content-Type"] = "application/json";
		opts.body = JSON.stringify(body === undefined ? {} : body);
	}
	let res;
	try {
		res = await fetch(path, opts);
	} catch (e) {
		return { ok: false, status: 0, network: true, body: {}, code: "network_error", error: "" };
	}
	let data = {};
	try {
		data = await res.json();
	} catch (e) {
		data = {};
	}
	if (data === null || typeof data !== "object") data = {};
	const ra = parseInt(res.headers.get("Retry-After") || "", 10);
	return {
		ok: res.ok && data.success !== false,
		status: res.status,
		body: data,
		code: typeof data.code === "string" ? data.code : "",
		error: typeof data.error === "string" ? data.error : "",
		retryAfter: Number.isFinite(ra) && ra > 0 ? ra : 0,
	};
}

// "1 second", "45 seconds", "2 minutes", "1 minute 30 seconds".
export function duration(secs) {
	secs = Math.max(1, Math.round(secs));
	if (secs < 60) return secs + (secs === 1 ? " second" : " seconds");
	const plural = (n, w) => n + " " + w + (n === 1 ? "" : "s");
	if (secs >= 600) return plural(Math.round(secs / 60), "minute");
	const m = Math.floor(secs / 60), s = secs % 60;
	return s === 0 ? plural(m, "minute") : plural(m, "minute") + " " + plural(s, "second");
}

function sentence(s) {
	s = String(s || "").trim();
	if (!s) return "";
	s = s.charAt(0).toUpperCase() + s.slice(1);
	return /[.!?]$/.test(s) ? s : s + ".";
}

const NOTHING_CHANGED = "Nothing was changed.";

// A failed request as sentences a person understands: {title, text,
// wait}. ctx says what was being done: "login", "load", "test",
// "connect", "metric", "sync", "disconnect".
// "oauth" is coming back from Klaviyo's consent page (?oauth_error=) or
// finishing that connection. Besides {title, text}: signin (offer to sign
// in again), oauthAgain (offer to start the Klaviyo sign-in again),
// reconnect (the stored authorization needs a new approval).
export function describeError(r, ctx) {
	const d = describe(r, ctx);
	const transient = ["klaviyo_rate_limited", "rate_limited", "klaviyo_busy", "klaviyo_timeout", "klaviyo_unreachable",
		"klaviyo_error", "database_unavailable", "db_unavailable", "service_unavailable"];
	d.tone = r.network || transient.includes(r.code) || r.code === "access_denied" || r.status === 429 || r.status === 503 || r.status === 504 ? "warn" : "err";
	d.transient = d.tone === "warn" && r.code !== "access_denied";
	// Klaviyo's trouble while coming back: the way on is to start again.
	if (ctx === "oauth" && d.oauthAgain === undefined && (/^klaviyo_/.test(r.code || "") || r.code === "internal_error")) d.oauthAgain = true;
	return d;
}

const START_AGAIN = "Press \u201cConnect with Klaviyo\u201d to start again.";

// The codes of the Klaviyo sign-in (OAuth): the callback's ?oauth_error=
// and the answers of {method: "oauth"}.
function describeOauth(r, ctx) {
	switch (r.code) {
	case "access_denied":
		return { title: "Access was not approved", text: "You pressed Deny in Klaviyo, so nothing was connected. To connect, press \u201cConnect with Klaviyo\u201d again and choose Allow, or use a private API key.", oauthAgain: true };
	case "oauth_failed":
		return { title: "Klaviyo did not complete the sign-in", text: "Klaviyo sent you back without an approval, so nothing was connected. " + START_AGAIN + " If it keeps failing, use a private API key instead.", oauthAgain: true };
	case "oauth_state_unknown":
		return { title: "This link from Klaviyo is not valid", text: "The link that brought you back from Klaviyo is not one we issued (it may be incomplete or copied from elsewhere), so it was ignored and nothing was connected. Open your store\u2019s Klaviyo page and press \u201cConnect with Klaviyo\u201d to start again.", oauthAgain: true };
	case "oauth_state_used":
		return { title: "This link from Klaviyo was already used", text: "Each link back from Klaviyo works only once, and this one was used before (for example by the back button or a reload), so it was ignored and nothing else was changed. If the store is not connected yet, press \u201cConnect with Klaviyo\u201d to start again.", oauthAgain: true };
	case "oauth_state_expired":
		return { title: "That took too long", text: "More than 10 minutes passed between leaving for Klaviyo and coming back, so for your security the approval was not used and nothing was connected. " + START_AGAIN, oauthAgain: true };
	case "oauth_state_user":
		return { title: "This link was not meant for you", text: "The link back from Klaviyo belongs to a sign-in someone else started, so it was ignored and nothing was connected. To connect a store, open it and press \u201cConnect with Klaviyo\u201d yourself." };
	case "signed_out":
		return { title: "You were signed out", text: "Your session ended while you were at Klaviyo, so nothing was connected. Sign in, open your store and press \u201cConnect with Klaviyo\u201d again.", signin: true };
	case "oauth_grant_refused":
		return { title: "Klaviyo withdrew the approval", text: "Klaviyo did not accept the approval when we went to use it (it may have expired or been revoked meanwhile), so nothing was connected. " + START_AGAIN, oauthAgain: true };
	case "oauth_client_refused":
		return { title: "Connecting with Klaviyo is misconfigured", text: "Klaviyo did not accept this service\u2019s app credentials. This is a setup problem on our side, not in your Klaviyo account, and nothing was connected. Use a private API key for now, and tell our support." };
	case "oauth_not_configured":
		return { title: "Connecting with Klaviyo is not set up", text: "Sign-in with Klaviyo (OAuth) is not set up on this server, so nothing was connected. Use a private API key instead." };
	case "oauth_not_authorized":
		return { title: "No Klaviyo approval is waiting", text: "There is no approval from Klaviyo waiting for this store: it was already used, or it is more than 30 minutes old. Nothing was connected. " + START_AGAIN, oauthAgain: true };
	case "oauth_reconnect_required":
		return { title: "Reconnect with Klaviyo", text: "Klaviyo no longer accepts this store\u2019s authorization: it was revoked in Klaviyo (for example when the app was removed there) or it has expired. Reports are not synced until you press \u201cReconnect with Klaviyo\u201d and approve access again; with the same Klaviyo account your synced data is kept.", reconnect: true };
	case "klaviyo_token_rejected":
		if (ctx === "oauth") {
			return { title: "Klaviyo withdrew the approval", text: "Klaviyo no longer accepts the access it approved a moment ago (it may have been revoked in Klaviyo), so nothing was connected. " + START_AGAIN, oauthAgain: true };
		}
		return describeOauth({ ...r, code: "oauth_reconnect_required" }, ctx);
	case "klaviyo_scope_missing":
		if (ctx !== "oauth") return null;
		return { title: "A permission was not granted", text: "The approval in Klaviyo does not include every read permission we need, so nothing was connected. Press \u201cConnect with Klaviyo\u201d again and approve all the access it asks for; if your Klaviyo user cannot grant it, ask an owner or admin of the Klaviyo account, or use a private API key.", oauthAgain: true };
	case "forbidden":
		if (ctx !== "oauth" || /origin/i.test(r.error || "")) return null;
		return { title: "Not allowed", text: "You may no longer change this store\u2019s Klaviyo connection (your role may have changed while you were at Klaviyo), so nothing was connected. Ask an owner or admin of the store." };
	case "unknown_metric":
		if (ctx !== "oauth") return null;
		return { title: "That metric is not in this account", text: "The chosen metric does not belong to the Klaviyo account you approved (it may have been deleted meanwhile). Reload the page to get the current list, then pick a metric again." };
	}
	return null;
}

function describe(r, ctx) {
	const wait = r.retryAfter || 0;
	const server = r.error || "";
	if (r.network) {
		return { title: "No connection", text: "We could not reach the service. Check your internet connection, then try again." };
	}
	const o = describeOauth(r, ctx);
	if (o) return o;
	switch (r.code) {
	case "invalid_api_key_format":
		return { title: "That is not a private API key", text: sentence(server || "A Klaviyo private API key starts with pk_") + " Copy the key again from Klaviyo (Settings \u2192 API keys)." };
	case "klaviyo_key_rejected":
		return { title: "Klaviyo did not accept this key", text: "Klaviyo did not accept this API key. Check that you copied the whole private key (it starts with pk_) and that it has not been revoked or deleted in Klaviyo under Settings \u2192 API keys, then try again." };
	case "klaviyo_scope_missing": {
		const m = /lacks the ([a-z_-]+:[a-z]+) scope/i.exec(server);
		const scope = m ? m[1] : "";
		const what = scope ? "the \u201c" + scope + "\u201d permission" : "a permission we need";
		return {
			title: "The key is missing a permission",
			text: "This API key is missing " + what + ", so we cannot read your Klaviyo data. In Klaviyo, open Settings \u2192 API keys, edit the key (or create a new one) and give it Read access to every scope listed under \u201cScopes the key needs\u201d, then test it again.",
			scope,
		};
	}
	case "klaviyo_rate_limited":
	case "rate_limited":
		if (ctx === "login") {
			return { title: "Too many sign-in attempts", text: "Too many failed sign-ins. For your security, wait " + duration(wait || 60) + " before you try again.", wait: wait || 60 };
		}
		return {
			title: "Klaviyo asks us to slow down",
			text: "Klaviyo is limiting how many requests we can make for this account right now. Wait " + duration(wait || 5) + ", then try again. " + NOTHING_CHANGED,
			wait: wait || 5,
		};
	case "klaviyo_busy":
		// Our own cap on requests waiting for Klaviyo, not Klaviyo's limit.
		return {
			title: "Klaviyo is slow to answer",
			text: "Other requests are still waiting for Klaviyo, so we did not send this one. Wait " + duration(wait || 5) + ", then try again. " + NOTHING_CHANGED,
			wait: wait || 5,
		};
	case "klaviyo_timeout":
		return { title: "Klaviyo is slow to answer", text: "Klaviyo took too long to answer. This is usually temporary: wait a minute, then try again. " + NOTHING_CHANGED };
	case "klaviyo_unreachable":
		return { title: "Klaviyo cannot be reached", text: "We could not reach Klaviyo just now; it may be having an outage. Wait a few minutes and try again (status.klaviyo.com lists incidents). " + NOTHING_CHANGED };
	case "klaviyo_error":
		return { title: "Klaviyo had a problem", text: "Klaviyo answered with an error on its side. Wait a few minutes and try again (status.klaviyo.com lists incidents). " + NOTHING_CHANGED };
	case "klaviyo_bad_response":
		return { title: "Klaviyo sent an unreadable answer", text: "Klaviyo sent an answer we could not read. Try again in a few minutes; if it keeps happening, contact our support. " + NOTHING_CHANGED };
	case "account_already_connected":
		return { title: "Already connected", text: "This Klaviyo account is already connected to this store, so it was not added again. " + NOTHING_CHANGED + " To give it a new key, use \u201cReplace API key\u201d on that account." };
	case "account_mismatch":
		return { title: "Key of another Klaviyo account", text: "This key opens a different Klaviyo account than the one it should replace, so it was not saved. " + NOTHING_CHANGED + " Paste a key of the same account, or add the other one with \u201cAdd another Klaviyo account\u201d." };
	case "account_not_found":
		return { title: "Account no longer connected", text: "This Klaviyo account is no longer connected to this store; someone may have just removed it. The page now shows the current accounts." };
	case "unknown_metric":
		return { title: "That metric is not in this account", text: "The chosen metric does not belong to this Klaviyo account (it may have been deleted). Test the key again and pick a metric from the new list." };
	case "conflict":
	case "not_connected":
		if (ctx === "sync") return { title: "Not connected", text: "Klaviyo is not connected for this store, so there is nothing to sync. Connect it first." };
		return { title: "Klaviyo is no longer connected", text: "Klaviyo is no longer connected for this store; someone may have just disconnected it. The page now shows the current state." };
	case "forbidden":
		if (/origin/i.test(server)) {
			return { title: "Request refused", text: "The request was refused for security reasons. Reload the page and try again." };
		}
		return { title: "Not allowed", text: "Your role on this store does not allow changing the Klaviyo connection. Ask an owner or admin of the store." };
	case "not_found":
		return { title: "Store not found", text: "This store does not exist or you do not have access to it." };
	case "unauthorized":
		return { title: "Signed out", text: "Your session has ended. Sign in again to continue.", signin: true };
	case "invalid_credentials":
		return { title: "Wrong email or password", text: "The email or password is not right. Check both and try again." };
	case "payload_too_large":
		return { title: "Too long", text: "What you entered is too long to send. Paste only the API key itself (it starts with pk_)." };
	case "unsupported_media_type":
		return { title: "Request refused", text: "Your browser sent the request in a form the server does not accept. Reload the page and try again." };
	case "method_not_allowed":
		return { title: "Not available", text: "This action is not available on this server yet." };
	case "database_unavailable":
	case "db_unavailable":
	case "service_unavailable":
		return { title: "Briefly unavailable", text: "The service is briefly unavailable. " + NOTHING_CHANGED + " Try again in a few seconds." };
	case "bad_request":
		return { title: "Request not accepted", text: "The server did not accept the request: " + sentence(server || "it is malformed") + " Reload the page and try again." };
	case "internal_error":
		return { title: "Something went wrong", text: "Something went wrong on our side. " + NOTHING_CHANGED + " Try again; if it keeps happening, contact our support." };
	}
	if (ctx === "oauth" && !r.status) {
		// A code of the callback this page does not know (newer server).
		return { title: "Connecting with Klaviyo did not work", text: "Something went wrong while coming back from Klaviyo, so nothing was connected. " + START_AGAIN + " If it keeps failing, use a private API key instead.", oauthAgain: true };
	}
	if (r.status === 401) return { title: "Signed out", text: "Your session has ended. Sign in again to continue.", signin: true };
	if (r.status === 429) return describe({ ...r, code: "rate_limited" }, ctx);
	if (r.status === 504) return describe({ ...r, code: "klaviyo_timeout" }, ctx);
	if (r.status === 503) return describe({ ...r, code: "service_unavailable" }, ctx);
	if (r.status >= 500) return describe({ ...r, code: "internal_error" }, ctx);
	return { title: "Request not accepted", text: sentence(server || "The request failed (HTTP " + r.status + ")") + " Reload the page and try again." };
}

// The sign-in page, coming back here afterwards.
export function loginUrl() {
	return "/login?next=" + encodeURIComponent(location.pathname + location.search);
}

export function $(id) {
	return document.getElementById(id);
}

// el("p", {class: "x", text: "hi"}, child, ...): a DOM node without
// innerHTML (nothing from the server is ever parsed as HTML).
export function el(tag, attrs, ...kids) {
	const n = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === "text") n.textContent = v;
		else if (k === "class") n.className = v;
		else if (k in n && typeof v !== "string") n[k] = v;
		else n.setAttribute(k, v === true ? "" : v);
	}
	for (const c of kids) {
		if (c === undefined || c === null || c === false) continue;
		n.append(c);
	}
	return n;
}

function validDate(iso) {
	if (!iso || typeof iso !== "string") return null;
	const d = new Date(iso);
	return isNaN(d.getTime()) ? null : d;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const rel = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function relative(d) {
	const s = Math.round((d.getTime() - Date.now()) / 1000);
	const a = Math.abs(s);
	if (a < 45) return "just now";
	if (a < 3600) return rel.format(Math.round(s / 60), "minute");
	if (a < 86400) return rel.format(Math.round(s / 3600), "hour");
	if (a < 86400 * 30) return rel.format(Math.round(s / 86400), "day");
	return rel.format(Math.round(s / (86400 * 30)), "month");
}

// <time> with the date and time, and how long ago; null when absent.
export function timeNode(iso) {
	const d = validDate(iso);
	if (!d) return null;
	return el("time", { datetime: d.toISOString(), title: d.toISOString(), text: dateFmt.format(d) + " (" + relative(d) + ")" });
}

// Top bar: who is signed in, and Sign out.
export function initTopbar(me) {
	const who = $("who");
	if (who && me && me.user) who.textContent = me.user.email;
	const out = $("logout");
	if (!out || out.dataset.ready) return;
	out.dataset.ready = "1";
	out.addEventListener("click", async () => {
		out.disabled = true;
		out.setAttribute("aria-busy", "true");
		await api("POST", "/api/auth/logout", {});
		location.assign("/login?signedout=1");
	});
}

export const ROLE_NAMES = { owner: "Owner", admin: "Admin", viewer: "Viewer" };

export const STATUS = {
	not_configured: { label: "Not connected", cls: "" },
	connected: { label: "Connected", cls: "badge-connected" },
	error: { label: "Error", cls: "badge-error" },
	disconnected: { label: "Disconnected", cls: "badge-disconnected" },
};

export function statusInfo(s) {
	return STATUS[s] || STATUS.not_configured;
}

// Codes describeError() has its own words for.
export const KNOWN_CODES = new Set([
	"invalid_api_key_format", "klaviyo_key_rejected", "klaviyo_scope_missing",
	"klaviyo_rate_limited", "rate_limited", "klaviyo_busy", "klaviyo_timeout", "klaviyo_unreachable",
	"klaviyo_error", "klaviyo_bad_response", "unknown_metric", "conflict", "forbidden",
	"not_found", "unauthorized", "invalid_credentials", "payload_too_large",
	"unsupported_media_type", "method_not_allowed", "database_unavailable",
	"service_unavailable", "bad_request", "internal_error", "not_connected", "db_unavailable",
	"access_denied", "oauth_failed", "oauth_state_unknown", "oauth_state_used", "oauth_state_expired",
	"oauth_state_user", "signed_out", "oauth_grant_refused", "oauth_client_refused",
	"oauth_not_configured", "oauth_not_authorized", "oauth_reconnect_required", "klaviyo_token_rejected",
	"account_already_connected", "account_mismatch", "account_not_found",
]);

// A ?oauth_error= value worth looking up (the server sends [a-z_] only).
export function oauthErrorParam() {
	const v = new URLSearchParams(location.search).get("oauth_error");
	return v && /^[a-z_]{1,64}$/.test(v) ? v : "";
}

export { sentence };
