// Store list: GET /api/me; each store links to its Klaviyo connect page.
// Also where the Klaviyo sign-in (OAuth) callback sends the browser when it
// cannot name the store: /?oauth_error=<code>, said in words.
import { $, api, describeError, el, initTopbar, loginUrl, oauthErrorParam, ROLE_NAMES, statusInfo } from "/common.js";

const oauthError = oauthErrorParam();

function storeCard(s) {
	const st = statusInfo(s.klaviyo_status);
	const href = "/store/" + encodeURIComponent(s.public_id) + "/klaviyo-connect";
	const role = ROLE_NAMES[s.role] || s.role;
	const connected = s.klaviyo_status === "connected" || s.klaviyo_status === "error";
	return el("li", { class: "store" },
		el("div", { class: "store-top" },
			el("a", { class: "store-name", href, text: s.name }),
			el("span", { class: "badge " + st.cls, text: "Klaviyo: " + st.label })),
		el("div", { class: "store-meta" },
			el("span", { text: "Your role: " + role }),
			el("span", { "aria-hidden": "true", text: "\u00b7" }),
			el("span", { class: "mono", text: s.public_id }),
			// Several Klaviyo accounts: the badge is the primary's.
			s.klaviyo_accounts > 1 ? el("span", { "aria-hidden": "true", text: "\u00b7" }) : null,
			s.klaviyo_accounts > 1 ? el("span", { class: "store-accounts", text: s.klaviyo_accounts + " Klaviyo accounts" }) : null),
		el("div", { class: "store-links" },
			el("span", { class: "store-go", "aria-hidden": "true", text: s.can_manage ? "Manage Klaviyo \u2192" : "View Klaviyo status \u2192" }),
			// Its results, once Klaviyo was connected (the dashboard page).
			connected ? el("a", { class: "store-dash", href: "/store/" + encodeURIComponent(s.public_id) + "/klaviyo-dashboard",
				"aria-label": "Dashboard of " + s.name, text: "Dashboard" }) : null));
}

async function load() {
	const list = $("stores");
	const error = $("error");
	const r = await api("GET", "/api/me");
	$("loading").hidden = true;
	if (r.status === 401) {
		// Signed out: the sign-in page says what happened at Klaviyo.
		location.assign(oauthError ? "/login?oauth_error=" + oauthError : loginUrl());
		return;
	}
	if (oauthError) showOauthError();
	if (!r.ok) {
		error.textContent = "We could not load your stores. " + describeError(r, "load").text;
		error.hidden = false;
		return;
	}
	initTopbar(r.body);
	const stores = Array.isArray(r.body.stores) ? r.body.stores : [];
	list.replaceChildren();
	if (stores.length === 0) {
		list.append(el("li", { class: "card empty" },
			el("p", {}, el("strong", { text: "You do not have access to any store yet." })),
			el("p", { class: "muted", text: "Ask an owner of your store to give you access, then reload this page." })));
		return;
	}
	for (const s of stores) list.append(storeCard(s));
}

function showOauthError() {
	const d = describeError({ code: oauthError }, "oauth");
	const n = $("oauth-msg");
	n.className = "notice page-notice " + (d.tone === "warn" ? "notice-warn" : "notice-err");
	n.replaceChildren(el("strong", { text: d.title }), el("span", { text: d.text }));
	n.hidden = false;
	// Shown once: a reload shows the plain list.
	history.replaceState(null, "", location.pathname);
	n.focus();
}

initTopbar(null);
load();
