// The idle-session warning: shortly before a session ends for lack of activity, an
// alertdialog takes the focus and offers "Stay signed in" (a POST: activity) or "Sign out".
// The server decides: before warning, the script asks it how long is left (a GET that is
// not activity), since another tab may have kept the session alive. Without this script
// the session simply ends on the server. Progressive enhancement only; no framework.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box || !window.fetch) { return; }
  var warningMs = Number(box.dataset.warningSeconds) * 1000;
  var slackMs = Number(box.dataset.slackSeconds) * 1000;
  var statusUrl = box.dataset.statusUrl;
  var keepAliveUrl = box.dataset.keepAliveUrl;
  var countdown = box.querySelector("[data-countdown]");
  var stay = box.querySelector("[data-stay]");
  var csrf = document.querySelector("#sign-out-form input[name=csrfmiddlewaretoken]");
  var timer = null;
  var ticker = null;
  var deadline = 0;
  var returnFocus = null;

  function signInAgain(url) {
    var here = window.location.pathname + window.location.search;
    window.location.assign(url + "?next=" + encodeURIComponent(here));
  }

  // The session has `secondsLeft`: ask again when the warning is due (a little early, as
  // the server notes activity only every so often).
  function schedule(secondsLeft, exact) {
    clearTimeout(timer);
    deadline = Date.now() + secondsLeft * 1000;
    var wait = secondsLeft * 1000 - warningMs - (exact ? 0 : slackMs);
    timer = setTimeout(check, Math.max(1000, wait));
  }

  function answer(response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    if (response.redirected || (response.headers.get("Content-Type") || "").indexOf("json") < 0) {
      return { signed_in: false, seconds_left: 0, sign_in_url: response.url.split("?")[0] };
    }
    return response.json();
  }

  function check() {
    fetch(statusUrl, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Muster-Background": "1" }
    }).then(answer).then(function (state) {
      if (!state.signed_in) { signInAgain(state.sign_in_url); return; }
      if (state.seconds_left * 1000 > warningMs + 1000) {
        hide();  // used in another tab meanwhile
        schedule(state.seconds_left, true);
        return;
      }
      deadline = Date.now() + state.seconds_left * 1000;
      show();
    }).catch(function () {
      clearTimeout(timer);
      timer = setTimeout(check, 15000);  // the network failed: ask again soon
    });
  }

  function say(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    var parts = [];
    if (minutes) { parts.push(minutes + (minutes === 1 ? " minute" : " minutes")); }
    if (rest || !minutes) { parts.push(rest + (rest === 1 ? " second" : " seconds")); }
    return parts.join(" ");
  }

  function tick() {
    var left = deadline - Date.now();
    countdown.textContent = say(left);
    if (left <= 0) {
      clearInterval(ticker);
      ticker = null;
      check();  // the server ends the session and says so on the sign-in page
    }
  }

  function show() {
    tick();
    if (!box.hidden) { return; }
    returnFocus = document.activeElement;
    box.hidden = false;
    box.focus();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
  }

  function hide() {
    clearInterval(ticker);
    ticker = null;
    if (box.hidden) { return; }
    box.hidden = true;
    if (returnFocus && document.body.contains(returnFocus)) { returnFocus.focus(); }
    returnFocus = null;
  }

  stay.addEventListener("click", function () {
    stay.disabled = true;
    fetch(keepAliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : "" }
    }).then(answer).then(function (state) {
      if (!state.signed_in) { signInAgain(state.sign_in_url); return; }
      hide();
      schedule(state.seconds_left);
    }).catch(function () {
      countdown.textContent = say(deadline - Date.now()) +
        " (Muster could not be reached: try again)";
    }).then(function () { stay.disabled = false; });
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { stay.click(); }  // Escape keeps the session, as the dialog's default
  });

  // htmx's requests are activity too: the session now lasts from here.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      hide();
      schedule(Number(box.dataset.idleSeconds));  // the server's answer corrects it, if need be
    }
  });

  schedule(Number(box.dataset.secondsLeft));
})();
