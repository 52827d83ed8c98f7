// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  var SUGGEST_DELAY = 600; // ms after the last key press
  var MIN_TEXT = 12; // characters, as servicedesk/portal/suggestions.py
  var MAX_QUERY_BYTES = 3000; // keeps the address well under servers' limits

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  // The start of the text, cut so that its encoded form stays short.
  function queryText(text) {
    var query = text.slice(0, 500);
    while (encodeURIComponent(query).length > MAX_QUERY_BYTES) {
      query = query.slice(0, Math.floor(query.length * 0.8));
    }
    return query;
  }

  // Answers that may help, listed under the message field while the
  // applicant writes (GET /kb/suggest; see suggestions.py).  The region is
  // aria-live, and it changes only when the answers found change.
  function suggestAnswers(region) {
    var field = document.getElementById(region.getAttribute("data-source"));
    if (!field || !window.fetch || !window.JSON) {
      return;
    }
    var timer = null;
    var asked = null;
    var shown = null;
    var pending = null;

    function render(articles) {
      var ids = articles.map(function (a) { return a.id; }).join(",");
      if (ids === shown) {
        return;
      }
      shown = ids;
      while (region.firstChild) {
        region.removeChild(region.firstChild);
      }
      region.classList.toggle("suggestions--found", articles.length > 0);
      if (!articles.length) {
        return;
      }
      region.appendChild(element("h2", "suggestions-title", region.getAttribute("data-heading")));
      region.appendChild(element("p", "", region.getAttribute("data-intro")));
      var list = element("ul", "kb-list");
      articles.forEach(function (article) {
        var item = element("li");
        var link = element("a", "", article.title + " ");
        link.href = article.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.appendChild(element("span", "new-tab", "(" + region.getAttribute("data-new-tab") + ")"));
        item.appendChild(link);
        if (article.snippet) {
          item.appendChild(element("p", "kb-snippet", article.snippet));
        }
        list.appendChild(item);
      });
      region.appendChild(list);
    }

    function ask() {
      var text = field.value.trim();
      if (text.length < MIN_TEXT) {
        asked = null;
        render([]);
        return;
      }
      var query = queryText(text);
      if (query === asked) {
        return;
      }
      asked = query;
      if (pending) {
        pending.abort();
      }
      pending = window.AbortController ? new AbortController() : null;
      var url = region.getAttribute("data-suggest-url") +
        "?lang=" + encodeURIComponent(region.getAttribute("data-lang") || "") +
        "&q=" + encodeURIComponent(query);
      window.fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending ? pending.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (data && data.articles) {
          render(data.articles);
        }
      }).catch(function () {
        // Offline, refused or aborted: keep what is shown.
      });
    }

    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, SUGGEST_DELAY);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // After a post with errors, move focus to the summary so it is read
    // first; its links move focus to the fields.
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

    // After "did this help?", the thanks is read first (browsers that do
    // not focus the target of the address by themselves).
    var thanks = document.getElementById("kb-thanks");
    if (thanks && window.location.hash === "#kb-thanks") {
      thanks.focus();
    }

    var region = document.querySelector("[data-suggest-url]");
    if (region) {
      suggestAnswers(region);
    }
  });
})();
