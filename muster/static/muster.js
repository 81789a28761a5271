// Progressive enhancement only: every page works without this file.
(function () {
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
