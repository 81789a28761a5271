// Progressive enhancement only: every page works without this file.
(function () {
  // The header's groups and the small screen's Menu are links to the menu page, which
  // lists every link, so they work without JavaScript. With it, each becomes the button
  // USWDS's header expects, here, before uswds.js starts (it waits for the document to be
  // ready): a group's button opens its submenu (aria-controls) in place.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-nav-button]"), function (link) {
    var button = document.createElement("button");
    var controls = link.getAttribute("data-nav-button");
    button.type = "button";
    button.className = link.className;
    if (controls) {
      button.classList.remove("usa-nav-link");
      button.classList.add("usa-accordion__button");
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", controls);
    }
    if (link.hasAttribute("aria-current")) {
      button.setAttribute("aria-current", link.getAttribute("aria-current"));
    }
    while (link.firstChild) { button.appendChild(link.firstChild); }
    link.parentNode.replaceChild(button, link);
  });

  // Move focus to the error summary so screen-reader and keyboard users land on it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Results that htmx updates in place (the contract list's #contract-results, aria-live):
  // busy while the request runs, so the new count is read once, when it has arrived.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute("aria-live")) { target.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("aria-live")) { return; }
    target.removeAttribute("aria-busy");
    // A page link inside the results was replaced with them: keep the keyboard's place at
    // the new results' heading instead of the top of the page.
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var heading = target.querySelector("h2[tabindex='-1']");
    if (source && !document.body.contains(source) && heading) { heading.focus(); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target && !event.detail.successful) { target.removeAttribute("aria-busy"); }
  });
  // Saving the contract list's filters as a view: the filters now in the form (htmx may
  // have changed the results since the page loaded; the server checks them again).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var source = form.getAttribute && document.getElementById(form.getAttribute("data-save-filters-of") || "");
    if (!source) { return; }
    var params = new URLSearchParams(new FormData(source));
    params.delete("page");
    form.querySelector("input[name='query']").value = params.toString();
  });
  // The results changed in place: which saved view is shown is no longer known.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "contract-results") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-saved-view-shown]"), function (tag) {
      var link = tag.previousElementSibling;
      if (link) { link.removeAttribute("aria-current"); }
      tag.remove();
    });
  });
  // A list's row that htmx replaced after its button (access to confirm, service
  // decisions): the button went with the old row, so the keyboard's place goes to the new
  // row's status message (role="status", read out as well).
  document.addEventListener("htmx:afterSwap", function () {
    var message = document.querySelector("[data-swap-focus]");
    if (!message) { return; }
    message.removeAttribute("data-swap-focus");
    message.focus();
  });
})();
