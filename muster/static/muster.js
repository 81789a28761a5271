// Progressive enhancement only: every page works without this file.
(function () {
  // Move focus to the error summary so screen-reader and keyboard users land on it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
