// The "Live updates" card of the settings page: a Klaviyo account's
// webhook (GET …/settings "webhooks": {state, reason, since, last_event_at,
// events_received, topics, wanted}) and its switch (PATCH {webhooks}).
import { $, el, relative } from "/common.js";

// "2 minutes ago" of an ISO time; "" when it is not one.
function ago(iso) {
	const d = new Date(iso);
	return isNaN(d.getTime()) ? "" : relative(d);
}

// What each state means for the user, in one sentence.
function stateLine(w) {
	switch (w.state) {
	case "active":
		return w.last_event_at ?
			"On: Klaviyo sends new orders and email and SMS activity as they happen. Last event " + ago(w.last_event_at) + "." :
			"On: Klaviyo sends new orders and email and SMS activity as they happen. No event has arrived yet.";
	case "pending":
		return "Being set up with Klaviyo; until then data is synced on schedule.";
	case "failing":
		return "Klaviyo could not be reached to set up live updates" + (w.since ? " since " + ago(w.since) : "") + "; it is retried automatically. Data is synced on schedule meanwhile.";
	case "unavailable":
		return "Not available for this Klaviyo account: " + (w.reason || "Klaviyo refused them") ;
	case "off":
		return "Off: data is synced on schedule only.";
	default:
		return "Not set up yet; data is synced on schedule.";
	}
}

function pill(w) {
	if (w.state === "active") return ["pill pill-done", "On"];
	if (w.state === "unavailable") return ["pill", "Not available"];
	if (w.state === "failing") return ["pill pill-warn", "Retrying"];
	if (w.state === "off") return ["pill", "Off"];
	return ["pill", "Setting up"];
}

// A short line and its detail, for the connect page's facts; null
// without a webhook row (an older server).
export function webhookSummary(w) {
	if (!w || !w.state || w.state === "none") return null;
	switch (w.state) {
	case "active":
		return ["On", w.last_event_at ? "Last event from Klaviyo " + ago(w.last_event_at) + "." : "No event from Klaviyo yet."];
	case "pending":
		return ["Being set up", "Synced on schedule until Klaviyo confirms."];
	case "failing":
		return ["Retrying", "Klaviyo could not be reached" + (w.since ? " since " + ago(w.since) : "") + "; synced on schedule meanwhile."];
	case "unavailable":
		return ["Not available for this account", (w.reason || "Klaviyo refused them") ];
	case "off":
		return ["Off", "Synced on schedule only."];
	default:
		return null;
	}
}

// Fills #webhooks-card from the settings document; onToggle(on) saves.
export function renderWebhooks(doc, manage, onToggle) {
	const w = doc && doc.webhooks;
	const card = $("webhooks-card");
	if (!w) {
		card.hidden = true;
		return;
	}
	card.hidden = false;
	const sw = $("webhooks-enabled");
	sw.checked = w.wanted !== false && w.state !== "off";
	sw.disabled = !manage;
	sw.onchange = () => onToggle(sw.checked);
	const [cls, text] = pill(w);
	const p = $("webhooks-pill");
	p.className = cls;
	p.textContent = text;
	const line = $("webhooks-line");
	line.textContent = stateLine(w);
	// Only what needs a look is drawn as a note.
	line.className = w.state === "unavailable" || w.state === "failing" ? "type-note" : "muted";
	const n = Number.isInteger(w.events_received) ? w.events_received : 0;
	$("webhooks-count").replaceChildren(n > 0 ? el("span", { text: n.toLocaleString("en") + " event" + (n === 1 ? "" : "s") + " received so far." }) : "");
}
