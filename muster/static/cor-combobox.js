// The contract list's COR filter as an ARIA 1.2 combobox with list autocomplete (the APG
// pattern USWDS's combo box follows, but its options come from the server: there may be
// hundreds of CORs). Without this script the field is a plain text field of the GET form:
// a name or an email filters the list. With it, typing asks GET data-suggestions?q= for
// at most 10 CORs; Down and Up move through them (aria-activedescendant: the keyboard stays
// in the field), Enter or a click picks one, Escape closes the list. A pick fills the
// field with the COR's "Name <email>", which filters by that COR alone, and submits the
// form (htmx then swaps the results in place). A status region says how many there are.
// Events are handled on the document, so a form htmx restores from its history (Back)
// works without setting anything up again. Progressive enhancement only; no framework.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams) { return; }
  var SELECTOR = "input[data-suggestions]";
  var DELAY_MS = 250;
  var states = new WeakMap();

  function idOf(input, suffix) { return input.id + "-" + suffix; }
  function listOf(input) { return document.getElementById(idOf(input, "listbox")); }
  function statusOf(input) { return document.getElementById(idOf(input, "status")); }

  function state(input) {
    var s = states.get(input);
    if (!s) {
      s = { timer: null, asked: 0, controller: null, text: null };
      states.set(input, s);
    }
    return s;
  }

  // Give the field its combobox roles, its listbox and its status region (once: a form
  // restored from htmx's history already has them).
  function enhance(input) {
    if (listOf(input)) { return; }
    var box = document.createElement("div");
    box.className = "muster-combobox";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    var list = document.createElement("ul");
    list.id = idOf(input, "listbox");
    list.className = "muster-combobox__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "COR suggestions");
    list.hidden = true;
    box.appendChild(list);
    var status = document.createElement("div");
    status.id = idOf(input, "status");
    status.className = "usa-sr-only";
    status.setAttribute("role", "status");
    box.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
  }

  function options(input) {
    var list = listOf(input);
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
  }

  function activate(input, option) {
    options(input).forEach(function (each) {
      var on = each === option;
      each.setAttribute("aria-selected", on ? "true" : "false");
      each.classList.toggle("muster-combobox__option--active", on);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function active(input) {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function open(input) {
    var list = listOf(input);
    if (!list || !list.children.length) { return false; }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    return true;
  }

  function close(input) {
    var list = listOf(input);
    if (list) { list.hidden = true; }
    input.setAttribute("aria-expanded", "false");
    activate(input, null);
  }

  function say(input, text) {
    var status = statusOf(input);
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  function show(input, suggestions) {
    var list = listOf(input);
    list.textContent = "";
    suggestions.forEach(function (cor, n) {
      var option = document.createElement("li");
      option.id = idOf(input, "option-" + n);
      option.className = "muster-combobox__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-value", cor.value);
      var name = document.createElement("span");
      name.className = "muster-combobox__name";
      name.textContent = cor.name;
      var email = document.createElement("span");
      email.className = "muster-combobox__email";
      email.textContent = cor.email;
      option.appendChild(name);
      option.appendChild(email);
      list.appendChild(option);
    });
    activate(input, null);
    var n = suggestions.length;
    say(input, n === 0 ? "No suggestions" : n === 1 ? "1 suggestion" : n + " suggestions");
    if (n && document.activeElement === input) { open(input); } else { close(input); }
  }

  function ask(input) {
    var s = state(input);
    var text = input.value.trim();
    clearTimeout(s.timer);
    if (s.controller) { s.controller.abort(); s.controller = null; }
    if (!text) {
      s.text = null;
      listOf(input).textContent = "";
      close(input);
      say(input, "");
      return;
    }
    if (text === s.text) { open(input); return; }  // already shown
    var asked = ++s.asked;
    s.controller = window.AbortController ? new AbortController() : null;
    var url = input.getAttribute("data-suggestions") + "?" + new URLSearchParams({ q: text });
    fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: s.controller ? s.controller.signal : undefined
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
      if (!response.ok || response.redirected || !json) { throw new Error("no suggestions"); }
      return response.json();
    }).then(function (answer) {
      if (asked !== s.asked) { return; }  // a later request is on its way
      s.text = text;
      show(input, answer.suggestions || []);
    }).catch(function () {
      if (asked === s.asked) { close(input); }  // the field still filters without them
    });
  }

  function pick(input, option) {
    input.value = option.getAttribute("data-value");
    state(input).text = null;
    close(input);
    say(input, "");
    var form = input.form;
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function move(input, step) {
    var all = options(input);
    if (!all.length) { return; }
    if (input.getAttribute("aria-expanded") !== "true") {
      open(input);
      activate(input, all[step > 0 ? 0 : all.length - 1]);
      return;
    }
    var at = all.indexOf(active(input));
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : (at + step + all.length) % all.length;
    activate(input, all[next]);
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(SELECTOR)) { return; }
    enhance(input);
    var s = state(input);
    clearTimeout(s.timer);
    s.timer = setTimeout(function () { ask(input); }, DELAY_MS);
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(SELECTOR)) { return; }
    enhance(input);
    var expanded = input.getAttribute("aria-expanded") === "true";
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (event.altKey) { open(input); } else if (options(input).length) { move(input, 1); } else { ask(input); }
        break;
      case "ArrowUp":
        event.preventDefault();
        move(input, -1);
        break;
      case "Enter":
        if (expanded && active(input)) {
          event.preventDefault();  // the pick submits the form itself
          pick(input, active(input));
        } else {  // the form's own submit: the words as typed; no list opens after it
          clearTimeout(state(input).timer);
          state(input).asked++;
          close(input);
        }
        break;
      case "Escape":
        if (expanded) {
          event.preventDefault();
          close(input);
        }
        break;
      case "Tab":
        close(input);
        break;
    }
  });

  // A click picks; pressing in the list (an option, its scroll bar) keeps the focus in
  // the field (no blur, which closes the list).
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".muster-combobox__list")) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".muster-combobox__option");
    if (!option) { return; }
    var input = document.querySelector("[aria-controls='" + option.parentNode.id + "']");
    if (input) { pick(input, option); }
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches(SELECTOR)) { close(input); }
  });

  // htmx keeps a copy of the page for Back: keep it with the list closed.
  document.addEventListener("htmx:beforeHistorySave", function () {
    Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), close);
  });

  Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), enhance);
})();
