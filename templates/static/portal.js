// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // After a post with errors, move focus to the summary so it is read
  // first; its links move focus to the fields.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    var links = document.querySelectorAll(".error-summary a[href^='#']");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target) {
          event.preventDefault();
          target.focus();
          var label = document.querySelector("label[for='" + target.id + "']");
          (label || target).scrollIntoView();
        }
      });
    });
  });
})();
