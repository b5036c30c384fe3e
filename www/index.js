// Store list: GET /api/me; each store links to its Klaviyo connect page.
"use strict";

async function api(path, opts) {
  const res = await fetch(path, opts);
  if (res.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname));
    throw new Error("signed out");
  }
  return res;
}

async function load() {
  const list = document.getElementById("stores");
  const error = document.getElementById("error");
  const res = await api("/api/me");
  const body = await res.json();
  if (!res.ok) {
    error.textContent = body.error || "Could not load your stores.";
    error.hidden = false;
    return;
  }
  document.getElementById("who").textContent = body.user.email;
  list.replaceChildren();
  if (body.stores.length === 0) {
    const li = document.createElement("li");
    li.textContent = "You have no stores yet. Ask an owner to give you access.";
    list.append(li);
  }
  for (const s of body.stores) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/store/" + encodeURIComponent(s.public_id) + "/klaviyo-connect";
    a.textContent = s.name;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = s.role + " · Klaviyo: " + (s.klaviyo_status || "not_configured").replace("_", " ");
    li.append(a, " ", meta);
    list.append(li);
  }
}

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/api/auth/logout", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  location.assign("/login");
});

load().catch(() => {});
