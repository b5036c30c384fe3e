// Connect page: shows the store's Klaviyo status from
// GET /api/store/{id}/klaviyo-connect.
"use strict";

const storeId = location.pathname.split("/")[2] || "";

function show(id, text) {
  document.getElementById(id).textContent = text || "–";
}

async function load() {
  const error = document.getElementById("error");
  const res = await fetch("/api/store/" + encodeURIComponent(storeId) + "/klaviyo-connect");
  if (res.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname));
    return;
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    error.textContent = res.status === 404 ? "This store does not exist or you have no access to it."
                                           : (body.error || "Could not load the status.");
    error.hidden = false;
    show("state", "");
    return;
  }
  const k = body.klaviyo_integration || {};
  show("state", (k.status || "not_configured").replace("_", " "));
  show("account", k.account && k.account.name);
  show("connected", k.connected_at && new Date(k.connected_at).toLocaleString());
  show("lastsync", k.last_sync && new Date(k.last_sync).toLocaleString());
  show("hint", k.api_key_hint);
}

load().catch(() => {
  const error = document.getElementById("error");
  error.textContent = "The service cannot be reached. Try again shortly.";
  error.hidden = false;
});
