// Sign-in page: POST /api/auth/login, then back to where the user came
// from (?next=, same origin only).
import { $, api, describeError, duration, el, oauthErrorParam } from "/common.js";

const form = $("login");
const email = $("email");
const password = $("password");
const error = $("error");
const submit = $("submit");
let busy = false;
let waitTimer = null;

// Only a path of this site: never an open redirect ("//x", "/\x", "https:").
function nextPath() {
	const raw = new URLSearchParams(location.search).get("next") || "/";
	if (!raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
	try {
		const u = new URL(raw, location.origin);
		if (u.origin !== location.origin || u.pathname === "/login") return "/";
		return u.pathname + u.search + u.hash;
	} catch (e) {
		return "/";
	}
}

function showError(text) {
	error.textContent = text;
	error.hidden = false;
}

function clearError() {
	error.hidden = true;
	error.textContent = "";
	email.removeAttribute("aria-invalid");
	password.removeAttribute("aria-invalid");
}

// Throttled: the button says how long to wait and counts down.
function waitThen(secs, base) {
	clearInterval(waitTimer);
	let left = secs;
	const tick = () => {
		if (left <= 0) {
			clearInterval(waitTimer);
			waitTimer = null;
			submit.disabled = false;
			submit.textContent = "Sign in";
			showError("You can try to sign in again now.");
			return;
		}
		submit.disabled = true;
		submit.textContent = "Try again in " + duration(left);
		left--;
	};
	showError(base);
	tick();
	waitTimer = setInterval(tick, 1000);
}

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	if (busy || waitTimer) return;
	clearError();
	const e = email.value.trim();
	if (!e || !e.includes("@")) {
		email.setAttribute("aria-invalid", "true");
		showError("Enter the email address you sign in with.");
		email.focus();
		return;
	}
	if (!password.value) {
		password.setAttribute("aria-invalid", "true");
		showError("Enter your password.");
		password.focus();
		return;
	}
	busy = true;
	submit.disabled = true;
	submit.setAttribute("aria-busy", "true");
	submit.textContent = "Signing in\u2026";
	const r = await api("POST", "/api/auth/login", { email: e, password: password.value });
	busy = false;
	submit.removeAttribute("aria-busy");
	submit.disabled = false;
	submit.textContent = "Sign in";
	if (r.ok) {
		password.value = "";
		location.assign(nextPath());
		return;
	}
	const d = describeError(r, "login");
	if (r.status === 401 || r.code === "invalid_credentials") {
		password.value = "";
		password.setAttribute("aria-invalid", "true");
		showError("Wrong email or password. Check both and try again.");
		password.focus();
		return;
	}
	if (r.status === 429) {
		waitThen(d.wait, d.text);
		return;
	}
	if (r.code === "bad_request") {
		showError("Enter a valid email address and your password.");
		return;
	}
	showError(d.text);
});

$("pw-toggle").addEventListener("click", (ev) => {
	const show = password.type === "password";
	password.type = show ? "text" : "password";
	ev.currentTarget.textContent = show ? "Hide" : "Show";
	ev.currentTarget.setAttribute("aria-pressed", String(show));
	ev.currentTarget.setAttribute("aria-label", show ? "Hide password" : "Show password");
});
$("pw-toggle").setAttribute("aria-label", "Show password");

const params = new URLSearchParams(location.search);
const info = $("info");
const oauthError = oauthErrorParam();
if (oauthError) {
	// Sent here from the store list: the Klaviyo sign-in ended signed out.
	const d = describeError({ code: oauthError }, "oauth");
	const n = $("oauth-msg");
	n.replaceChildren(el("strong", { text: d.title }), el("span", { text: d.text }));
	n.hidden = false;
} else if (params.get("signedout")) {
	info.textContent = "You are signed out.";
	info.hidden = false;
} else if (params.get("next") && nextPath() !== "/") {
	info.textContent = "Sign in to continue to that page.";
	info.hidden = false;
}

// Already signed in (a bookmark of /login): go straight on.
api("GET", "/api/me").then((r) => {
	if (r.ok) location.replace(nextPath());
});
email.focus();
