// Login page: POST /api/auth/login, then back to where the user came from.
"use strict";

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only same-site paths: never an open redirect.
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = document.getElementById("error");
  const button = document.getElementById("submit");
  error.hidden = true;
  button.disabled = true;
  try {
    const res = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        email: document.getElementById("email").value,
        password: document.getElementById("password").value,
      }),
    });
    if (res.ok) {
      location.assign(nextPath());
      return;
    }
    const body = await res.json().catch(() => ({}));
    let msg = body.error || "Sign-in failed (" + res.status + ")";
    if (res.status === 401) msg = "Wrong email or password.";
    if (res.status === 429) {
      const wait = res.headers.get("Retry-After");
      msg = "Too many failed sign-ins. Try again in " + (wait || "a few") + " seconds.";
    }
    error.textContent = msg;
    error.hidden = false;
  } catch (e) {
    error.textContent = "The service cannot be reached. Check your connection and try again.";
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
