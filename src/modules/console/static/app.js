// The console's shell: sign-in, navigation (hash routes, so the server serves one page), and the
// page in view. Every figure comes from the public API, called with the signed-in credential.
import { api, ApiError, publicApi, session, whenSignedOut } from "./api.js";
import { pages } from "./pages.js";
import { describeError, field, h, input, statusLine } from "./ui.js";

const $ = (id) => document.getElementById(id);
const main = () => $("main");

/** What the pages need to know about the caller. */
const context = { platform: null, role: null, kind: null, userId: null };

whenSignedOut(() => showSignIn("Your session ended. Sign in again."));

function setChrome(signedIn) {
  $("nav").hidden = !signedIn;
  $("menu-toggle").hidden = !signedIn;
  $("who").hidden = !signedIn;
  if (!signedIn) {
    $("platform-name").textContent = "Console";
    $("platform-mode").textContent = "";
  }
}

// ── sign-in ──────────────────────────────────────────────────────────────
async function guessPlatformId() {
  const fromUrl = new URLSearchParams(location.search).get("platform");
  if (fromUrl) return fromUrl;
  try {
    return (await publicApi.platformAtDomain(location.hostname)).id;
  } catch {
    return "";
  }
}

function showSignIn(message) {
  context.platform = null;
  setChrome(false);
  const root = main();
  root.replaceChildren();
  const note = statusLine();
  if (message) note.ok(message);

  // By email code: an owner's, admin's or editor's account on the platform.
  const platformId = input({ name: "platform_id", autocomplete: "off", required: true, spellcheck: "false", placeholder: "plat_…" });
  const email = input({ type: "email", name: "email", autocomplete: "username", required: true });
  // An invite's sign-in link names the address (a collaborator's invite: docs/api/collaborators.md).
  email.value = new URLSearchParams(location.search).get("email") ?? "";
  const code = input({ name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: "6" });
  const codeField = field("Code from the email", code, "6 digits, valid for 10 minutes.");
  codeField.hidden = true;
  const emailStatus = statusLine();
  const submitEmail = h("button", { type: "submit" }, "Email me a code");
  guessPlatformId().then((id) => {
    if (id && !platformId.value) platformId.value = id;
  });
  const emailForm = h(
    "form",
    {
      "aria-labelledby": "signin-email",
      class: "stacked",
      onsubmit: async (event) => {
        event.preventDefault();
        emailStatus.clear();
        submitEmail.disabled = true;
        try {
          if (codeField.hidden) {
            await publicApi.askCode(email.value.trim(), platformId.value.trim());
            codeField.hidden = false;
            submitEmail.textContent = "Sign in";
            emailStatus.ok(`A code was emailed to ${email.value.trim()}.`);
            code.focus();
          } else {
            const answer = await publicApi.verifyCode(email.value.trim(), code.value.trim(), platformId.value.trim());
            if (answer.user.role === "member") {
              emailStatus.fail(new Error("The console is for a platform's owners, admins and editors; this account is a member."));
              return;
            }
            session.save({ kind: "user", token: answer.token, refreshToken: answer.refreshToken, user: answer.user });
            await start();
          }
        } catch (err) {
          emailStatus.fail(err);
        } finally {
          submitEmail.disabled = false;
        }
      },
    },
    h("h2", { id: "signin-email" }, "With an email code"),
    field("Platform ID", platformId),
    field("Email", email),
    codeField,
    submitEmail,
    emailStatus,
  );

  // By API key: the platform's key acts as its owner.
  const key = input({ type: "password", name: "api_key", autocomplete: "off", required: true, spellcheck: "false", placeholder: "cndl_test_…" });
  const keyStatus = statusLine();
  const keyForm = h(
    "form",
    {
      "aria-labelledby": "signin-key",
      class: "stacked",
      onsubmit: async (event) => {
        event.preventDefault();
        keyStatus.clear();
        try {
          await publicApi.platformOfKey(key.value.trim());
          session.save({ kind: "key", key: key.value.trim() });
          await start();
        } catch (err) {
          keyStatus.fail(err);
        }
      },
    },
    h("h2", { id: "signin-key" }, "With an API key"),
    field("API key", key, "Kept in this tab only (sessionStorage), sent to this server's API."),
    h("button", { type: "submit" }, "Sign in with the key"),
    keyStatus,
  );

  root.append(
    h("h1", { tabindex: "-1" }, "Sign in to the console"),
    note,
    h("p", {}, "The console shows what the API lets you see: sign in as an owner or admin of the platform, or with its API key."),
    h("div", { class: "columns" }, emailForm, keyForm),
  );
}

// ── routing ──────────────────────────────────────────────────────────────
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] ?? "settings", params: parts.slice(1) };
}

let rendering = 0;
async function render() {
  if (!session.load()) return showSignIn();
  // Signed in elsewhere in this tab (or the page was signed out): read the platform first.
  if (!context.platform) return start();
  const { name, params } = parseRoute();
  const page = pages[name] ?? pages.settings;
  for (const link of $("nav").querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  closeMenu();
  const mine = ++rendering;
  const root = main();
  root.replaceChildren(h("p", { class: "loading", role: "status" }, "Loading…"));
  const view = h("div", { class: "page" });
  try {
    await page(view, params, context);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    view.append(h("p", { class: "status error", role: "alert" }, describeError(err)));
  }
  if (mine !== rendering) return; // a later navigation won
  root.replaceChildren(view);
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} — Console`;
  }
}

function closeMenu() {
  $("nav").classList.remove("open");
  $("menu-toggle").setAttribute("aria-expanded", "false");
}

async function start() {
  const current = session.load();
  if (!current) return showSignIn();
  try {
    context.platform = await api("GET", "/platforms");
  } catch (err) {
    return showSignIn(err instanceof ApiError && err.status === 401 ? "Your session ended. Sign in again." : describeError(err));
  }
  context.kind = current.kind;
  context.role = current.kind === "key" ? "owner" : current.user.role;
  context.userId = current.kind === "user" ? current.user.id : null;
  $("platform-name").textContent = context.platform.name;
  $("platform-mode").textContent = context.platform.mode;
  $("who-name").textContent = current.kind === "key" ? "API key (owner)" : `${current.user.email} (${current.user.role})`;
  setChrome(true);
  await render();
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-out").addEventListener("click", () => {
    session.clear();
    location.hash = "";
    showSignIn("Signed out.");
  });
  $("menu-toggle").addEventListener("click", () => {
    const open = !$("nav").classList.contains("open");
    $("nav").classList.toggle("open", open);
    $("menu-toggle").setAttribute("aria-expanded", String(open));
  });
  window.addEventListener("hashchange", () => render());
  start();
});
